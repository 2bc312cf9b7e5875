// examples/sentiment-demo is the project a user would download. Its README's
// "Expected hazmat findings" section is the contract checked here: exactly one
// finding at high or above, at the member and byte offset the README gives,
// and the advice below high at the lines it gives.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

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

    std::vector<nlohmann::json> blocking;
    for (const auto& finding : report["findings"]) {
        if (finding["severity"] == "critical" || finding["severity"] == "high")
            blocking.push_back(finding);
    }
    ASSERT_EQ(blocking.size(), 1u) << report.dump(2);
    const auto& finding = blocking[0];
    EXPECT_EQ(finding["rule_id"], "HZ-PKL-002");
    EXPECT_EQ(finding["severity"], "critical");
    EXPECT_EQ(chain_of(finding),
              (Chain{{"file", "examples/sentiment-demo/models/sentiment-head.pt"},
                     {"member", "sentiment-head/data.pkl"}}));
    EXPECT_EQ(finding["location"]["offset"], kPayloadImportOffset);
    const auto evidence = finding["evidence"].dump();
    EXPECT_NE(evidence.find(kPayloadCallEvidence), std::string::npos) << evidence;
}

TEST(SentimentDemo, AdviceBelowHighIsWhereTheReadmeSaysItIs) {
    int exit_code = -1;
    const auto report = scan_example(exit_code);
    std::vector<std::tuple<std::string, std::string, std::string, int>> advice;
    for (const auto& finding : findings_above_info(report)) {
        if (finding["rule_id"] == "HZ-PKL-002")
            continue;
        advice.emplace_back(finding["rule_id"], finding["severity"],
                            finding["location"]["chain"][0]["name"],
                            finding["location"].value("line", 0));
    }
    std::sort(advice.begin(), advice.end());
    const std::string predict = "examples/sentiment-demo/predict.py";
    const std::string requirements = "examples/sentiment-demo/requirements.txt";
    EXPECT_EQ(advice, (decltype(advice){{"HZ-CODE-070", "medium", predict, 14},
                                        {"HZ-CODE-070", "medium", predict, 15},
                                        {"HZ-CODE-072", "medium", predict, 12},
                                        {"HZ-DEP-003", "low", requirements, 1}}));
}

TEST(SentimentDemo, ExaminesEveryModel) {
    int exit_code = -1;
    const auto report = scan_example(exit_code);
    EXPECT_EQ(report["summary"]["formats"].value("pytorch-zip", 0), 2);
    EXPECT_EQ(report["summary"]["files"], 9);
}

}  // namespace
}  // namespace hazmat::e2e
