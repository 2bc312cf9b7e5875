#pragma once

#include <optional>
#include <utility>

#include "scan/code/observations.hpp"
#include "scan/code/review.hpp"
#include "scan/code/syntax_tree.hpp"

namespace hazmat::code {

// Where the observations of a shell review are placed.
struct ShellPlacement {
    ScopeId scope = kModuleScope;
    std::optional<Trigger> trigger;
    // Set for a command embedded in another language: every observation
    // sits at the embedding call, since the command's own lines are not
    // lines of the file.
    std::optional<std::pair<uint32_t, uint32_t>> fixed_position;
};

// Applies the shell rules to a parsed script: download piped into an
// interpreter, decode piped into an interpreter, download then chmod then
// run, environment and credential files sent to the network, writes to
// start-up files and cron, AI assistants run without safeguards.
void review_shell_tree(const SyntaxTree& tree, const UnitSpec& spec, const ShellPlacement& where,
                       ObservationLog& log, Reviewer& reviewer);

}  // namespace hazmat::code
