// The vulnerability database: importing OSV exports in every accepted
// shape, lookups, precedence between databases, and all-or-nothing imports.

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "deps_test_support.hpp"
#include "scan/deps/vulnerability_db.hpp"

namespace hazmat::deps {
namespace {

using namespace hazmat::deps::testing;

std::string sha256_of(const std::filesystem::path& path) {
    const auto content = read_file(path);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(content.data(), content.size(), digest, &length, EVP_sha256(), nullptr);
    std::string hex;
    for (unsigned int i = 0; i < length; ++i)
        hex += fmt::format("{:02x}", digest[i]);
    return hex;
}

std::unique_ptr<VulnerabilityDatabase> open(const std::filesystem::path& path) {
    auto database = VulnerabilityDatabase::open(path);
    if (!database)
        throw std::runtime_error(database.error().message);
    return std::move(database).value();
}

std::vector<std::string> ids(const std::vector<Advisory>& advisories) {
    std::vector<std::string> result;
    for (const auto& advisory : advisories)
        result.push_back(advisory.id);
    return result;
}

TEST(VulnerabilityDatabase, ImportsJsonLinesAndCountsWhatItSkipped) {
    TempDir dir;
    const auto database = dir.path() / "test.sqlite";
    const auto input = fixture("osv/test-advisories.jsonl");
    const auto summary = import_osv_file(database, input, "test records");
    ASSERT_TRUE(summary) << summary.error().message;
    EXPECT_EQ(summary->records, 9u);
    EXPECT_EQ(summary->stored, 8u);
    EXPECT_EQ(summary->skipped, 1u);  // the Go record
    EXPECT_EQ(summary->invalid, 1u);  // the line that is not JSON
    EXPECT_EQ(summary->sha256, sha256_of(input));

    const auto status = open(database)->status();
    ASSERT_TRUE(status);
    EXPECT_EQ(status->advisories, 8u);
    EXPECT_EQ(status->malicious, 2u);
    EXPECT_EQ(status->withdrawn, 1u);
    ASSERT_EQ(status->imports.size(), 1u);
    EXPECT_EQ(status->imports[0].source, "test records");
    EXPECT_EQ(status->imports[0].file, "test-advisories.jsonl");
    EXPECT_EQ(status->imports[0].sha256, sha256_of(input));
    EXPECT_EQ(status->imports[0].advisories, 8u);
    EXPECT_EQ(status->imports[0].skipped, 2u);
}

TEST(VulnerabilityDatabase, LookupReturnsAliasesAndFlagsWithdrawnAdvisories) {
    TempDir dir;
    const auto database = dir.path() / "test.sqlite";
    ASSERT_TRUE(import_osv_file(database, fixture("osv/test-advisories.jsonl"), ""));
    const auto opened = open(database);
    const auto lodash = opened->lookup(Ecosystem::npm, "lodash");
    ASSERT_EQ(lodash.size(), 1u);
    EXPECT_EQ(lodash[0].id, "HZT-NPM-0001");
    EXPECT_EQ(lodash[0].aliases,
              (std::vector<std::string>{"CVE-2099-1001", "GHSA-hztt-0001-0001"}));
    EXPECT_EQ(lodash[0].severity, Severity::high);
    const auto withdrawn = opened->lookup(Ecosystem::npm, "withdrawn-pkg");
    ASSERT_EQ(withdrawn.size(), 1u);
    EXPECT_TRUE(withdrawn[0].withdrawn);
    EXPECT_TRUE(opened->lookup(Ecosystem::pypi, "lodash").empty());
    // Names are stored normalised: "Harmless_Looking.Lib" is harmless-looking-lib.
    EXPECT_EQ(ids(opened->lookup(Ecosystem::pypi, "harmless-looking-lib")),
              std::vector<std::string>{"MAL-2099-0002"});
}

TEST(VulnerabilityDatabase, ImportsAZipExport) {
    TempDir dir;
    const auto database = dir.path() / "test.sqlite";
    const auto summary = import_osv_file(database, fixture("osv/all.zip"), "zip");
    ASSERT_TRUE(summary) << summary.error().message;
    EXPECT_EQ(summary->records, 9u);
    EXPECT_EQ(summary->stored, 8u);
    EXPECT_EQ(ids(open(database)->lookup(Ecosystem::npm, "evil-colors-helper")),
              std::vector<std::string>{"MAL-2099-0001"});
}

TEST(VulnerabilityDatabase, ImportsAJsonArrayAndASingleRecord) {
    TempDir dir;
    const auto array = dir.path() / "array.json";
    std::ofstream(array) << R"([{"id": "A-1", "modified": "2024-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "a"}, "versions": ["1.0"]}]},
        {"id": "A-2", "modified": "2024-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "a"}, "versions": ["2.0"]}]}])";
    const auto single = dir.path() / "single.json";
    std::ofstream(single) << R"({
      "id": "B-1", "modified": "2024-01-01T00:00:00Z",
      "affected": [{"package": {"ecosystem": "npm", "name": "b"}, "versions": ["1.0.0"]}]
    })";
    const auto database = dir.path() / "test.sqlite";
    ASSERT_TRUE(import_osv_file(database, array, ""));
    ASSERT_TRUE(import_osv_file(database, single, ""));
    const auto opened = open(database);
    EXPECT_EQ(ids(opened->lookup(Ecosystem::pypi, "a")), (std::vector<std::string>{"A-1", "A-2"}));
    EXPECT_EQ(ids(opened->lookup(Ecosystem::npm, "b")), std::vector<std::string>{"B-1"});
    EXPECT_EQ(opened->status()->imports.size(), 2u);
}

