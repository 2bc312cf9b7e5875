// The command-line contract: help, versions, exit codes, data-directory
// lookup, the JSON report's shape and --output.

#include <gtest/gtest.h>

#include "cli_runner.hpp"
#include "core/rule_registry.hpp"
#include "hazmat_version.hpp"

namespace hazmat::e2e {
namespace {

namespace fs = std::filesystem;

std::string trimmed_file(const fs::path& path) {
    auto text = read_file(path);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
        text.pop_back();
    return text;
}

std::string rules_version() {
    return trimmed_file(source_dir() / "rules" / "VERSION");
}
std::string data_version() {
    return trimmed_file(source_dir() / "data" / "VERSION");
}

// A data directory whose versions differ from the shipped ones, so a test can
// tell which directory hazmat used.
// A copy of the build tree's data directory with its own version stamps, so a
// report shows which directory was used.
fs::path make_data_dir(const fs::path& root, std::string_view version) {
    fs::copy(HAZMAT_BUILD_DATA_DIR, root, fs::copy_options::recursive);
    write_file(root / "rules" / "VERSION", std::string(version) + "-rules\n");
    write_file(root / "data" / "VERSION", std::string(version) + "-data\n");
    return root;
}

// A benign float array whose data is followed by bytes numpy never reads:
// HZ-MDL-006, severity medium.
fs::path make_medium_finding(const fs::path& dir) {
    const auto path = dir / "weights.npy";
    write_file(path, read_file(fixtures_dir() / "models" / "benign" / "array_float.npy") +
                         "trailing text");
    return path;
}

// The same array cut short: HZ-SCAN-002, severity high.
fs::path make_high_finding(const fs::path& dir) {
    const auto path = dir / "cut.npy";
    const auto content = read_file(fixtures_dir() / "models" / "benign" / "array_float.npy");
    write_file(path, content.substr(0, content.size() - 4));
    return path;
}

TEST(Cli, HelpDescribesCommandsAndExitCodes) {
    const auto result = run_hazmat({"--help"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("Exit codes: 0 nothing at or above --fail-on"), std::string::npos);
    for (const auto* command : {"scan", "rules", "explain"})
        EXPECT_NE(result.out.find(command), std::string::npos) << command;
}

TEST(Cli, VersionPrintsRulesAndDataVersions) {
    const auto result = run_hazmat({"--version"}, with_env("HAZMAT_DATA_DIR", std::nullopt));
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find(std::string("hazmat ") + kHazmatVersion), std::string::npos);
    EXPECT_NE(result.out.find("rules " + rules_version() + "\n"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("data " + data_version() + "\n"), std::string::npos) << result.out;
}

TEST(Cli, ScanHelpListsItsOptions) {
    const auto result = run_hazmat({"scan", "--help"});
    EXPECT_EQ(result.exit_code, 0);
    for (const auto* option : {"--format", "--output", "--fail-on", "--timeout", "TARGET"})
        EXPECT_NE(result.out.find(option), std::string::npos) << option;
}

TEST(Cli, UnknownOptionIsAUsageError) {
    const auto result = run_hazmat({"scan", "--no-such-option", "."});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("--no-such-option"), std::string::npos) << result.err;
    EXPECT_TRUE(result.out.empty());
}

TEST(Cli, MissingTargetIsAUsageErrorNamingThePath) {
    TempDir dir;
    const auto missing = (dir.path() / "no-such-model.pt").string();
    const auto result = run_hazmat({"scan", missing});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find(missing), std::string::npos) << result.err;
}

TEST(Cli, ExplainPrintsTheRule) {
    const auto result = run_hazmat({"explain", "HZ-SCAN-001"});
    EXPECT_EQ(result.exit_code, 0);
    const auto& rule = RuleRegistry::builtin().at("HZ-SCAN-001");
    EXPECT_NE(result.out.find(std::string(rule.title)), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("severity: high"), std::string::npos);

    const auto unknown = run_hazmat({"explain", "HZ-NOPE-001"});
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_NE(unknown.err.find("HZ-NOPE-001"), std::string::npos);
}

TEST(Cli, RulesListsEveryRuleId) {
    const auto result = run_hazmat({"rules"});
    EXPECT_EQ(result.exit_code, 0);
    for (const auto& rule : RuleRegistry::builtin().all())
        EXPECT_NE(result.out.find(std::string(rule.id)), std::string::npos) << rule.id;
    EXPECT_NE(result.out.find("HZ-MDL-005"), std::string::npos);
}

TEST(Cli, DataDirOptionIsUsed) {
    TempDir dir;
    const auto data = make_data_dir(dir.path() / "data-dir", "from-option");
    const auto target = fixtures_dir() / "models" / "benign" / "array_float.npy";
    const auto result =
        run_hazmat({"--data-dir", data.string(), "scan", "--format", "json", target.string()},
                   with_env("HAZMAT_DATA_DIR", std::nullopt));
    EXPECT_EQ(result.exit_code, 0) << result.err;
    const auto report = parse_report(result);
    EXPECT_EQ(report["tool"]["rules_version"], "from-option-rules");
    EXPECT_EQ(report["tool"]["data_version"], "from-option-data");
}

TEST(Cli, DataDirEnvironmentVariableIsUsed) {
    TempDir dir;
    const auto data = make_data_dir(dir.path() / "data-env", "from-env");
    const auto target = fixtures_dir() / "models" / "benign" / "array_float.npy";
    const auto result = run_hazmat({"scan", "--format", "json", target.string()},
                                   with_env("HAZMAT_DATA_DIR", data.string()));
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(parse_report(result)["tool"]["rules_version"], "from-env-rules");

    const auto version = run_hazmat({"--version"}, with_env("HAZMAT_DATA_DIR", data.string()));
    EXPECT_NE(version.out.find("rules from-env-rules"), std::string::npos) << version.out;
}

TEST(Cli, InvalidDataDirIsAUsageErrorNamingIt) {
    TempDir dir;
    const auto bogus = (dir.path() / "not-data").string();
    const auto target = fixtures_dir() / "models" / "benign" / "array_float.npy";
    const auto by_option = run_hazmat({"--data-dir", bogus, "scan", target.string()});
    EXPECT_EQ(by_option.exit_code, 2);
    EXPECT_NE(by_option.err.find(bogus), std::string::npos) << by_option.err;

    const auto by_env = run_hazmat({"scan", target.string()}, with_env("HAZMAT_DATA_DIR", bogus));
    EXPECT_EQ(by_env.exit_code, 2);
    EXPECT_NE(by_env.err.find("HAZMAT_DATA_DIR=" + bogus), std::string::npos) << by_env.err;
}

TEST(Cli, InstalledBinaryFindsItsShareDirectory) {
    // The build directory holds share/hazmat; it is what `cmake --install` reads.
    const auto build_dir = build_data_dir().parent_path().parent_path();
    TempDir prefix;
    const auto install =
        run_program("cmake", {"--install", build_dir.string(), "--prefix", prefix.path().string()});
    ASSERT_EQ(install.exit_code, 0) << install.out << install.err;

    const auto result = run_program((prefix.path() / "bin" / "hazmat").string(), {"--version"},
                                    with_env("HAZMAT_DATA_DIR", std::nullopt));
    EXPECT_EQ(result.exit_code, 0) << result.err;
    const auto share = fs::canonical(prefix.path()) / "share" / "hazmat";
    EXPECT_NE(result.out.find("data directory " + share.string()), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("rules " + rules_version()), std::string::npos);
}

TEST(JsonReport, HasTheDocumentedStructure) {
    const auto target = fixtures_dir() / "models" / "benign" / "array_object.npy";
    const auto result = run_hazmat({"scan", "--format", "json", target.string()});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    const auto report = parse_report(result);

    EXPECT_EQ(report["schema_version"], 1);
    EXPECT_EQ(report["tool"]["name"], "hazmat");
    EXPECT_EQ(report["tool"]["version"], kHazmatVersion);
    EXPECT_EQ(report["tool"]["rules_version"], rules_version());
    EXPECT_EQ(report["tool"]["data_version"], data_version());
    EXPECT_EQ(report["command"], "scan");
    EXPECT_EQ(report["target"], target.string());
    EXPECT_EQ(report["fail_on"], "high");
    EXPECT_EQ(report["exit_code"], 0);
    EXPECT_TRUE(report["started"].is_string());
    EXPECT_TRUE(report["duration_ms"].is_number_integer());

    const auto& summary = report["summary"];
    EXPECT_EQ(summary["files"], 1);
    EXPECT_EQ(summary["bytes"], fs::file_size(target));
    EXPECT_EQ(summary["formats"]["numpy"], 1);
    EXPECT_EQ(summary["findings"]["info"], 1);
    EXPECT_EQ(summary["max_severity"], "info");

    // The object array is the one finding every build reports for this file.
    const auto object_arrays = findings_with_rule(report, "HZ-MDL-005");
    ASSERT_EQ(object_arrays.size(), 1u);
    const auto& finding = object_arrays[0];
    EXPECT_EQ(finding["severity"], "info");
    EXPECT_EQ(finding["title"], "NumPy array stores Python objects");
    EXPECT_TRUE(finding["message"].is_string());
    EXPECT_FALSE(finding["remediation"].get<std::string>().empty());
    EXPECT_EQ(finding["cwe"], 502);
    EXPECT_EQ(finding["location"]["file"], target.string());
    EXPECT_EQ(finding["location"]["offset"], 128);
    EXPECT_EQ(chain_of(finding), (Chain{{"file", target.string()}}));
    EXPECT_EQ(finding["location"]["display"], target.string() + " @ byte 128");
    EXPECT_EQ(finding["evidence"], nlohmann::json({"the header at byte 10 declares descr '|O'",
                                                   "the pickle starts at byte 128"}));
}

TEST(ExitCode, DefaultThresholdIsHigh) {
    TempDir dir;
    EXPECT_EQ(run_hazmat({"scan", make_medium_finding(dir.path()).string()}).exit_code, 0);
    EXPECT_EQ(run_hazmat({"scan", make_high_finding(dir.path()).string()}).exit_code, 1);
}

TEST(ExitCode, FailOnMovesTheThreshold) {
    TempDir dir;
    const auto medium = make_medium_finding(dir.path()).string();
    const auto high = make_high_finding(dir.path()).string();
    EXPECT_EQ(run_hazmat({"scan", "--fail-on", "medium", medium}).exit_code, 1);
    EXPECT_EQ(run_hazmat({"scan", "--fail-on", "critical", high}).exit_code, 0);
    EXPECT_EQ(run_hazmat({"scan", "--fail-on", "info", high}).exit_code, 1);
    EXPECT_EQ(run_hazmat({"scan", "--fail-on", "severe", high}).exit_code, 2);
}

TEST(ExitCode, UnverifiedContentFailsTheDefaultThreshold) {
    TempDir dir;
    const auto result =
        run_hazmat({"scan", "--format", "json", make_high_finding(dir.path()).string()});
    EXPECT_EQ(result.exit_code, 1);
    const auto report = parse_report(result);
    const auto unparseable = findings_with_rule(report, "HZ-SCAN-002");
    ASSERT_EQ(unparseable.size(), 1u);
    EXPECT_EQ(unparseable[0]["severity"], "high");
    EXPECT_EQ(report["exit_code"], 1);
}

TEST(Output, ReportGoesToTheFileAndNotToStdout) {
    TempDir dir;
    const auto target = make_medium_finding(dir.path());
    const auto report_path = dir.path() / "report.json";
    const auto result = run_hazmat({"scan", "--format", "json", "--output", report_path.string(),
                                    "--fail-on", "medium", target.string()});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_TRUE(result.out.empty()) << result.out;
    const auto report = nlohmann::json::parse(read_file(report_path));
    const auto extra = findings_with_rule(report, "HZ-MDL-006");
    ASSERT_EQ(extra.size(), 1u);
    EXPECT_EQ(extra[0]["severity"], "medium");
    EXPECT_EQ(extra[0]["location"]["offset"], 176);

    const auto unwritable = run_hazmat(
        {"scan", "--output", (dir.path() / "missing" / "r.txt").string(), target.string()});
    EXPECT_EQ(unwritable.exit_code, 2);
    EXPECT_NE(unwritable.err.find("missing/r.txt"), std::string::npos) << unwritable.err;
}

}  // namespace
}  // namespace hazmat::e2e
