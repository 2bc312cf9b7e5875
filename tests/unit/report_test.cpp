#include "core/report.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/exit_code.hpp"
#include "core/rule_ids.hpp"
#include "report/render.hpp"

namespace hazmat {
namespace {

Location member_location(std::string file, std::string member, uint64_t offset) {
    Location location;
    location.chain = {{LocationPart::Kind::file, std::move(file)},
                      {LocationPart::Kind::member, std::move(member)}};
    location.offset = offset;
    return location;
}

void fill_sample(Report& report) {
    report.target = "project";
    report.hazmat_version = "9.9.9";
    report.rules_version = "r1";
    report.data_version = "d1";
    report.add(Finding::make(rules::kZipAnomaly, "CRC mismatch",
                             member_location("project/b.pt", "b/data.pkl", 7)));
    report.add(Finding::make(rules::kScanLimit, "limit", member_location("project/a.pt", "a/x", 3))
                   .with_evidence("more than 12 levels"));
    report.count_format("zip");
    report.count_format("zip");
    report.add_stats(2, 5, 1000, 1);
    report.finish();
}

TEST(Report, SortsFindingsByLocation) {
    Report report;
    fill_sample(report);
    ASSERT_EQ(report.findings().size(), 2u);
    EXPECT_EQ(report.findings()[0].location.file(), "project/a.pt");
    EXPECT_EQ(report.findings()[1].location.file(), "project/b.pt");
}

TEST(Report, DropsExactDuplicates) {
    Report report;
    const auto location = member_location("f", "m", 1);
    report.add(Finding::make(rules::kZipAnomaly, "same", location));
    report.add(Finding::make(rules::kZipAnomaly, "same", location));
    report.finish();
    EXPECT_EQ(report.findings().size(), 1u);
}

TEST(ExitCode, FollowsFailOnThreshold) {
    Report report;
    fill_sample(report);  // one high, one medium
    report.fail_on = Severity::high;
    EXPECT_EQ(exit_code_for(report), kExitFindings);
    report.fail_on = Severity::critical;
    EXPECT_EQ(exit_code_for(report), kExitClean);
    report.fail_on = Severity::medium;
    EXPECT_EQ(exit_code_for(report), kExitFindings);
}

TEST(JsonRenderer, CarriesSchemaToolSummaryAndFindings) {
    Report report;
    fill_sample(report);
    const auto json = nlohmann::json::parse(render_json(report));
    EXPECT_EQ(json["schema_version"], kJsonSchemaVersion);
    EXPECT_EQ(json["tool"]["version"], "9.9.9");
    EXPECT_EQ(json["tool"]["rules_version"], "r1");
    EXPECT_EQ(json["exit_code"], 1);
    EXPECT_EQ(json["summary"]["findings"]["high"], 1);
    EXPECT_EQ(json["summary"]["findings"]["medium"], 1);
    EXPECT_EQ(json["summary"]["max_severity"], "high");
    EXPECT_EQ(json["summary"]["formats"]["zip"], 2);
    EXPECT_EQ(json["summary"]["files"], 2);
    const auto& first = json["findings"][0];
    EXPECT_EQ(first["rule_id"], "HZ-SCAN-001");
    EXPECT_EQ(first["severity"], "high");
    EXPECT_EQ(first["location"]["file"], "project/a.pt");
    EXPECT_EQ(first["location"]["chain"][1]["kind"], "member");
    EXPECT_EQ(first["location"]["chain"][1]["name"], "a/x");
    EXPECT_EQ(first["location"]["offset"], 3);
    EXPECT_EQ(first["evidence"][0], "more than 12 levels");
    EXPECT_EQ(first["cwe"], 400);
}

TEST(TextRenderer, GroupsByFileAndSummarises) {
    Report report;
    fill_sample(report);
    const auto text = render_text(report, TextOptions{});
    EXPECT_NE(text.find("project/a.pt\n  HIGH     HZ-SCAN-001"), std::string::npos) << text;
    EXPECT_NE(text.find("at a/x @ byte 3"), std::string::npos) << text;
    EXPECT_NE(text.find("Examined 2 files"), std::string::npos) << text;
    EXPECT_NE(text.find("1 high, 1 medium"), std::string::npos) << text;
    // No escape sequences unless colour was asked for.
    EXPECT_EQ(text.find('\x1b'), std::string::npos);
}

TEST(TextRenderer, ShowsRemediationOnlyForTrippingFindingsUnlessVerbose) {
    Report report;
    fill_sample(report);
    const auto terse = render_text(report, TextOptions{});
    const auto verbose = render_text(report, TextOptions{false, true});
    const auto count = [](const std::string& text) {
        size_t n = 0;
        for (auto pos = text.find("what to do:"); pos != std::string::npos;
             pos = text.find("what to do:", pos + 1)) {
            ++n;
        }
        return n;
    };
    EXPECT_EQ(count(terse), 1u);
    EXPECT_EQ(count(verbose), 2u);
}

TEST(TextRenderer, NamesTheOffsetWhenTheFindingIsInTheFileItself) {
    Report report;
    Location location;
    location.chain = {{LocationPart::Kind::file, "model.pkl"}};
    location.offset = 42;
    report.add(Finding::make(rules::kScanUnparseable, "broken", location));
    report.finish();
    const auto text = render_text(report, TextOptions{});
    EXPECT_NE(text.find("           at byte 42\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace hazmat
