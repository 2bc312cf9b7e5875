// Every fixture of tests/fixtures/formats, scanned through the CLI, must
// produce exactly the findings tests/fixtures/formats/MANIFEST.md lists: rule,
// severity and location chain of everything above info, plus the formats
// hazmat recognised. Malicious fixtures carry harmless payloads and are only
// ever scanned.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "cli_runner.hpp"

namespace hazmat::e2e {
namespace {

struct ExpectedFinding {
    std::string rule_id;
    std::string severity;
    Chain chain;

    bool operator==(const ExpectedFinding&) const = default;
    auto operator<=>(const ExpectedFinding&) const = default;
};

void PrintTo(const ExpectedFinding& finding, std::ostream* out) {
    *out << finding.rule_id << " " << finding.severity << " at";
    for (const auto& [kind, name] : finding.chain)
        *out << " " << kind << ":" << name;
}

struct FixtureCase {
    std::string test_name;
    std::string target;  // relative to tests/fixtures
    std::vector<ExpectedFinding> above_info;
    std::vector<std::string> info_rules;  // must be present (others may be)
    std::map<std::string, int> formats;   // format counts of the summary
};

void PrintTo(const FixtureCase& fixture, std::ostream* out) {
    *out << fixture.target;
}

const std::string kBenign = "formats/benign/";
const std::string kMalicious = "formats/malicious/";

Chain file(const std::string& path) {
    return {{"file", path}};
}
Chain member(const std::string& path, const std::string& name) {
    return {{"file", path}, {"member", name}};
}
Chain embedded(const std::string& path, const std::string& name) {
    return {{"file", path}, {"embedded", name}};
}

std::vector<FixtureCase> benign_cases() {
    return {
        {"KerasSequential",
         kBenign + "keras_sequential.keras",
         {},
         {},
         {{"keras", 1}, {"zip", 1}, {"hdf5", 1}}},
        {"KerasFunctional",
         kBenign + "keras_functional.keras",
         {},
         {},
         {{"keras", 1}, {"zip", 1}, {"hdf5", 1}}},
        {"KerasLegacyH5", kBenign + "keras_legacy.h5", {}, {}, {{"keras-h5", 1}}},
        {"PlainHdf5", kBenign + "data.h5", {}, {}, {{"hdf5", 1}}},
        {"SavedModel",
         kBenign + "savedmodel",
         {},
         {"HZ-MDL-015"},
         {{"tf-savedmodel", 1}, {"keras-metadata", 1}, {"tf-fingerprint", 1}}},
        {"OnnxLinear", kBenign + "onnx_linear.onnx", {}, {}, {{"onnx", 1}}},
        {"OnnxExternalData", kBenign + "onnx_external", {}, {}, {{"onnx", 1}}},
        {"OnnxExternalDataNamedBin",
         kBenign + "onnx_external_bin",
         {},
         {},
         {{"onnx", 1}, {"onnx-external-data", 1}}},
        {"GgufChatMl", kBenign + "llama_chatml.gguf", {}, {}, {{"gguf", 1}}},
        {"GgufProseTemplate", kBenign + "llama_prose_template.gguf", {}, {}, {{"gguf", 1}}},
        {"Safetensors", kBenign + "linear.safetensors", {}, {}, {{"safetensors", 1}}},
        {"HuggingFacePlain", kBenign + "hf_plain", {}, {}, {{"hf-config", 1}}},
    };
}

std::vector<FixtureCase> malicious_cases() {
    const auto m = [](const std::string& name) { return kMalicious + name; };
    return {
        {"KerasLambdaNested",
         m("keras_lambda_nested.keras"),
         {{"HZ-MDL-007", "critical", member(m("keras_lambda_nested.keras"), "config.json")}},
         {},
         {{"keras", 1}}},
        {"KerasOsSystem",
         m("keras_os_system.keras"),
         {{"HZ-MDL-008", "critical", member(m("keras_os_system.keras"), "config.json")}},
         {},
         {{"keras", 1}}},
        {"KerasGetFile",
         m("keras_get_file.keras"),
         {{"HZ-MDL-009", "high", member(m("keras_get_file.keras"), "config.json")}},
         {},
         {{"keras", 1}}},
        {"KerasUnsafeSwitch",
         m("keras_unsafe_switch.keras"),
         {{"HZ-MDL-007", "critical", member(m("keras_unsafe_switch.keras"), "config.json")},
          {"HZ-MDL-010", "critical", member(m("keras_unsafe_switch.keras"), "config.json")}},
         {},
         {{"keras", 1}}},
        {"KerasTorchModuleWrapper",
         m("keras_torch_module.keras"),
         {{"HZ-MDL-011", "high", member(m("keras_torch_module.keras"), "config.json")}},
         {},
         {{"keras", 1}, {"pytorch-zip", 1}, {"zip", 2}}},
        {"KerasTfsmLayer",
         m("keras_tfsm_layer.keras"),
         {{"HZ-MDL-012", "high", member(m("keras_tfsm_layer.keras"), "config.json")}},
         {},
         {{"keras", 1}}},
        {"KerasCustomModule",
         m("keras_custom_module.keras"),
         {{"HZ-MDL-013", "medium", member(m("keras_custom_module.keras"), "config.json")}},
         {},
         {{"keras", 1}}},
        {"KerasLegacyLambda",
         m("keras_lambda_legacy.h5"),
         {{"HZ-MDL-007", "critical",
           embedded(m("keras_lambda_legacy.h5"), "attribute model_config")}},
         {},
         {{"keras-h5", 1}}},
        {"KerasLegacyOsSystem",
         m("keras_legacy_os_system.h5"),
         {{"HZ-MDL-008", "critical",
           embedded(m("keras_legacy_os_system.h5"), "attribute model_config")}},
         {},
         {{"keras-h5", 1}}},
        {"SavedModelOps",
         m("savedmodel"),
         {{"HZ-MDL-007", "critical", file(m("savedmodel/keras_metadata.pb"))},
          {"HZ-MDL-014", "high", file(m("savedmodel/saved_model.pb"))},
          {"HZ-MDL-015", "medium", file(m("savedmodel/saved_model.pb"))},
          {"HZ-MDL-015", "high", file(m("savedmodel/saved_model.pb"))},
          {"HZ-MDL-016", "high", file(m("savedmodel/saved_model.pb"))},
          {"HZ-MDL-016", "high", file(m("savedmodel/saved_model.pb"))}},
         {},
         {{"tf-savedmodel", 1}, {"keras-metadata", 1}}},
        {"OnnxCustomDomain", m("onnx_custom_domain.onnx"), {}, {"HZ-MDL-018"}, {{"onnx", 1}}},
        {"OnnxExternalAbsolute",
         m("onnx_external_absolute.onnx"),
         {{"HZ-MDL-017", "high", file(m("onnx_external_absolute.onnx"))}},
         {},
         {{"onnx", 1}}},
        {"OnnxExternalTraversal",
         m("onnx_external_traversal.onnx"),
         {{"HZ-MDL-017", "high", file(m("onnx_external_traversal.onnx"))}},
         {},
         {{"onnx", 1}}},
        {"OnnxExternalDataThatIsAPickle",
         m("onnx_external_pickle"),
         {{"HZ-PKL-002", "critical", file(m("onnx_external_pickle/weights.bin"))}},
         {},
         {{"onnx", 1}, {"onnx-external-data", 0}}},
        {"OnnxSizeMismatch",
         m("onnx_size_mismatch.onnx"),
         {{"HZ-MDL-019", "medium", file(m("onnx_size_mismatch.onnx"))}},
         {},
         {{"onnx", 1}}},
        {"GgufSstiTemplate",
         m("gguf_ssti_template.gguf"),
         {{"HZ-MDL-020", "critical", file(m("gguf_ssti_template.gguf"))}},
         {},
         {{"gguf", 1}}},
        {"GgufObfuscatedTemplate",
         m("gguf_obfuscated_template.gguf"),
         {{"HZ-MDL-020", "critical", file(m("gguf_obfuscated_template.gguf"))}},
         {},
         {{"gguf", 1}}},
        {"GgufHugeArray",
         m("gguf_huge_array.gguf"),
         {{"HZ-SCAN-002", "high", file(m("gguf_huge_array.gguf"))}},
         {},
         {{"gguf", 1}}},
        {"GgufTruncated",
         m("gguf_truncated.gguf"),
         {{"HZ-SCAN-002", "high", file(m("gguf_truncated.gguf"))}},
         {},
         {{"gguf", 1}}},
        {"GgufTensorPastEnd",
         m("gguf_tensor_past_end.gguf"),
         {{"HZ-SCAN-002", "high", file(m("gguf_tensor_past_end.gguf"))}},
         {},
         {{"gguf", 1}}},
        {"SafetensorsOverlap",
         m("safetensors_overlap.safetensors"),
         {{"HZ-SCAN-002", "high", file(m("safetensors_overlap.safetensors"))}},
         {},
         {{"safetensors", 1}}},
        {"SafetensorsOutOfBounds",
         m("safetensors_out_of_bounds.safetensors"),
         {{"HZ-SCAN-002", "high", file(m("safetensors_out_of_bounds.safetensors"))}},
         {},
         {{"safetensors", 1}}},
        {"SafetensorsBadDtype",
         m("safetensors_bad_dtype.safetensors"),
         {{"HZ-SCAN-002", "high", file(m("safetensors_bad_dtype.safetensors"))}},
         {},
         {{"safetensors", 1}}},
        {"SafetensorsLengthPastEnd",
         m("safetensors_length_past_end.safetensors"),
         {{"HZ-SCAN-002", "high", file(m("safetensors_length_past_end.safetensors"))}},
         {},
         {{"safetensors", 1}}},
        {"SafetensorsTrailingZip",
         m("safetensors_trailing_zip.safetensors"),
         {{"HZ-MDL-006", "medium", file(m("safetensors_trailing_zip.safetensors"))}},
         {},
         {{"safetensors", 1}, {"zip", 1}, {"pytorch-zip", 1}}},
        {"SafetensorsMetadataTemplate",
         m("safetensors_metadata_template.safetensors"),
         {{"HZ-MDL-020", "critical", file(m("safetensors_metadata_template.safetensors"))}},
         {},
         {{"safetensors", 1}}},
        {"SafetensorsDuplicateMetadata",
         m("safetensors_duplicate_metadata.safetensors"),
         {{"HZ-SCAN-002", "high", file(m("safetensors_duplicate_metadata.safetensors"))},
          {"HZ-MDL-020", "critical", file(m("safetensors_duplicate_metadata.safetensors"))}},
         {},
         {{"safetensors", 1}}},
        {"SafetensorsDuplicateTensor",
         m("safetensors_duplicate_tensor.safetensors"),
         {{"HZ-SCAN-002", "high", file(m("safetensors_duplicate_tensor.safetensors"))}},
         {},
         {{"safetensors", 1}}},
        {"RenamedTorchZip",
         m("renamed_torch_zip.safetensors"),
         {},
         {},
         {{"safetensors", 0}, {"zip", 1}, {"pytorch-zip", 1}}},
        {"TorchScriptCustomOp",
         m("torchscript_custom_op.pt"),
         {{"HZ-MDL-021", "medium",
           member(m("torchscript_custom_op.pt"), "archive/code/__torch__.py")}},
         {"HZ-MDL-004"},
         {{"torchscript", 1}}},
        {"HuggingFaceCustomCode",
         m("hf_custom_code"),
         {{"HZ-MDL-022", "medium", file(m("hf_custom_code/config.json"))},
          {"HZ-MDL-022", "medium", file(m("hf_custom_code/config.json"))},
          {"HZ-MDL-022", "high", file(m("hf_custom_code/config.json"))},
          {"HZ-MDL-022", "high", file(m("hf_custom_code/tokenizer_config.json"))},
          {"HZ-MDL-020", "critical", file(m("hf_custom_code/tokenizer_config.json"))}},
         {},
         {{"hf-config", 2}}},
    };
}

nlohmann::json scan(const std::string& target, int& exit_code) {
    CliOptions options;
    options.cwd = fixtures_dir();
    const auto result = run_hazmat({"scan", "--format", "json", target}, options);
    exit_code = result.exit_code;
    return parse_report(result);
}

// Pickles inside the PyTorch archives some fixtures carry belong to the
// pickle analyzers and their own tests (tests/e2e/models_test.cpp).
bool inside_pickle_member(const nlohmann::json& finding) {
    for (const auto& part : finding["location"]["chain"]) {
        const auto name = part["name"].get<std::string>();
        if (part["kind"] == "member" && name.size() > 4 && name.ends_with(".pkl"))
            return true;
    }
    return false;
}

std::vector<ExpectedFinding> reported_above_info(const nlohmann::json& report) {
    std::vector<ExpectedFinding> found;
    for (const auto& finding : findings_above_info(report)) {
        if (inside_pickle_member(finding))
            continue;
        found.push_back({finding["rule_id"].get<std::string>(),
                         finding["severity"].get<std::string>(), chain_of(finding)});
    }
    std::sort(found.begin(), found.end());
    return found;
}

void expect_manifest_findings(const FixtureCase& fixture) {
    int exit_code = -1;
    const auto report = scan(fixture.target, exit_code);

    auto expected = fixture.above_info;
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(reported_above_info(report), expected) << report.dump(2);
    bool severe = false;
    for (const auto& finding : expected)
        severe = severe || finding.severity == "high" || finding.severity == "critical";
    if (severe) {
        EXPECT_EQ(exit_code, 1);
    }
    for (const auto& rule : fixture.info_rules) {
        const auto found = findings_with_rule(report, rule);
        ASSERT_FALSE(found.empty()) << rule;
        EXPECT_EQ(found[0]["severity"], "info") << rule;
    }
    for (const auto& [format, count] : fixture.formats)
        EXPECT_EQ(report["summary"]["formats"].value(format, 0), count) << format;
}

class BenignFormatFixture : public ::testing::TestWithParam<FixtureCase> {};
class MaliciousFormatFixture : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(BenignFormatFixture, NothingAboveInfo) {
    expect_manifest_findings(GetParam());
}

TEST_P(MaliciousFormatFixture, ReportsExactlyWhatTheManifestLists) {
    expect_manifest_findings(GetParam());
}

std::string case_name(const ::testing::TestParamInfo<FixtureCase>& info) {
    return info.param.test_name;
}

INSTANTIATE_TEST_SUITE_P(Formats, BenignFormatFixture, ::testing::ValuesIn(benign_cases()),
                         case_name);
INSTANTIATE_TEST_SUITE_P(Formats, MaliciousFormatFixture, ::testing::ValuesIn(malicious_cases()),
                         case_name);

TEST(FormatSummary, BenignFixturesAreAllCleanPerFormat) {
    int exit_code = -1;
    const auto report = scan("formats/benign", exit_code);
    EXPECT_EQ(exit_code, 0);
    const auto& outcomes = report["summary"]["outcomes"];
    for (const auto* format : {"gguf", "safetensors", "keras", "keras-h5", "onnx", "tf-savedmodel"})
        EXPECT_EQ(outcomes[format]["clean"], outcomes[format]["objects"]) << format;
    EXPECT_EQ(outcomes["safetensors"]["objects"], 1);
    EXPECT_EQ(outcomes["gguf"]["objects"], 2);
}

TEST(FormatSummary, TextReportSaysWhichFormatsWereVerifiedOrFlagged) {
    CliOptions options;
    options.cwd = fixtures_dir();
    const auto result = run_hazmat({"scan", "formats/benign/linear.safetensors",
                                    "formats/malicious/safetensors_overlap.safetensors",
                                    "formats/malicious/gguf_ssti_template.gguf"},
                                   options);
    EXPECT_NE(result.out.find("By format: 1 gguf: 1 with findings; 2 safetensors: 1 clean, 1 "
                              "unverified.\n"),
              std::string::npos)
        << result.out;
}

}  // namespace
}  // namespace hazmat::e2e
