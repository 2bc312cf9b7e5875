#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/dispatcher.hpp"
#include "core/limits.hpp"
#include "core/report.hpp"

namespace hazmat {

struct GitHistoryOptions {
    // Also examine objects no ref reaches: amended or rebased-away commits,
    // dropped stashes, blobs added to the index and never committed.
    bool all_objects = false;
    // Blobs larger than this are reported as not examined instead of being
    // inflated into memory (libgit2 reads an object whole).
    uint64_t max_blob_bytes = 256ull << 20;
    // Blobs examined in parallel, each worker with its own repository handle.
    unsigned jobs = 1;
};

// Whether `target` is a directory holding a `.git` directory (not a link,
// not a `gitdir:` file pointing elsewhere).
bool has_git_directory(const std::filesystem::path& target);

// Examines every unique blob reachable from any ref of the repository in
// `target` once, with `dispatcher`. A finding from history is reported once
// per rule, path and value, at the first commit (in topological order) that
// contains it, with evidence naming that commit, its author date and path,
// how many versions of the file carried it and whether HEAD still does.
//
// The repository is read as data: its hooks never run, its attributes
// (filters, diff drivers) are never applied, objects borrowed from other
// repositories (alternates) are not followed, a config that includes other
// files is not opened, and the user's own git configuration is not read.
// Anything that cannot be read becomes an HZ-SCAN finding.
void scan_git_history(const std::filesystem::path& target, const std::string& display,
                      const Dispatcher& dispatcher, const ScanLimits& limits,
                      const GitHistoryOptions& options, FindingSink& sink, Report& report);

}  // namespace hazmat
