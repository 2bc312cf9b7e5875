#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/data_dir.hpp"
#include "core/dispatcher.hpp"
#include "core/result.hpp"

namespace hazmat {

struct AnalyzerOptions {
    DataDir data;
    // The user's own allow-list extensions for the pickle policy (never read
    // from the scanned target).
    std::vector<std::filesystem::path> allow_callables;
    // The scan targets as given, so analyzers can judge paths relative to
    // the project root (tests/, docs/, examples/).
    std::vector<std::string> scan_roots;
    // The user's own YARA rules directory (--yara-rules), added to the
    // bundled rules under <data>/rules/yara.
    std::optional<std::filesystem::path> yara_rules;
};

// Builds the dispatcher with every analyzer hazmat has, loading their data
// (allow/deny lists, rules) from the data directory. Fails with a message
// naming the file when shipped or user data cannot be loaded.
Result<std::unique_ptr<Dispatcher>> build_dispatcher(const AnalyzerOptions& options);

// The analyzers that examine blobs from git history: credentials, and the
// containers that can carry them.
Result<std::unique_ptr<Dispatcher>> build_history_dispatcher(const AnalyzerOptions& options);

}  // namespace hazmat
