// `hazmat db import`, `hazmat db status` and scans that use imported
// advisories, run as a user would, with HOME and XDG_DATA_HOME pointing
// into a temporary directory. The OSV records for npm, MAL- ids and the
// rarer range events are written for these tests (tests/fixtures/deps/osv).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "deps_test_support.hpp"
#include "scan/deps/dependency_rules.hpp"

namespace hazmat::deps {
namespace {

using namespace hazmat::deps::testing;
using nlohmann::json;

struct JsonFinding {
    std::string rule;
    std::string severity;
    std::string file;
    int line;
    std::string message;
    std::vector<std::string> evidence;
};

std::vector<JsonFinding> scan_json(const std::filesystem::path& home, const std::string& target) {
    const auto run = run_hazmat(home, fmt::format("scan -q --format json '{}'", target));
    const auto report = json::parse(run.output);
    std::vector<JsonFinding> findings;
    for (const auto& finding : report["findings"]) {
        findings.push_back({finding["rule_id"], finding["severity"], finding["location"]["file"],
                            finding["location"].value("line", 0), finding["message"],
                            finding["evidence"]});
    }
    return findings;
}

std::vector<const JsonFinding*> find(const std::vector<JsonFinding>& findings,
                                     std::string_view rule, std::string_view file_suffix,
                                     int line) {
    std::vector<const JsonFinding*> matching;
    for (const auto& finding : findings) {
        if (finding.rule == rule && std::string_view(finding.file).ends_with(file_suffix) &&
            finding.line == line)
            matching.push_back(&finding);
    }
    return matching;
}

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

TEST(DatabaseCommand, ImportRecordsSourceAndHashAndStatusShowsThem) {
    TempDir home;
    const auto input = fixture("osv/test-advisories.jsonl").string();
    const auto imported = run_hazmat(
        home.path(), fmt::format("db import --source 'hazmat test advisories' '{}'", input));
    ASSERT_EQ(imported.exit_code, 0) << imported.output;
    EXPECT_TRUE(contains(imported.output, "imported 8 advisories")) << imported.output;
    EXPECT_TRUE(contains(imported.output,
                         "records read 9, stored 8, already newer 0, no PyPI or npm package 1, "
                         "not OSV 1"))
        << imported.output;
    EXPECT_TRUE(std::filesystem::exists(home.path() / "share" / "hazmat" /
                                        std::string(kVulnerabilityDatabaseName)));

    const auto status = run_hazmat(home.path(), "db status");
    ASSERT_EQ(status.exit_code, 0) << status.output;
    EXPECT_TRUE(contains(status.output, "user database (takes precedence")) << status.output;
    EXPECT_TRUE(contains(status.output, ": hazmat test advisories")) << status.output;
    EXPECT_TRUE(contains(status.output, "advisories 8 (malicious packages 2, withdrawn 1)"))
        << status.output;
    EXPECT_TRUE(contains(status.output, "file test-advisories.jsonl sha256 ")) << status.output;
    EXPECT_TRUE(contains(status.output, "shipped database: ")) << status.output;
    EXPECT_TRUE(contains(status.output, "advisories 2661")) << status.output;
}

TEST(DatabaseCommand, FailedImportIsExitTwoAndLeavesNoDatabase) {
    TempDir home;
    const auto run = run_hazmat(
        home.path(), fmt::format("db import '{}'", fixture("osv/other-ecosystems.jsonl").string()));
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_TRUE(contains(run.output, "import failed, database unchanged")) << run.output;
    const auto status = run_hazmat(home.path(), "db status");
    EXPECT_FALSE(contains(status.output, "user database")) << status.output;
}

TEST(DatabaseCommand, ImportedNpmAdvisoriesAndMalwareAreReported) {
    TempDir home;
    ASSERT_EQ(run_hazmat(home.path(), fmt::format("db import '{}'",
                                                  fixture("osv/test-advisories.jsonl").string()))
                  .exit_code,
              0);
    const auto findings = scan_json(home.path(), fixture("npm-project").string());

    // package.json: a range over the vulnerable versions, and malware.
    const auto range = find(findings, rules::kDepRangeVulnerable, "package.json", 5);
    ASSERT_EQ(range.size(), 1u);
    EXPECT_EQ(range[0]->severity, "low");
    EXPECT_EQ(range[0]->evidence,
              std::vector<std::string>{
                  "HZT-NPM-0001 (CVE-2099-1001, GHSA-hztt-0001-0001): Test advisory for lodash "
                  "before 4.17.21; affected: >=4.17.0, <4.17.21; fixed in 4.17.21"});
    const auto malware = find(findings, rules::kDepMalicious, "package.json", 6);
    ASSERT_EQ(malware.size(), 1u);
    EXPECT_EQ(malware[0]->severity, "critical");
    EXPECT_EQ(malware[0]->message,
              "evil-colors-helper@^1.0.0 is listed as malicious by MAL-2099-0001.");

    // package-lock.json: exact versions against every kind of range event.
    const auto lodash = find(findings, rules::kDepVulnerable, "package-lock.json", 11);
    ASSERT_EQ(lodash.size(), 1u);
    EXPECT_EQ(lodash[0]->severity, "high");
    EXPECT_EQ(lodash[0]->message,
              "lodash 4.17.20 is affected by HZT-NPM-0001 (CVE-2099-1001, GHSA-hztt-0001-0001); "
              "fixed in 4.17.21.");
    const auto last_affected = find(findings, rules::kDepVulnerable, "package-lock.json", 16);
    ASSERT_EQ(last_affected.size(), 1u);
    EXPECT_EQ(last_affected[0]->severity, "medium");
    EXPECT_TRUE(find(findings, rules::kDepVulnerable, "package-lock.json", 21).empty());
    EXPECT_EQ(find(findings, rules::kDepVulnerable, "package-lock.json", 26).size(), 1u);
    EXPECT_TRUE(find(findings, rules::kDepVulnerable, "package-lock.json", 31).empty());
    EXPECT_EQ(find(findings, rules::kDepVulnerable, "package-lock.json", 36).size(), 1u);
    EXPECT_EQ(find(findings, rules::kDepVulnerable, "package-lock.json", 41).size(), 1u);
    // The withdrawn advisory is not reported anywhere.
    for (const auto& finding : findings)
        EXPECT_FALSE(contains(finding.message, "withdrawn-pkg")) << finding.message;
}

TEST(DatabaseCommand, ImportedMalwareRecordMatchesItsListedVersions) {
    TempDir home;
    ASSERT_EQ(
        run_hazmat(home.path(), fmt::format("db import '{}'", fixture("osv/all.zip").string()))
            .exit_code,
        0);
    const auto findings = scan_json(home.path(), fixture("malware").string());
    const auto malware = find(findings, rules::kDepMalicious, "requirements.txt", 1);
    ASSERT_EQ(malware.size(), 1u);
    EXPECT_EQ(malware[0]->message,
              "harmless-looking-lib==1.0.1 is listed as malicious by MAL-2099-0002.");
}

TEST(DatabaseCommand, UserImportTakesPrecedenceOverTheShippedSnapshot) {
    TempDir home;
    const auto before = scan_json(home.path(), fixture("vulnerable").string());
    ASSERT_EQ(find(before, rules::kDepVulnerable, "requirements.txt", 1).size(), 1u);
    ASSERT_EQ(run_hazmat(home.path(), fmt::format("db import '{}'",
                                                  fixture("osv/withdraw-torch.jsonl").string()))
                  .exit_code,
              0);
    const auto after = scan_json(home.path(), fixture("vulnerable").string());
    EXPECT_TRUE(find(after, rules::kDepVulnerable, "requirements.txt", 1).empty());
    EXPECT_EQ(find(after, rules::kDepVulnerable, "requirements.txt", 2).size(), 1u);
}

TEST(DatabaseCommand, VersionNamesTheDatabases) {
    TempDir home;
    const auto run = run_hazmat(home.path(), "--version");
    EXPECT_EQ(run.exit_code, 0);
    EXPECT_TRUE(contains(run.output,
                         "shipped vulnerability database: 2661 advisories, PyPA Advisory "
                         "Database, snapshot of 2024-10-10 (CC-BY 4.0)"))
        << run.output;
}

}  // namespace
}  // namespace hazmat::deps
