#include "scan/code/javascript_rules.hpp"

namespace hazmat::code {

void review_javascript_tree(const SyntaxTree& tree, const UnitSpec& spec, ObservationLog& log,
                            Reviewer& reviewer) {
    (void)tree;
    (void)spec;
    (void)log;
    (void)reviewer;
}

}  // namespace hazmat::code
