#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/decoys.hpp"

namespace hazmat::sandbox {

// Walks the tree below the directory `root_fd` without following symlinks
// and calls `visit` with each regular file's relative path and its first
// `max_file_bytes` bytes, up to `max_total_bytes` read in all. Directories
// named in `skip` (relative paths) are not entered. Returns false when a
// bound stopped the walk early.
bool walk_files(
    int root_fd, uint64_t max_file_bytes, uint64_t max_total_bytes,
    const std::vector<std::string>& skip,
    const std::function<void(const std::string& path, std::string_view content)>& visit);

// A file the program created or changed in its home directory.
struct HomeChange {
    std::string path;  // relative to home
    bool added = false;
    bool persistence = false;  // runs code later (shell rc, autostart, ...)
};

// Compares the home directory after the run with what was planted there.
std::vector<HomeChange> compare_home(
    const std::vector<DecoyFile>& planted,
    const std::vector<std::pair<std::string, std::string>>& files_found);

}  // namespace hazmat::sandbox
