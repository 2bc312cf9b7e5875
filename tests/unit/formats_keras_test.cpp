#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "core/archive/zip_reader.hpp"
#include "core/rule_ids.hpp"
#include "formats_test_support.hpp"
#include "scan/models/keras_archive.hpp"
#include "scan/models/keras_config.hpp"
#include "scan/models/keras_h5.hpp"

namespace hazmat::models {
namespace {

using hazmat::testing::bytes_of;
using hazmat::testing::embedded_part;
using hazmat::testing::file_part;
using hazmat::testing::has_evidence;
using hazmat::testing::location_of;
using hazmat::testing::member_part;
using hazmat::testing::read_fixture;
using hazmat::testing::run_analyzer;
using hazmat::testing::span_of;
using hazmat::testing::with_rule;
using nlohmann::json;

// config.json of a .keras fixture, read with hazmat's own zip reader.
json archive_config(const std::string& fixture) {
    const auto bytes = bytes_of(read_fixture(fixture));
    const auto listing = read_zip_directory(bytes.span());
    EXPECT_TRUE(listing.ok());
    for (const auto& entry : listing->entries) {
        if (entry.name == "config.json") {
            const auto content = read_zip_member(bytes, entry, 1 << 24);
            EXPECT_TRUE(content.ok());
            return json::parse(content->as_chars());
        }
    }
    ADD_FAILURE() << fixture << " has no config.json";
    return {};
}

// The zip analyzer identifies the container in a real scan; alone, this
// analyzer runs under a name that claims no model format.
std::unique_ptr<hazmat::testing::AnalyzerRun> scan_archive(const std::string& fixture) {
    return run_analyzer(std::make_unique<KerasArchiveAnalyzer>(), read_fixture(fixture),
                        "m.archive");
}

KerasConfigAnalysis analyze_v3(const json& config) {
    return analyze_keras_config(config, KerasConfigOrigin::keras_v3);
}

json layer(std::string_view module, std::string_view class_name, json config) {
    return {{"module", module},
            {"class_name", class_name},
            {"config", std::move(config)},
            {"registered_name", nullptr}};
}

json function_ref(std::string_view module, std::string_view name) {
    return {{"module", module},
            {"class_name", "function"},
            {"config", name},
            {"registered_name", "function"}};
}

json sequential(json layers) {
    return layer("keras", "Sequential", {{"name", "seq"}, {"layers", std::move(layers)}});
}

TEST(KerasConfig, BenignModelsRaiseNothing) {
    for (const auto* fixture :
         {"formats/benign/keras_sequential.keras", "formats/benign/keras_functional.keras"}) {
        const auto analysis = analyze_v3(archive_config(fixture));
        EXPECT_TRUE(analysis.issues.empty()) << fixture << ": " << analysis.issues[0].message;
        EXPECT_TRUE(analysis.payloads.empty());
    }
    // Every serialized object is walked: wrappers, nested models, shared
    // layers, initializers, optimizer, loss.
    EXPECT_EQ(analyze_v3(archive_config("formats/benign/keras_functional.keras")).objects, 46u);
}

TEST(KerasConfig, FindsLambdaBytecodeInsideAWrapperInsideANestedModel) {
    const auto analysis = analyze_v3(archive_config("formats/malicious/keras_lambda_nested.keras"));
    ASSERT_EQ(analysis.issues.size(), 1u);
    const auto& issue = analysis.issues[0];
    EXPECT_EQ(issue.rule, rules::kKerasLambda);
    EXPECT_EQ(issue.severity, Severity::critical);
    EXPECT_EQ(issue.path, "config.layers[6].config.layers[1].config.layer");
    EXPECT_EQ(issue.evidence[0],
              "'hidden_lambda' (Lambda) at config.layers[6].config.layers[1].config.layer");
    EXPECT_EQ(issue.evidence[2], "names in the bytecode: print");
}

TEST(KerasConfig, FlagsModulesOutsideKeras) {
    auto analysis = analyze_v3(archive_config("formats/malicious/keras_os_system.keras"));
    ASSERT_EQ(analysis.issues.size(), 1u);
    EXPECT_EQ(analysis.issues[0].rule, rules::kKerasForeignCallable);
    EXPECT_EQ(analysis.issues[0].severity, Severity::critical);
    EXPECT_EQ(analysis.issues[0].path, "config.layers[1].config.function");

    // builtins: eval is critical, print high, Keras' own activations nothing.
    analysis =
        analyze_v3(sequential({function_ref("builtins", "eval"), function_ref("builtins", "print"),
                               function_ref("builtins", "relu")}));
    ASSERT_EQ(analysis.issues.size(), 2u);
    EXPECT_EQ(analysis.issues[0].severity, Severity::critical);
    EXPECT_EQ(analysis.issues[1].severity, Severity::high);
    EXPECT_NE(analysis.issues[1].message.find("built-in print()"), std::string::npos);

    // Framework functions are gadgets only under file and Python names.
    analysis = analyze_v3(sequential(
        {function_ref("tensorflow.io", "write_file"), function_ref("tensorflow.nn", "relu")}));
    ASSERT_EQ(analysis.issues.size(), 1u);
    EXPECT_EQ(analysis.issues[0].rule, rules::kKerasForeignCallable);
}

TEST(KerasConfig, FlagsGetFileGadget) {
    const auto analysis = analyze_v3(archive_config("formats/malicious/keras_get_file.keras"));
    ASSERT_EQ(analysis.issues.size(), 1u);
    EXPECT_EQ(analysis.issues[0].rule, rules::kKerasGadget);
    EXPECT_EQ(analysis.issues[0].severity, Severity::high);
    EXPECT_NE(analysis.issues[0].message.find("keras.utils.get_file"), std::string::npos);
}

TEST(KerasConfig, FlagsSafeModeSwitchedOffByTheConfig) {
    const auto analysis = analyze_v3(archive_config("formats/malicious/keras_unsafe_switch.keras"));
    ASSERT_EQ(analysis.issues.size(), 2u);
    EXPECT_EQ(analysis.issues[0].rule, rules::kKerasUnsafeSwitch);
    EXPECT_EQ(analysis.issues[0].path, "config.layers[1].config.function");
    EXPECT_EQ(analysis.issues[1].rule, rules::kKerasLambda);

    // load_model(..., safe_mode=False) through a Lambda's arguments.
    const auto arguments =
        analyze_v3(sequential({layer("keras.layers", "Lambda",
                                     {{"function", function_ref("keras.models", "load_model")},
                                      {"arguments", {{"safe_mode", false}}}})}));
    ASSERT_EQ(arguments.issues.size(), 2u);
    EXPECT_EQ(arguments.issues[0].rule, rules::kKerasUnsafeSwitch);
    EXPECT_EQ(arguments.issues[0].evidence[0],
              "\"safe_mode\": false at config.layers[0].config.arguments");
    EXPECT_EQ(arguments.issues[1].rule, rules::kKerasGadget);
}

TEST(KerasConfig, HandsTorchModuleWrapperPickleToTheDispatcher) {
    auto run = scan_archive("formats/malicious/keras_torch_module.keras");
    ASSERT_EQ(run->findings().size(), 1u);
    const auto& finding = run->findings()[0];
    EXPECT_EQ(finding.rule_id, rules::kKerasTorchModule);
    EXPECT_EQ(finding.location, location_of({file_part("m.archive"), member_part("config.json")}));
    EXPECT_TRUE(has_evidence(finding, "bytes of torch.save data"));
    ASSERT_EQ(run->dispatched.size(), 1u);
    EXPECT_EQ(run->dispatched[0].location,
              location_of({file_part("m.archive"), member_part("config.json"),
                           embedded_part("TorchModuleWrapper module at config.layers[1]")}));
    EXPECT_EQ(run->dispatched[0].format, Format::zip);
    EXPECT_EQ(run->dispatched[0].depth, 2u);
}

TEST(KerasConfig, FlagsTfsmLayerWithItsPath) {
    const auto analysis = analyze_v3(archive_config("formats/malicious/keras_tfsm_layer.keras"));
    ASSERT_EQ(analysis.issues.size(), 1u);
    EXPECT_EQ(analysis.issues[0].rule, rules::kKerasSavedModelLayer);
    EXPECT_EQ(analysis.issues[0].evidence[1],
              "loads the SavedModel at '/tmp/hazmat-test/saved_model'");
}

TEST(KerasConfig, ReportsCustomObjectsWithAndWithoutModules) {
    auto analysis = analyze_v3(archive_config("formats/malicious/keras_custom_module.keras"));
    ASSERT_EQ(analysis.issues.size(), 1u);
    EXPECT_EQ(analysis.issues[0].rule, rules::kKerasCustomObject);
    EXPECT_EQ(analysis.issues[0].severity, Severity::medium);
    EXPECT_TRUE(std::count(analysis.issues[0].evidence.begin(), analysis.issues[0].evidence.end(),
                           "registered name 'HazmatDemo>Scale'"));

    // tf.keras configs carry no module: unknown classes need registered code.
    analysis = analyze_keras_config(
        {{"class_name", "Sequential"},
         {"config", {{"layers", {{{"class_name", "MyAttention"}, {"config", json::object()}}}}}}},
        KerasConfigOrigin::legacy_h5);
    ASSERT_EQ(analysis.issues.size(), 1u);
    EXPECT_EQ(analysis.issues[0].severity, Severity::low);
}

TEST(KerasConfig, ReadsTfKerasLambdaLayouts) {
    const json os_function = {
        {"class_name", "Lambda"},
        {"config",
         {{"name", "l"}, {"function", "system"}, {"function_type", "function"}, {"module", "os"}}}};
    auto analysis = analyze_keras_config(os_function, KerasConfigOrigin::legacy_h5);
    ASSERT_EQ(analysis.issues.size(), 1u);
    EXPECT_EQ(analysis.issues[0].rule, rules::kKerasForeignCallable);
    EXPECT_EQ(analysis.issues[0].path, "config.function");

    const json tf_function = {{"class_name", "Lambda"},
                              {"config",
                               {{"function", "relu"},
                                {"function_type", "function"},
                                {"module", "tensorflow.python.ops.gen_nn_ops"}}}};
    EXPECT_TRUE(analyze_keras_config(tf_function, KerasConfigOrigin::legacy_h5).issues.empty());

    const json output_shape_lambda = {
        {"class_name", "Lambda"},
        {"config",
         {{"function", "relu"},
          {"function_type", "function"},
          {"module", "keras.activations"},
          {"output_shape", json::array({"4wEAAA==", nullptr, nullptr})},
          {"output_shape_type", "lambda"}}}};
    analysis = analyze_keras_config(output_shape_lambda, KerasConfigOrigin::legacy_h5);
    ASSERT_EQ(analysis.issues.size(), 1u);
    EXPECT_NE(analysis.issues[0].message.find("in its output_shape"), std::string::npos);
    EXPECT_NE(analysis.issues[0].message.find("CVE-2025-9905"), std::string::npos);
}

TEST(KerasConfig, FlagsTfOpLambdaCallingFileOps) {
    const json config = {{"class_name", "TFOpLambda"},
                         {"config", {{"name", "tf.io.write_file"}, {"function", "io.write_file"}}}};
    const auto analysis = analyze_keras_config(config, KerasConfigOrigin::legacy_h5);
    ASSERT_EQ(analysis.issues.size(), 1u);
    EXPECT_EQ(analysis.issues[0].rule, rules::kKerasGadget);
}

TEST(KerasConfig, CapsIssuesPerRule) {
    json layers = json::array();
    for (int i = 0; i < 100; ++i)
        layers.push_back(layer("os", "system", json::object()));
    EXPECT_EQ(analyze_v3(sequential(layers)).issues.size(), 25u);
}

TEST(KerasConfig, DeeplyNestedConfigIsUnverifiedNotACrash) {
    const std::string text = std::string(200'000, '[') + std::string(200'000, ']');
    const Blob parent;
    Report report;
    const Dispatcher dispatcher({});
    const ScanLimits limits;
    ScanContext context(dispatcher, report, limits);
    EXPECT_FALSE(analyze_keras_config_text(text, KerasConfigOrigin::keras_v3, parent,
                                           location_of({file_part("x.keras")}), "", context));
    report.finish();
    ASSERT_EQ(report.findings().size(), 1u);
    EXPECT_EQ(report.findings()[0].rule_id, rules::kScanUnparseable);
    EXPECT_EQ(report.findings()[0].location.offset, 256u);
    EXPECT_NE(report.findings()[0].message.find("nests deeper than 256 levels"), std::string::npos);
}

TEST(KerasConfig, RepeatedKeysAreUnverifiedAndKerasCopyIsAnalysed) {
    // Keras (Python's json) keeps the last class_name: the Lambda is what it
    // builds, while a reader keeping the first copy would see a Dense layer.
    const std::string text =
        R"({"class_name":"Sequential","config":{"layers":[{"module":"keras.layers",)"
        R"("class_name":"Dense","config":{"function":{"module":"os","class_name":"function",)"
        R"("config":"system","registered_name":"function"}},)"
        R"("class_name":"Lambda","registered_name":null}]}})";
    const Blob parent;
    Report report;
    const Dispatcher dispatcher({});
    const ScanLimits limits;
    ScanContext context(dispatcher, report, limits);
    EXPECT_TRUE(analyze_keras_config_text(text, KerasConfigOrigin::keras_v3, parent,
                                          location_of({file_part("x.keras")}), "", context));
    report.finish();
    const auto unverified = with_rule(report.findings(), rules::kScanUnparseable);
    ASSERT_EQ(unverified.size(), 1u);
    EXPECT_EQ(unverified[0].severity, Severity::high);
    EXPECT_EQ(unverified[0].location.offset, text.rfind("\"class_name\""));
    EXPECT_NE(unverified[0].message.find("key 'class_name' appears more than once in "
                                         "'config.layers[0]'"),
              std::string::npos)
        << unverified[0].message;
    EXPECT_FALSE(with_rule(report.findings(), rules::kKerasForeignCallable).empty());
}

TEST(KerasArchive, ReportsAtTheConfigMemberWithTheKerasVersion) {
    auto run = scan_archive("formats/malicious/keras_get_file.keras");
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_EQ(run->findings()[0].location,
              location_of({file_part("m.archive"), member_part("config.json")}));
    EXPECT_TRUE(has_evidence(run->findings()[0], "written by Keras 3.3.3"));
    EXPECT_EQ(run->report.stats().formats.at("keras"), 1u);
}

TEST(KerasArchive, IgnoresZipsThatAreNotKerasArchives) {
    auto run = scan_archive("formats/malicious/renamed_torch_zip.safetensors");
    EXPECT_TRUE(run->findings().empty());
    EXPECT_EQ(run->report.stats().formats.count("keras"), 0u);
}

TEST(KerasArchive, UnparseableConfigIsUnverified) {
    // A stored zip with config.json "{" and metadata.json.
    const auto good = read_fixture("formats/benign/keras_sequential.keras");
    auto broken = good;
    const auto at = broken.find("{\"module\"");
    ASSERT_NE(at, std::string::npos);
    broken[at] = '[';
    auto run = run_analyzer(std::make_unique<KerasArchiveAnalyzer>(), broken, "m.archive");
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_EQ(run->findings()[0].rule_id, rules::kScanUnparseable);
    // The parse breaks at the ':' after '["module"'.
    auto expected = location_of({file_part("m.archive"), member_part("config.json")});
    expected.offset = 9;
    EXPECT_EQ(run->findings()[0].location, expected);
}

TEST(KerasBase64, DecodesWhatPythonCodecsWrites) {
    EXPECT_EQ(decode_base64("aGF6\nbWF0\n"), "hazmat");
    EXPECT_EQ(decode_base64("aGF6bWE="), "hazma");
    EXPECT_EQ(decode_base64("aGF6bQ=="), "hazm");
    EXPECT_EQ(decode_base64("not base64!"), std::nullopt);
    EXPECT_EQ(decode_base64(""), std::nullopt);
}

TEST(KerasMarshal, ListsIdentifiersInMarshalledCode) {
    // 'z' short ASCII strings as Python 3.11 marshals names.
    const std::string code = std::string("\xe3\x01\x00z\x02os", 7) + "\xda\x06system" +
                             std::string("a\x05\x00\x00\x00x-y z", 10);
    EXPECT_EQ(marshal_names(code), (std::vector<std::string>{"os", "system"}));
}

// --- HDF5 ------------------------------------------------------------------

TEST(KerasH5, ReadsTheLegacyModelAttributes) {
    const auto bytes = read_fixture("formats/benign/keras_legacy.h5");
    EXPECT_EQ(sniff(span_of(bytes)), Format::hdf5);
    const auto attributes = read_keras_h5_attributes(span_of(bytes));
    ASSERT_TRUE(attributes.ok()) << attributes.error().message;
    ASSERT_TRUE(attributes->model_config.has_value());
    EXPECT_EQ(json::parse(*attributes->model_config)["class_name"], "Sequential");
    ASSERT_TRUE(attributes->training_config.has_value());
    EXPECT_EQ(json::parse(*attributes->training_config)["loss"], "mse");
    EXPECT_EQ(attributes->keras_version, "2.15.0");
    EXPECT_EQ(attributes->backend, "tensorflow");
}

TEST(KerasH5, CountsModelsAndPlainHdf5Apart) {
    auto model = run_analyzer(std::make_unique<KerasH5Analyzer>(),
                              read_fixture("formats/benign/keras_legacy.h5"), "m.h5");
    EXPECT_TRUE(model->findings().empty());
    EXPECT_EQ(model->report.stats().formats.at("keras-h5"), 1u);
    // Both configs are handed back for text analyzers.
    ASSERT_EQ(model->dispatched.size(), 2u);
    EXPECT_EQ(model->dispatched[0].location,
              location_of({file_part("m.h5"), embedded_part("attribute model_config")}));

    auto data = run_analyzer(std::make_unique<KerasH5Analyzer>(),
                             read_fixture("formats/benign/data.h5"), "d.h5");
    EXPECT_TRUE(data->findings().empty());
    EXPECT_EQ(data->report.stats().formats.at("hdf5"), 1u);
}

TEST(KerasH5, FlagsLambdaBytecodeInModelConfig) {
    auto run = run_analyzer(std::make_unique<KerasH5Analyzer>(),
                            read_fixture("formats/malicious/keras_lambda_legacy.h5"), "m.h5");
    ASSERT_EQ(run->findings().size(), 1u);
    const auto& finding = run->findings()[0];
    EXPECT_EQ(finding.rule_id, rules::kKerasLambda);
    EXPECT_EQ(finding.severity, Severity::critical);
    EXPECT_EQ(finding.location,
              location_of({file_part("m.h5"), embedded_part("attribute model_config")}));
    EXPECT_TRUE(has_evidence(finding, "'lambda' (Lambda) at config.layers[1]"));
    EXPECT_TRUE(has_evidence(finding, "written by Keras 2.15.0"));
}

TEST(KerasH5, FlagsOsSystemAsLambdaFunction) {
    auto run = run_analyzer(std::make_unique<KerasH5Analyzer>(),
                            read_fixture("formats/malicious/keras_legacy_os_system.h5"), "m.h5");
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_EQ(run->findings()[0].rule_id, rules::kKerasForeignCallable);
}

TEST(KerasH5, TruncatedFilesAreUnverifiedNeverACrash) {
    const auto whole = read_fixture("formats/malicious/keras_lambda_legacy.h5");
    for (const size_t length :
         {8ul, 96ul, 512ul, 1024ul, 2048ul, whole.size() / 2, whole.size() - 1}) {
        auto run =
            run_analyzer(std::make_unique<KerasH5Analyzer>(), whole.substr(0, length), "m.h5");
        EXPECT_FALSE(run->findings().empty()) << length;
    }
}

TEST(KerasH5, FindsTheSignatureAfterAUserBlock) {
    std::string bytes(512, '\0');
    bytes += "\x89HDF\r\n\x1a\n";
    EXPECT_TRUE(has_hdf5_signature(span_of(bytes)));
    EXPECT_FALSE(has_hdf5_signature(span_of(std::string(2048, '\0'))));
}

TEST(KerasH5, SerializesConcurrentReads) {
    const auto bytes = read_fixture("formats/benign/keras_legacy.h5");
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 20; ++i)
                ok += read_keras_h5_attributes(span_of(bytes)).ok() ? 1 : 0;
        });
    }
    for (auto& thread : threads)
        thread.join();
    EXPECT_EQ(ok.load(), 80);
}

}  // namespace
}  // namespace hazmat::models
