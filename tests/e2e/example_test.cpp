// examples/sentiment-demo is the project a user would download. Its README's
// "Expected hazmat findings" section is the contract checked here: exactly one
// finding above info, at the member and byte offset the README gives.

#include <gtest/gtest.h>

#include "cli_runner.hpp"

namespace hazmat::e2e {
namespace {

// From examples/sentiment-demo/README.md: the STACK_GLOBAL that imports
// pydoc.pipepager sits at byte 30 of sentiment-head/data.pkl, the REDUCE that
// calls it at byte 87.
constexpr int kPayloadImportOffset = 30;
constexpr std::string_view kPayloadCallEvidence = "REDUCE at byte 87 calls pydoc.pipepager";

nlohmann::json scan_example(int& exit_code) {
    CliOptions options;
    options.cwd = source_dir();
    const auto result =
        run_hazmat({"scan", "--format", "json", "examples/sentiment-demo"}, options);
    exit_code = result.exit_code;
    return parse_report(result);
}

TEST(SentimentDemo, ReportsOnlyTheHiddenShellCall) {
    int exit_code = -1;
    const auto report = scan_example(exit_code);
    EXPECT_EQ(exit_code, 1);

    const auto findings = findings_above_info(report);
    ASSERT_EQ(findings.size(), 1u) << report.dump(2);
    const auto& finding = findings[0];
    EXPECT_EQ(finding["rule_id"], "HZ-PKL-002");
    EXPECT_EQ(finding["severity"], "critical");
    EXPECT_EQ(chain_of(finding),
              (Chain{{"file", "examples/sentiment-demo/models/sentiment-head.pt"},
                     {"member", "sentiment-head/data.pkl"}}));
    EXPECT_EQ(finding["location"]["offset"], kPayloadImportOffset);
    const auto evidence = finding["evidence"].dump();
    EXPECT_NE(evidence.find(kPayloadCallEvidence), std::string::npos) << evidence;
}

TEST(SentimentDemo, ExaminesEveryModel) {
    int exit_code = -1;
    const auto report = scan_example(exit_code);
    EXPECT_EQ(report["summary"]["formats"].value("pytorch-zip", 0), 2);
    EXPECT_EQ(report["summary"]["files"], 9);
}

}  // namespace
}  // namespace hazmat::e2e
