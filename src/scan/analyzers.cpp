#include "scan/analyzers.hpp"

#include "core/archive/archive_analyzers.hpp"
#include "scan/code/code_analyzer.hpp"
#include "scan/yara/yara_analyzer.hpp"

namespace hazmat {

Result<std::unique_ptr<Dispatcher>> build_dispatcher(const AnalyzerOptions& options) {
    std::vector<std::unique_ptr<Analyzer>> analyzers;
    for (auto& analyzer : archive_analyzers())
        analyzers.push_back(std::move(analyzer));
    for (auto& analyzer : code::code_analyzers(options.scan_roots))
        analyzers.push_back(std::move(analyzer));

    auto bundled = yara::YaraRules::compile_directory(options.data.rules() / "yara");
    if (!bundled)
        return Error{"bundled YARA rules: " + bundled.error().message};
    std::shared_ptr<const yara::YaraRules> user;
    if (options.yara_rules) {
        auto compiled = yara::YaraRules::compile_directory(*options.yara_rules);
        if (!compiled)
            return Error{"--yara-rules: " + compiled.error().message};
        user = std::move(compiled).value();
    }
    analyzers.push_back(
        std::make_unique<yara::YaraAnalyzer>(std::move(bundled).value(), std::move(user)));
    return std::make_unique<Dispatcher>(std::move(analyzers));
}

}  // namespace hazmat
