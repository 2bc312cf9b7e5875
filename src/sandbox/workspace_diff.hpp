#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace hazmat::sandbox {

enum class ChangeKind { added, modified, deleted };
enum class EntryType { file, directory, symlink, other };

std::string_view to_string(ChangeKind kind);
std::string_view to_string(EntryType type);

// One difference between the overlay's upper layer and the real project.
struct WorkspaceChange {
    std::string path;  // relative to the workspace
    ChangeKind kind = ChangeKind::added;
    EntryType type = EntryType::file;
    uint64_t size = 0;
    uint32_t mode = 0;
    std::string link_target;
    bool link_escapes = false;  // a symlink leading out of the workspace
    // Why applying this change deserves a second look ("git hook", "new
    // executable", ...); empty for ordinary changes.
    std::vector<std::string> risks;

    bool risky() const { return !risks.empty(); }
};

struct WorkspaceDiff {
    std::vector<WorkspaceChange> changes;  // sorted by path
    bool truncated = false;                // more entries than the walk examines
};

// Lists what the sandboxed program changed: walks `upper` (whiteouts are
// deletions, opaque directories replace their lower content) and compares
// with `lower`, the real project. Both walks go through descriptors without
// following any symlink, and never open anything but regular files and
// directories: the upper layer is the program's work and may be a trap
// (links to host files, FIFOs that block a reader).
Result<WorkspaceDiff> diff_workspace(const std::filesystem::path& upper,
                                     const std::filesystem::path& lower,
                                     size_t max_entries = 200'000);

// The reasons a change at `path` (relative to the workspace) is risky to
// apply; `content` is the new content of a regular file (may be empty when
// unread). Exposed for tests.
std::vector<std::string> change_risks(std::string_view path, EntryType type, uint32_t mode,
                                      bool link_escapes, std::string_view content);

// Whether a symlink at `link_path` (relative to the workspace) pointing at
// `target` leads outside the workspace.
bool symlink_escapes(std::string_view link_path, std::string_view target);

// Calls `visit(relative path, content)` for each regular file in the diff
// (added or modified), reading at most `max_bytes` of each through the
// no-symlink rule. For scanning what the program wrote.
void for_each_changed_file(const std::filesystem::path& upper, const WorkspaceDiff& diff,
                           uint64_t max_bytes,
                           const std::function<void(const std::string&, std::string_view)>& visit);

}  // namespace hazmat::sandbox
