#include "scan/analyzers.hpp"

#include "core/archive/archive_analyzers.hpp"
#include "scan/deps/dependency_analyzer.hpp"

namespace hazmat {

Result<std::unique_ptr<Dispatcher>> build_dispatcher(const AnalyzerOptions& options) {
    std::vector<std::unique_ptr<Analyzer>> analyzers;
    for (auto& analyzer : archive_analyzers())
        analyzers.push_back(std::move(analyzer));
    auto dependencies = deps::make_dependency_analyzer(options.data);
    if (!dependencies)
        return dependencies.error();
    analyzers.push_back(std::move(dependencies).value());
    return std::make_unique<Dispatcher>(std::move(analyzers));
}

}  // namespace hazmat
