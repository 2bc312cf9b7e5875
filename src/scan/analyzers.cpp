#include "scan/analyzers.hpp"

#include "core/archive/archive_analyzers.hpp"
#include "scan/code/code_analyzer.hpp"

namespace hazmat {

Result<std::unique_ptr<Dispatcher>> build_dispatcher(const AnalyzerOptions& options) {
    std::vector<std::unique_ptr<Analyzer>> analyzers;
    for (auto& analyzer : archive_analyzers())
        analyzers.push_back(std::move(analyzer));
    analyzers.push_back(std::make_unique<code::CodeAnalyzer>(options.scan_roots));
    return std::make_unique<Dispatcher>(std::move(analyzers));
}

}  // namespace hazmat
