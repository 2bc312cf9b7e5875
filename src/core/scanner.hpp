#pragma once

#include <atomic>
#include <filesystem>
#include <functional>

#include "core/bytes.hpp"
#include "core/dispatcher.hpp"
#include "core/git_history.hpp"
#include "core/limits.hpp"
#include "core/report.hpp"
#include "core/walker.hpp"

namespace hazmat {

// Walks a target and feeds every file to the dispatcher, `jobs` files at a
// time. Each file gets its own ScanContext (budget, deadline); findings from
// all workers go to one Report, with their fingerprints computed relative to
// the target. When the target is a git repository and history is enabled,
// its history is read after the working tree.
class Scanner {
  public:
    Scanner(const Dispatcher& dispatcher, ScanLimits limits, unsigned jobs);

    // Called from worker threads when a file starts; must be thread-safe.
    void on_file(std::function<void(const WalkEntry&)> callback) { on_file_ = std::move(callback); }

    // Reads the history of a target that is a git repository with
    // `dispatcher` (the analyzers that apply to history).
    void enable_history(const Dispatcher& dispatcher, GitHistoryOptions options);

    // Findings for which `keep` returns false (known ones in a baseline) are
    // dropped before they reach the report. Called from worker threads with
    // the fingerprint already set; must be thread-safe.
    void set_filter(std::function<bool(const Finding&)> keep) { keep_ = std::move(keep); }
    // How many findings the filter dropped.
    uint64_t filtered() const { return filtered_; }

    void scan(const std::filesystem::path& target, Report& report) const;

    // Examines one file on disk. Exposed for tests.
    void scan_file(const WalkEntry& entry, Report& report) const;

  private:
    void scan_file(const WalkEntry& entry, FindingSink& sink, Report& report) const;

    const Dispatcher& dispatcher_;
    ScanLimits limits_;
    unsigned jobs_;
    std::function<void(const WalkEntry&)> on_file_;
    const Dispatcher* history_dispatcher_ = nullptr;
    GitHistoryOptions history_options_;
    std::function<bool(const Finding&)> keep_;
    mutable std::atomic<uint64_t> filtered_{0};
};

// Examines bytes as if they were a file on disk named `name`; for tests and
// for callers that already hold content in memory.
void scan_bytes(const Dispatcher& dispatcher, const ScanLimits& limits, Bytes bytes,
                const std::string& name, FindingSink& sink);

}  // namespace hazmat
