#include "scan/analyzers.hpp"

#include "core/archive/archive_analyzers.hpp"
#include "scan/code/code_analyzer.hpp"

namespace hazmat {

Result<std::unique_ptr<Dispatcher>> build_dispatcher(const AnalyzerOptions& options) {
    std::vector<std::unique_ptr<Analyzer>> analyzers;
    for (auto& analyzer : archive_analyzers())
        analyzers.push_back(std::move(analyzer));
    for (auto& analyzer : code::code_analyzers(options.scan_roots))
        analyzers.push_back(std::move(analyzer));
    return std::make_unique<Dispatcher>(std::move(analyzers));
}

}  // namespace hazmat
