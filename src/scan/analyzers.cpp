#include "scan/analyzers.hpp"

namespace hazmat {

Result<std::unique_ptr<Dispatcher>> build_dispatcher(const AnalyzerOptions& options) {
    (void)options;
    std::vector<std::unique_ptr<Analyzer>> analyzers;
    return std::make_unique<Dispatcher>(std::move(analyzers));
}

}  // namespace hazmat
