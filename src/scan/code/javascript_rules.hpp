#pragma once

#include "scan/code/observations.hpp"
#include "scan/code/review.hpp"
#include "scan/code/syntax_tree.hpp"

namespace hazmat::code {

// Applies the JavaScript rules to a parsed script: eval/new Function/vm of
// fetched or decoded data, child_process commands (reviewed as shell),
// process.env serialised, credential files read, exfiltration endpoints,
// persistence writes.
void review_javascript_tree(const SyntaxTree& tree, const UnitSpec& spec, ObservationLog& log,
                            Reviewer& reviewer);

}  // namespace hazmat::code
