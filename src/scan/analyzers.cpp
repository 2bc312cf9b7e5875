#include "scan/analyzers.hpp"

#include "core/archive/archive_analyzers.hpp"
#include "scan/code/code_analyzer.hpp"
#include "scan/deps/dependency_analyzer.hpp"
#include "scan/models/distcp.hpp"
#include "scan/models/gguf.hpp"
#include "scan/models/huggingface.hpp"
#include "scan/models/keras_archive.hpp"
#include "scan/models/keras_h5.hpp"
#include "scan/models/numpy.hpp"
#include "scan/models/onnx.hpp"
#include "scan/models/safetensors.hpp"
#include "scan/models/savedmodel.hpp"
#include "scan/models/torch_archive.hpp"
#include "scan/models/torch_legacy.hpp"
#include "scan/models/torchscript_code.hpp"
#include "scan/pickle/callable_policy.hpp"
#include "scan/pickle/pickle_analyzer.hpp"
#include "scan/secrets/secrets_analyzer.hpp"
#include "scan/yara/yara_analyzer.hpp"

namespace hazmat {

namespace {

Result<std::unique_ptr<Analyzer>> load_secrets(const AnalyzerOptions& options) {
    auto secrets = secrets::SecretsAnalyzer::load(options.data.rules() / "secrets");
    if (!secrets)
        return secrets.error();
    return std::unique_ptr<Analyzer>(std::move(*secrets));
}

// Claims every blob of the history as identified: history is examined for
// credentials only, and whether a file is a model that hazmat can verify is
// decided on the working tree, not once per old version.
class HistoryScope : public Analyzer {
  public:
    std::string_view name() const override { return "history"; }
    bool accepts(const Blob&, Format) const override { return true; }
    void analyze(const Blob&, Format, ScanContext&) const override {}
};

}  // namespace

Result<std::unique_ptr<Dispatcher>> build_dispatcher(const AnalyzerOptions& options) {
    std::vector<std::unique_ptr<Analyzer>> analyzers;
    // Before the archive analyzers: it marks TorchScript archives, whose
    // members are then read as torch.jit.load reads them.
    analyzers.push_back(std::make_unique<models::TorchArchiveAnalyzer>());
    for (auto& analyzer : archive_analyzers())
        analyzers.push_back(std::move(analyzer));
    analyzers.push_back(std::make_unique<models::NumpyAnalyzer>());
    analyzers.push_back(std::make_unique<models::TorchLegacyAnalyzer>());
    analyzers.push_back(std::make_unique<models::TorchTarRecordAnalyzer>());
    analyzers.push_back(std::make_unique<models::DistcpAnalyzer>());
    analyzers.push_back(std::make_unique<models::TorchScriptCodeAnalyzer>());
    analyzers.push_back(std::make_unique<models::KerasArchiveAnalyzer>());
    analyzers.push_back(std::make_unique<models::KerasH5Analyzer>());
    analyzers.push_back(std::make_unique<models::SavedModelAnalyzer>());
    analyzers.push_back(std::make_unique<models::OnnxAnalyzer>());
    analyzers.push_back(std::make_unique<models::OnnxExternalDataAnalyzer>());
    analyzers.push_back(std::make_unique<models::GgufAnalyzer>());
    analyzers.push_back(std::make_unique<models::SafetensorsAnalyzer>());
    analyzers.push_back(std::make_unique<models::HuggingFaceConfigAnalyzer>());

    auto policy =
        pickle::CallablePolicy::load(options.data.rules() / "pickle", options.allow_callables);
    if (!policy)
        return policy.error();
    analyzers.push_back(std::make_unique<PickleAnalyzer>(std::move(policy).value()));

    auto dependencies = deps::make_dependency_analyzer(options.data);
    if (!dependencies)
        return dependencies.error();
    analyzers.push_back(std::move(dependencies).value());

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

    auto secrets = load_secrets(options);
    if (!secrets)
        return secrets.error();
    analyzers.push_back(std::move(*secrets));
    return std::make_unique<Dispatcher>(std::move(analyzers));
}

Result<std::unique_ptr<Dispatcher>> build_history_dispatcher(const AnalyzerOptions& options) {
    // Old versions of models and code cannot run unless someone checks them
    // out, and examining every version of every checkpoint would multiply a
    // scan's cost by the length of the history; what history still leaks is
    // credentials. Container analyzers are here too, so that a secret in a
    // committed archive is found.
    std::vector<std::unique_ptr<Analyzer>> analyzers;
    for (auto& analyzer : archive_analyzers())
        analyzers.push_back(std::move(analyzer));
    auto secrets = load_secrets(options);
    if (!secrets)
        return secrets.error();
    analyzers.push_back(std::move(*secrets));
    analyzers.push_back(std::make_unique<HistoryScope>());
    return std::make_unique<Dispatcher>(std::move(analyzers));
}

}  // namespace hazmat
