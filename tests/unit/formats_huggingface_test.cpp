#include <gtest/gtest.h>

#include <filesystem>

#include "core/rule_ids.hpp"
#include "core/scanner.hpp"
#include "formats_test_support.hpp"
#include "scan/models/huggingface.hpp"

namespace hazmat::models {
namespace {

namespace fs = std::filesystem;

using hazmat::testing::read_fixture;
using hazmat::testing::run_analyzer;
using nlohmann::json;

const fs::path kCustomRepo = fs::path(HAZMAT_FIXTURES_DIR) / "formats/malicious/hf_custom_code";

std::vector<Finding> scan_file_on_disk(const fs::path& path) {
    std::vector<std::unique_ptr<Analyzer>> analyzers;
    analyzers.push_back(std::make_unique<HuggingFaceConfigAnalyzer>());
    const Dispatcher dispatcher(std::move(analyzers));
    const Scanner scanner(dispatcher, ScanLimits{}, 1);
    Report report;
    scanner.scan_file({path, path.string(), fs::file_size(path)}, report);
    report.finish();
    return report.findings();
}

TEST(HuggingFace, ReadsAutoMapAndCustomPipelines) {
    const auto references = remote_code_references(json::parse(R"({
        "auto_map": {"AutoModel": "modeling_x.XModel",
                     "AutoTokenizer": ["tokenization_x.XTokenizer", null],
                     "AutoConfig": "org/repo--configuration_x.XConfig"},
        "custom_pipelines": {"text-gen": {"impl": "pipe.XPipeline", "pt": ["AutoModel"]}}})"));
    ASSERT_EQ(references.size(), 4u);
    std::vector<std::string> seen;
    for (const auto& reference : references)
        seen.push_back(reference.auto_class + "|" + reference.repository + "|" + reference.module);
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (std::vector<std::string>{
                        "AutoConfig|org/repo|configuration_x", "AutoModel||modeling_x",
                        "AutoTokenizer||tokenization_x", "pipeline 'text-gen'||pipe"}));
}

TEST(HuggingFace, FollowsRelativeImportsLikeTransformers) {
    EXPECT_EQ(relative_import_files(kCustomRepo, "modeling_tiny.py"),
              (std::vector<std::string>{"modeling_tiny.py", "configuration_tiny.py", "layers.py"}));
    EXPECT_EQ(relative_import_files(kCustomRepo, "missing.py"),
              (std::vector<std::string>{"missing.py"}));
}

TEST(HuggingFace, ReportsEachModuleWithTheFilesItLoads) {
    const auto findings = scan_file_on_disk(kCustomRepo / "config.json");
    ASSERT_EQ(findings.size(), 3u);
    // configuration_tiny: local, present.
    EXPECT_EQ(findings[0].rule_id, rules::kRemoteCode);
    EXPECT_EQ(findings[0].severity, Severity::medium);
    EXPECT_EQ(findings[0].location.line, 8u);
    EXPECT_EQ(findings[0].evidence,
              (std::vector<std::string>{"AutoConfig -> configuration_tiny.TinyConfig",
                                        "loads configuration_tiny.py"}));
    // modeling_tiny and what it imports.
    EXPECT_EQ(findings[1].severity, Severity::medium);
    EXPECT_EQ(
        findings[1].evidence,
        (std::vector<std::string>{"AutoModel -> modeling_tiny.TinyModel",
                                  "loads modeling_tiny.py, configuration_tiny.py, layers.py"}));
    // Code from another repository.
    EXPECT_EQ(findings[2].severity, Severity::high);
    EXPECT_EQ(findings[2].location.line, 10u);
    EXPECT_NE(findings[2].message.find("from the repository 'hazmat-test/elsewhere'"),
              std::string::npos);
}

TEST(HuggingFace, MissingModuleFileAndTemplateInTokenizerConfig) {
    const auto findings = scan_file_on_disk(kCustomRepo / "tokenizer_config.json");
    ASSERT_EQ(findings.size(), 2u);
    EXPECT_EQ(findings[0].rule_id, rules::kRemoteCode);
    EXPECT_EQ(findings[0].severity, Severity::high);
    EXPECT_EQ(findings[0].evidence.back(), "not in the project: tokenization_tiny.py");
    EXPECT_EQ(findings[1].rule_id, rules::kTemplateInjection);
    EXPECT_EQ(findings[1].severity, Severity::critical);
    EXPECT_EQ(findings[1].location.line, 9u);
}

TEST(HuggingFace, PlainConfigsAndBenignTemplatesRaiseNothing) {
    const auto plain = fs::path(HAZMAT_FIXTURES_DIR) / "formats/benign/hf_plain";
    EXPECT_TRUE(scan_file_on_disk(plain / "tokenizer_config.json").empty());
    const HuggingFaceConfigAnalyzer analyzer;
    Blob blob;
    blob.name = "config.json";
    blob.bytes = hazmat::testing::bytes_of(read_fixture("formats/benign/hf_plain/config.json"));
    EXPECT_FALSE(analyzer.accepts(blob, Format::unknown));
}

TEST(HuggingFace, ConfigsInsideArchivesAreReportedWithoutFileChecks) {
    auto run =
        run_analyzer(std::make_unique<HuggingFaceConfigAnalyzer>(),
                     R"({"auto_map": {"AutoModel": "modeling_x.X"}})", "nowhere/config.json");
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_EQ(run->findings()[0].severity, Severity::medium);
    EXPECT_EQ(run->findings()[0].evidence, (std::vector<std::string>{"AutoModel -> modeling_x.X"}));
}

TEST(HuggingFace, UnparseableConfigIsUnverified) {
    auto run = run_analyzer(std::make_unique<HuggingFaceConfigAnalyzer>(),
                            R"({"auto_map": {"AutoModel": )", "x/config.json");
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_EQ(run->findings()[0].rule_id, rules::kScanUnparseable);
}

TEST(HuggingFace, RepeatedKeysAreUnverifiedAndTheLastCopyIsAnalysed) {
    // Python's json keeps the second auto_map; a reader keeping the first
    // would see no custom code at all.
    const std::string text = R"({"auto_map": {}, "auto_map": {"AutoModel": "modeling_x.X"}})";
    auto run =
        run_analyzer(std::make_unique<HuggingFaceConfigAnalyzer>(), text, "nowhere/config.json");
    ASSERT_EQ(run->findings().size(), 2u);
    const auto unverified = hazmat::testing::with_rule(run->findings(), rules::kScanUnparseable);
    ASSERT_EQ(unverified.size(), 1u);
    EXPECT_EQ(unverified[0].severity, Severity::high);
    EXPECT_EQ(unverified[0].location.offset, text.rfind("\"auto_map\""));
    EXPECT_NE(unverified[0].message.find("key 'auto_map' appears more than once"),
              std::string::npos);
    EXPECT_EQ(hazmat::testing::with_rule(run->findings(), rules::kRemoteCode).size(), 1u);
}

}  // namespace
}  // namespace hazmat::models