TEST(VulnerabilityDatabase, AnOlderCopyDoesNotReplaceANewerOne) {
    TempDir dir;
    const auto write = [&](const std::string& name, const std::string& modified,
                           const std::string& version) {
        const auto path = dir.path() / name;
        std::ofstream(path) << fmt::format(
            R"({{"id": "C-1", "modified": "{}", "affected": [{{"package": )"
            R"({{"ecosystem": "PyPI", "name": "c"}}, "versions": ["{}"]}}]}})",
            modified, version);
        return path;
    };
    const auto database = dir.path() / "test.sqlite";
    ASSERT_TRUE(import_osv_file(database, write("new.json", "2024-06-01T00:00:00Z", "2.0"), ""));
    const auto older =
        import_osv_file(database, write("old.json", "2024-01-01T00:00:00Z", "1.0"), "");
    ASSERT_TRUE(older);
    EXPECT_EQ(older->unchanged, 1u);
    EXPECT_EQ(open(database)->lookup(Ecosystem::pypi, "c")[0].affected[0].versions,
              std::vector<std::string>{"2.0"});
    ASSERT_TRUE(import_osv_file(database, write("newer.json", "2024-09-01T00:00:00Z", "3.0"), ""));
    EXPECT_EQ(open(database)->lookup(Ecosystem::pypi, "c")[0].affected[0].versions,
              std::vector<std::string>{"3.0"});
}

TEST(VulnerabilityDatabase, ImportWithoutUsableRecordsChangesNothing) {
    TempDir dir;
    const auto database = dir.path() / "test.sqlite";
    ASSERT_TRUE(import_osv_file(database, fixture("osv/test-advisories.jsonl"), ""));
    const auto failed = import_osv_file(database, fixture("osv/other-ecosystems.jsonl"), "");
    ASSERT_FALSE(failed);
    EXPECT_NE(failed.error().message.find("no OSV record for a PyPI or npm package"),
              std::string::npos);
    EXPECT_EQ(open(database)->status()->imports.size(), 1u);
}

TEST(VulnerabilityDatabase, RefusesAFileThatIsNotOne) {
    TempDir dir;
    const auto path = dir.path() / "not.sqlite";
    std::ofstream(path) << "not a database at all, but long enough to look like a header.....";
    EXPECT_FALSE(VulnerabilityDatabase::open(path));
    EXPECT_FALSE(VulnerabilityDatabase::open(dir.path() / "missing.sqlite"));
}

TEST(VulnerabilityDatabase, EarlierDatabaseWinsForTheSameAdvisory) {
    TempDir dir;
    const auto user = dir.path() / "user.sqlite";
    ASSERT_TRUE(import_osv_file(user, fixture("osv/withdraw-torch.jsonl"), ""));
    std::vector<std::unique_ptr<VulnerabilityDatabase>> databases;
    databases.push_back(open(user));
    databases.push_back(open(build_data() / "data" / std::string(kVulnerabilityDatabaseName)));
    const AdvisorySource source(std::move(databases));
    // The user's copy is withdrawn, so the shipped copy must not show through.
    EXPECT_TRUE(source.lookup(Ecosystem::pypi, "torch").empty());
    EXPECT_FALSE(source.lookup(Ecosystem::pypi, "pillow").empty());
}

TEST(VulnerabilityDatabase, ShippedSnapshotHasEveryRecord) {
    const auto status =
        open(build_data() / "data" / std::string(kVulnerabilityDatabaseName))->status();
    ASSERT_TRUE(status);
    EXPECT_EQ(status->advisories, 2661u);
    EXPECT_EQ(status->withdrawn, 10u);
    EXPECT_EQ(status->malicious, 0u);
    ASSERT_EQ(status->imports.size(), 1u);
    EXPECT_EQ(status->imports[0].sha256,
              sha256_of(std::filesystem::path(HAZMAT_SOURCE_DIR) / "data" / "osv-pypi.jsonl"));
}

}  // namespace
}  // namespace hazmat::deps
