// Every model fixture of tests/fixtures/models, scanned through the CLI, must
// produce exactly the findings tests/fixtures/models/MANIFEST.md lists: rule,
// severity and location chain of everything above info, plus the formats
// hazmat recognised. Benign fixtures come from the real frameworks; malicious
// ones carry harmless payloads and are only ever scanned.

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

Chain file(const std::string& path) {
    return {{"file", path}};
}

Chain operator+(Chain chain, std::pair<std::string, std::string> part) {
    chain.push_back(std::move(part));
    return chain;
}

std::pair<std::string, std::string> member(std::string name) {
    return {"member", std::move(name)};
}
std::pair<std::string, std::string> stream(std::string name) {
    return {"stream", std::move(name)};
}
std::pair<std::string, std::string> embedded(std::string name) {
    return {"embedded", std::move(name)};
}
std::pair<std::string, std::string> decompressed(std::string name) {
    return {"decompressed", std::move(name)};
}

const std::string kBenign = "models/benign/";
const std::string kMalicious = "models/malicious/";

std::vector<FixtureCase> benign_cases() {
    std::vector<FixtureCase> cases = {
        {"TorchStateDict", kBenign + "torch_state_dict.pt", {}, {}, {{"pytorch-zip", 1}}},
        {"TorchFullModel", kBenign + "torch_full_model.pt", {}, {}, {{"pytorch-zip", 1}}},
        {"TorchLegacy", kBenign + "torch_legacy.pt", {}, {}, {{"pytorch-legacy", 1}}},
        {"TorchScript", kBenign + "torchscript.pt", {}, {"HZ-MDL-004"}, {{"torchscript", 1}}},
        {"TorchTar", kBenign + "torch_tar_legacy.tar", {}, {}, {{"pytorch-tar", 1}}},
        {"DistributedCheckpoint",
         kBenign + "distcp",
         {},
         {},
         {{"pytorch-distcp", 1}, {"pytorch-zip", 3}}},
        {"NumpyFloat", kBenign + "array_float.npy", {}, {}, {{"numpy", 1}}},
        {"NumpyObject", kBenign + "array_object.npy", {}, {"HZ-MDL-005"}, {{"numpy", 1}}},
        {"Npz", kBenign + "arrays.npz", {}, {}, {{"numpy", 2}}},
        {"NpzCompressed", kBenign + "arrays_compressed.npz", {}, {}, {{"numpy", 2}}},
        {"SklearnPickle", kBenign + "sklearn_pickle.pkl", {}, {}, {}},
        {"SklearnJoblib", kBenign + "sklearn_joblib.joblib", {}, {}, {}},
    };
    for (const auto* method : {"zlib", "gzip", "bz2", "xz", "lzma", "lz4"}) {
        cases.push_back({std::string("SklearnJoblib_") + method,
                         kBenign + "sklearn_joblib_" + method + ".joblib",
                         {},
                         {},
                         {}});
    }
    return cases;
}

std::vector<FixtureCase> malicious_cases() {
    const auto path = [](const std::string& name) { return kMalicious + name; };
    return {
        {"TorchPayloadSplicedBeforeStateDict",
         path("torch_spliced_payload.pt"),
         {{"HZ-PKL-002", "critical",
           file(path("torch_spliced_payload.pt")) + member("torch_spliced_payload/data.pkl")}},
         {},
         {{"pytorch-zip", 1}}},
        {"TorchPayloadUnderStorageRecordName",
         path("torch_payload_in_data_member.pt"),
         {{"HZ-PKL-002", "critical",
           file(path("torch_payload_in_data_member.pt")) +
               member("torch_payload_in_data_member/data/0")}},
         {},
         {{"pytorch-zip", 1}}},
        {"TorchLegacyPayloadInObjectPickle",
         path("torch_legacy_payload.pt"),
         {{"HZ-PKL-001", "critical", file(path("torch_legacy_payload.pt")) + stream("pickle 4")}},
         {},
         {{"pytorch-legacy", 1}}},
        {"TorchTarPayloadBetweenStorageRecords",
         path("torch_tar_payload.tar"),
         {{"HZ-PKL-002", "critical",
           file(path("torch_tar_payload.tar")) + member("storages") + stream("pickle 2")}},
         {},
         {{"pytorch-tar", 1}}},
        {"NumpyObjectArrayPayload",
         path("npy_object_payload.npy"),
         {{"HZ-PKL-002", "critical",
           file(path("npy_object_payload.npy")) + embedded("object array pickle")}},
         {"HZ-MDL-005"},
         {{"numpy", 1}}},
        {"NpzMemberWithObjectArrayPayload",
         path("npz_object_payload.npz"),
         {{"HZ-PKL-002", "critical",
           file(path("npz_object_payload.npz")) + member("labels.npy") +
               embedded("object array pickle")}},
         {"HZ-MDL-005"},
         {{"numpy", 2}}},
        {"JoblibGzipPayload",
         path("joblib_payload_gzip.joblib"),
         {{"HZ-PKL-002", "critical",
           file(path("joblib_payload_gzip.joblib")) + decompressed("gzip")}},
         {},
         {}},
        {"JoblibLz4Payload",
         path("joblib_payload_lz4.joblib"),
         {{"HZ-PKL-002", "critical",
           file(path("joblib_payload_lz4.joblib")) + decompressed("lz4")}},
         {},
         {}},
        {"TorchScriptCodeIsListed",
         path("torchscript_suspicious_code.pt"),
         {},
         {"HZ-MDL-004"},
         {{"torchscript", 1}}},
        {"DistributedCheckpointPayloadInFirstArchive",
         path("distcp_payload"),
         {{"HZ-PKL-001", "critical",
           file(path("distcp_payload/__0_0.distcp")) + stream("archive at byte 0") +
               member("archive/data.pkl")}},
         {},
         {{"pytorch-distcp", 1}, {"pytorch-zip", 3}}},
    };
}

