// Every model fixture of tests/fixtures/models, scanned through the CLI, must
// produce exactly the findings tests/fixtures/models/MANIFEST.md lists (and
// every container fixture of tests/fixtures/archive the findings below): rule,
// severity and location chain of everything above info, plus the formats
// hazmat recognised. Benign fixtures come from the real frameworks; malicious
// ones carry harmless payloads and are only ever scanned.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <utility>

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

// Containers that hide a pickle the way real attacks do, and containers that
// attack the extraction itself; each through the whole pipeline.
std::vector<FixtureCase> archive_cases() {
    const auto path = [](const std::string& name) { return "archive/" + name; };
    const auto payload = [&](const std::string& name, Chain chain) {
        return FixtureCase{name, "", {{"HZ-PKL-002", "critical", std::move(chain)}}, {}, {}};
    };
    std::vector<FixtureCase> cases = {
        payload("PickleUnderTextMemberName",
                file(path("pickle_in_zip.zip")) + member("weights.txt")),
        payload("ProtocolZeroPickleUnderMarkdownName",
                file(path("pickle0_in_zip.zip")) + member("notes.md")),
        payload("NestedZip", file(path("nested.zip")) + member("inner.zip") + member("data.pkl")),
        payload("ZipInGzippedTar", file(path("nested.tar.gz")) + decompressed("gzip") +
                                       member("inner.zip") + member("data.pkl")),
        payload("TarWrapped", file(path("payload.tar")) + member("data/payload.txt")),
        payload("SevenZipWrapped", file(path("payload.7z")) + member("weights.txt")),
        payload("Zip64", file(path("zip64.zip")) + member("archive/data.pkl")),
        payload("Zip64InLocalHeaderOnly",
                file(path("zip64_local.zip")) + member("archive/data.pkl")),
        payload("MultiMemberGzip", file(path("multi_member.gz")) + decompressed("gzip")),
    };
    for (const auto& [name, codec] :
         std::vector<std::pair<std::string, std::string>>{{"gz", "gzip"},
                                                          {"bz2", "bzip2"},
                                                          {"xz", "xz"},
                                                          {"lzma", "lzma"},
                                                          {"lz4", "lz4"},
                                                          {"zst", "zstd"},
                                                          {"z", "zlib"}}) {
        cases.push_back(
            payload("Compressed_" + name, file(path("pickle." + name)) + decompressed(codec)));
    }
    for (const auto& [test, fixture, pickle_member] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
             {"BadCrc", "bad_crc.zip", "archive/data.pkl"},
             {"OddFlagBits", "odd_flags.zip", "archive/data.pkl"},
             {"LocalAndCentralNamesDisagree", "name_mismatch.zip", "model/data.pkl"},
             {"PrependedDataAbsoluteOffsets", "prepended_absolute.zip", "archive/data.pkl"},
             {"PrependedDataRelativeOffsets", "prepended_relative.zip", "archive/data.pkl"}}) {
        // The loader-like reader still finds the pickle; the tampering
        // itself is a finding on the archive.
        cases.push_back({test,
                         path(fixture),
                         {{"HZ-MDL-003", "medium", file(path(fixture))},
                          {"HZ-PKL-002", "critical", file(path(fixture)) + member(pickle_member)}},
                         {},
                         {}});
    }
    cases.push_back({"StoredBzip2AndLzmaMembers",
                     path("methods.zip"),
                     {{"HZ-PKL-002", "critical", file(path("methods.zip")) + member("bzip2.txt")},
                      {"HZ-PKL-002", "critical", file(path("methods.zip")) + member("lzma.txt")}},
                     {},
                     {}});
    cases.push_back(
        {"PathTraversal",
         path("traversal.zip"),
         {{"HZ-MDL-001", "high", file(path("traversal.zip")) + member("../../evil.txt")},
          {"HZ-MDL-001", "high", file(path("traversal.zip")) + member("..\\..\\win.txt")},
          {"HZ-MDL-001", "high", file(path("traversal.zip")) + member("/etc/cron.d/job")},
          {"HZ-MDL-001", "high", file(path("traversal.zip")) + member("C:\\Windows\\evil.txt")}},
         {},
         {}});
    cases.push_back({"TarLinks",
                     path("links.tar"),
                     {{"HZ-MDL-002", "high", file(path("links.tar")) + member("config")},
                      {"HZ-MDL-002", "high", file(path("links.tar")) + member("hard")}},
                     {},
                     {}});
    cases.push_back({"ZipSymlink",
                     path("symlink.zip"),
                     {{"HZ-MDL-002", "high", file(path("symlink.zip")) + member("link-to-ssh")}},
                     {},
                     {}});
    cases.push_back({"EncryptedMemberIsUnverified",
                     path("encrypted.zip"),
                     {{"HZ-SCAN-003", "high", file(path("encrypted.zip")) + member("secret.pkl")}},
                     {},
                     {}});
    cases.push_back({"UnsupportedMethodIsUnverified",
                     path("unsupported_method.zip"),
                     {{"HZ-SCAN-002", "high",
                       file(path("unsupported_method.zip")) + member("archive/data.pkl")}},
                     {},
                     {}});
    Chain deepest = file(path("recursive.zip"));
    for (int level = 19; level >= 7; --level)
        deepest = deepest + member("level" + std::to_string(level) + ".zip");
    cases.push_back({"RecursionStopsAtTheDepthLimit",
                     path("recursive.zip"),
                     {{"HZ-SCAN-001", "high", deepest}},
                     {},
                     {}});
    cases.push_back({"DoublyCompressedBomb",
                     path("bomb.gz.gz"),
                     {{"HZ-SCAN-001", "high",
                       file(path("bomb.gz.gz")) + decompressed("gzip") + decompressed("gzip")}},
                     {},
                     {}});
    for (auto& fixture : cases) {
        if (fixture.target.empty())
            fixture.target = fixture.above_info[0].chain[0].second;
    }
    return cases;
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
INSTANTIATE_TEST_SUITE_P(Archives, MaliciousModelFixture, ::testing::ValuesIn(archive_cases()),
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
