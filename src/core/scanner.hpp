#pragma once

#include <filesystem>
#include <functional>

#include "core/bytes.hpp"
#include "core/dispatcher.hpp"
#include "core/limits.hpp"
#include "core/report.hpp"
#include "core/walker.hpp"

namespace hazmat {

// Walks a target and feeds every file to the dispatcher, `jobs` files at a
// time. Each file gets its own ScanContext (budget, deadline); findings from
// all workers go to one Report.
class Scanner {
  public:
    Scanner(const Dispatcher& dispatcher, ScanLimits limits, unsigned jobs);

    // Called from worker threads when a file starts; must be thread-safe.
    void on_file(std::function<void(const WalkEntry&)> callback) { on_file_ = std::move(callback); }

    void scan(const std::filesystem::path& target, Report& report) const;

    // Examines one file on disk. Exposed for tests.
    void scan_file(const WalkEntry& entry, Report& report) const;

  private:
    const Dispatcher& dispatcher_;
    ScanLimits limits_;
    unsigned jobs_;
    std::function<void(const WalkEntry&)> on_file_;
};

// Examines bytes as if they were a file on disk named `name`; for tests and
// for callers that already hold content in memory.
void scan_bytes(const Dispatcher& dispatcher, const ScanLimits& limits, Bytes bytes,
                const std::string& name, FindingSink& sink);

}  // namespace hazmat
