#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "sandbox/workspace_diff.hpp"

namespace hazmat::sandbox {

struct ApplyOptions {
    bool include_risky = false;  // also apply changes with risks (never escaping symlinks)
};

struct ApplyOutcome {
    std::vector<std::string> applied;
    std::vector<std::string> skipped;  // "path: reason"
};

// Copies the changes of a workspace layer into the real project directory.
// Every path on both sides is resolved below its root without following
// symlinks, files are written to a temporary name and renamed into place,
// setuid/setgid bits are dropped, and a symlink leading out of the
// workspace is never created: a change can only ever touch the project.
Result<ApplyOutcome> apply_changes(const std::filesystem::path& upper,
                                   const std::filesystem::path& project, const WorkspaceDiff& diff,
                                   const ApplyOptions& options);

}  // namespace hazmat::sandbox