nlohmann::json scan_fixture(const FixtureCase& fixture, int& exit_code) {
    CliOptions options;
    options.cwd = fixtures_dir();
    const auto result = run_hazmat({"scan", "--format", "json", fixture.target}, options);
    exit_code = result.exit_code;
    return parse_report(result);
}

std::vector<ExpectedFinding> reported_above_info(const nlohmann::json& report) {
    std::vector<ExpectedFinding> found;
    for (const auto& finding : findings_above_info(report)) {
        found.push_back({finding["rule_id"].get<std::string>(),
                         finding["severity"].get<std::string>(), chain_of(finding)});
    }
    std::sort(found.begin(), found.end());
    return found;
}

void expect_manifest_findings(const FixtureCase& fixture) {
    int exit_code = -1;
    const auto report = scan_fixture(fixture, exit_code);

    auto expected = fixture.above_info;
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(reported_above_info(report), expected) << report.dump(2);
    EXPECT_EQ(exit_code, expected.empty() ? 0 : 1);
    for (const auto& rule : fixture.info_rules) {
        const auto found = findings_with_rule(report, rule);
        ASSERT_FALSE(found.empty()) << rule;
        EXPECT_EQ(found[0]["severity"], "info") << rule;
    }
    for (const auto& [format, count] : fixture.formats)
        EXPECT_EQ(report["summary"]["formats"].value(format, 0), count) << format;
}

class BenignModelFixture : public ::testing::TestWithParam<FixtureCase> {};
class MaliciousModelFixture : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(BenignModelFixture, NothingAboveInfo) {
    expect_manifest_findings(GetParam());
}

TEST_P(MaliciousModelFixture, ReportsExactlyThePayload) {
    expect_manifest_findings(GetParam());
}

std::string case_name(const ::testing::TestParamInfo<FixtureCase>& info) {
    return info.param.test_name;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, BenignModelFixture, ::testing::ValuesIn(benign_cases()),
                         case_name);
INSTANTIATE_TEST_SUITE_P(Fixtures, MaliciousModelFixture, ::testing::ValuesIn(malicious_cases()),
                         case_name);

TEST(ModelFixtures, TorchScriptFindingListsEveryCodeMember) {
    CliOptions options;
    options.cwd = fixtures_dir();
    const auto result = run_hazmat(
        {"scan", "--format", "json", kMalicious + "torchscript_suspicious_code.pt"}, options);
    const auto findings = findings_with_rule(parse_report(result), "HZ-MDL-004");
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(chain_of(findings[0]), file(kMalicious + "torchscript_suspicious_code.pt"));
    EXPECT_EQ(
        findings[0]["evidence"],
        nlohmann::json({
            "code member torchscript_suspicious_code/code/__torch__.py",
            "code member torchscript_suspicious_code/code/__torch__.py.debug_pkl",
            "code member torchscript_suspicious_code/code/__torch__/torch/nn/modules/linear.py",
            "code member "
            "torchscript_suspicious_code/code/__torch__/torch/nn/modules/linear.py.debug_pkl",
        }));
}

}  // namespace
}  // namespace hazmat::e2e
