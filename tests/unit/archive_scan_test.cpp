// Scans the fixtures from tests/fixtures/archive/ (see
// generate_archive_fixtures.py) through the archive analyzers and checks
// exactly where the stand-in payload is reached and what is reported.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "archive_test_support.hpp"
#include "core/rule_ids.hpp"

namespace hazmat {
namespace {

using namespace hazmat::testing;

const Finding& only(const ScanOutcome& outcome, std::string_view rule) {
    const auto matching = outcome.with_rule(rule);
    if (matching.size() != 1)
        throw std::runtime_error(
            fmt::format("expected exactly one {} finding, got {}", rule, matching.size()));
    return *matching.front();
}

TEST(ArchiveScan, PickleInZipReachedUnderNonPickleName) {
    const auto outcome = scan_fixture("pickle_in_zip.zip");
    EXPECT_EQ(outcome.reached,
              std::vector{chain({file("pickle_in_zip.zip"), member("weights.txt")})});
    EXPECT_TRUE(outcome.findings.empty());
}

TEST(ArchiveScan, ProtocolZeroPickleInStoredZipReached) {
    const auto outcome = scan_fixture("pickle0_in_zip.zip");
    EXPECT_EQ(outcome.reached,
              std::vector{chain({file("pickle0_in_zip.zip"), member("notes.md")})});
}

TEST(ArchiveScan, BadCrcIsAnAnomalyAndTheMemberIsStillExamined) {
    const auto outcome = scan_fixture("bad_crc.zip");
    EXPECT_EQ(outcome.reached,
              std::vector{chain({file("bad_crc.zip"), member("archive/data.pkl")})});
    const auto& anomaly = only(outcome, rules::kZipAnomaly);
    EXPECT_EQ(anomaly.severity, Severity::medium);
    EXPECT_EQ(anomaly.location, chain({file("bad_crc.zip")}));
    EXPECT_EQ(anomaly.evidence,
              std::vector<std::string>{
                  "member 'archive/data.pkl': CRC-32 of the content is 6ccb78fb, the directory "
                  "says deadbeef (PyTorch's loader does not check it; strict readers reject the "
                  "member)"});
}

TEST(ArchiveScan, OddFlagBitsAreAnAnomaly) {
    const auto outcome = scan_fixture("odd_flags.zip");
    EXPECT_EQ(outcome.reached,
              std::vector{chain({file("odd_flags.zip"), member("archive/data.pkl")})});
    EXPECT_EQ(only(outcome, rules::kZipAnomaly).evidence,
              std::vector<std::string>{
                  "member 'archive/data.pkl': unusual general-purpose flag bits 0x4010"});
}

TEST(ArchiveScan, LocalNameMismatchReportsTheCentralName) {
    const auto outcome = scan_fixture("name_mismatch.zip");
    EXPECT_EQ(outcome.reached,
              std::vector{chain({file("name_mismatch.zip"), member("model/data.pkl")})});
    EXPECT_EQ(only(outcome, rules::kZipAnomaly).evidence,
              std::vector<std::string>{
                  "member 'model/data.pkl': its local header names it 'model/readme.txt'"});
}

TEST(ArchiveScan, PrependedDataWithRelativeOffsetsIsStillAZip) {
    const auto outcome = scan_fixture("prepended_relative.zip");
    EXPECT_EQ(outcome.reached,
              std::vector{chain({file("prepended_relative.zip"), member("archive/data.pkl")})});
    EXPECT_TRUE(has_evidence(only(outcome, rules::kZipAnomaly),
                             "131 bytes of other data precede the first member (self-extractor "
                             "or polyglot file)"));
}

TEST(ArchiveScan, PrependedDataWithAbsoluteOffsetsIsStillAZip) {
    const auto outcome = scan_fixture("prepended_absolute.zip");
    EXPECT_EQ(outcome.reached,
              std::vector{chain({file("prepended_absolute.zip"), member("archive/data.pkl")})});
    EXPECT_TRUE(has_evidence(only(outcome, rules::kZipAnomaly),
                             "131 bytes of other data precede the first member (self-extractor "
                             "or polyglot file)"));
}

TEST(ArchiveScan, Zip64RecordsAreFollowed) {
    for (const std::string name : {"zip64.zip", "zip64_local.zip"}) {
        const auto outcome = scan_fixture(name);
        EXPECT_EQ(outcome.reached, std::vector{chain({file(name), member("archive/data.pkl")})})
            << name;
        EXPECT_TRUE(outcome.findings.empty()) << name;
    }
}

TEST(ArchiveScan, CaseInsensitiveDuplicateNamesAreAllExamined) {
    const auto outcome = scan_fixture("duplicate_names.zip");
    // PyTorch's lookup of "archive/data.pkl" returns the upper-case copy here.
    EXPECT_EQ(outcome.reached,
              std::vector{chain({file("duplicate_names.zip"), member("archive/DATA.pkl")})});
    EXPECT_EQ(only(outcome, rules::kZipAnomaly).evidence,
              std::vector<std::string>{
                  "the name 'archive/data.pkl' appears 2 times (compared case-insensitively, as "
                  "PyTorch's loader looks names up); loaders pick different copies"});
}

TEST(ArchiveScan, UnsupportedMethodIsReportedForThatMember) {
    const auto outcome = scan_fixture("unsupported_method.zip");
    const auto& finding = only(outcome, rules::kScanUnparseable);
    EXPECT_EQ(finding.location,
              chain({file("unsupported_method.zip"), member("archive/data.pkl")}));
    EXPECT_EQ(finding.message,
              "Member 'archive/data.pkl' uses compression method 9, which hazmat cannot decode; "
              "its content was not examined.");
    EXPECT_TRUE(outcome.reached.empty());
}

TEST(ArchiveScan, Bzip2AndLzmaMembersAreDecoded) {
    const auto outcome = scan_fixture("methods.zip");
    EXPECT_EQ(outcome.reached, (std::vector{chain({file("methods.zip"), member("bzip2.txt")}),
                                            chain({file("methods.zip"), member("lzma.txt")})}));
    EXPECT_TRUE(outcome.findings.empty());
}

TEST(ArchiveScan, NestedZipReachedThroughBothMembers) {
    const auto outcome = scan_fixture("nested.zip");
    EXPECT_EQ(outcome.reached,
              std::vector{chain({file("nested.zip"), member("inner.zip"), member("data.pkl")})});
}

TEST(ArchiveScan, ZipInsideGzippedTarReachedThroughEveryLayer) {
    const auto outcome = scan_fixture("nested.tar.gz");
    EXPECT_EQ(outcome.reached, std::vector{chain({file("nested.tar.gz"), decompressed("gzip"),
                                                  member("inner.zip"), member("data.pkl")})});
    EXPECT_TRUE(outcome.findings.empty());
}

TEST(ArchiveScan, EveryTarDialectIsRead) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"payload.tar", "data/payload.txt"},
        {"payload_gnu.tar", std::string(120, 'g') + "/payload.txt"},
        {"payload_pax.tar", std::string(120, 'p') + "/payload.txt"},
        {"payload_ustar.tar", "u/payload.txt"},
        {"payload_v7.tar", "v7/payload.txt"},
    };
    for (const auto& [name, inner] : cases) {
        const auto outcome = scan_fixture(name);
        EXPECT_EQ(outcome.reached, std::vector{chain({file(name), member(inner)})}) << name;
        EXPECT_TRUE(outcome.findings.empty()) << name;
    }
}

TEST(ArchiveScan, SevenZipMemberReached) {
    const auto outcome = scan_fixture("payload.7z");
    EXPECT_EQ(outcome.reached, std::vector{chain({file("payload.7z"), member("weights.txt")})});
    EXPECT_TRUE(outcome.findings.empty());
}

TEST(ArchiveScan, EveryCompressionStreamIsUndoneByContent) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"pickle.gz", "gzip"},   {"pickle.bz2", "bzip2"}, {"pickle.xz", "xz"},
        {"pickle.lzma", "lzma"}, {"pickle.lz4", "lz4"},   {"pickle.zst", "zstd"},
        {"pickle.z", "zlib"},
    };
    for (const auto& [name, codec] : cases) {
        // Renamed, so only the content can tell what the stream is.
        const auto outcome = scan_as(load_fixture(name), "weights.txt");
        EXPECT_EQ(outcome.reached, std::vector{chain({file("weights.txt"), decompressed(codec)})})
            << name;
        EXPECT_TRUE(outcome.findings.empty()) << name;
    }
}

TEST(ArchiveScan, ConcatenatedGzipMembersAreOneStream) {
    const auto outcome = scan_fixture("multi_member.gz");
    EXPECT_EQ(outcome.reached, std::vector{chain({file("multi_member.gz"), decompressed("gzip")})});
    EXPECT_TRUE(outcome.findings.empty());
}

TEST(ArchiveScan, TruncatedGzipIsReportedAndItsPrefixExamined) {
    const auto outcome = scan_fixture("truncated.gz");
    EXPECT_EQ(outcome.reached, std::vector{chain({file("truncated.gz"), decompressed("gzip")})});
    const auto& finding = only(outcome, rules::kScanUnparseable);
    EXPECT_EQ(finding.location, chain({file("truncated.gz")}));
    EXPECT_EQ(finding.severity, Severity::high);
    EXPECT_TRUE(finding.message.starts_with("The gzip stream is truncated."));
}

TEST(ArchiveScan, GzipBombStopsAtTheRatioLimit) {
    const auto outcome = scan_fixture("bomb.gz.gz");
    const auto& finding = only(outcome, rules::kScanLimit);
    EXPECT_EQ(finding.message,
              "Stopped examining at the decompression ratio limit; the rest of this file was not "
              "verified.");
    EXPECT_EQ(finding.location,
              chain({file("bomb.gz.gz"), decompressed("gzip"), decompressed("gzip")}));
    EXPECT_EQ(outcome.findings.size(), 1u);
}

TEST(ArchiveScan, OverlappingZipBombStopsAndIsAnAnomaly) {
    const auto outcome = scan_fixture("overlap_bomb.zip");
    const auto& limit = only(outcome, rules::kScanLimit);
    EXPECT_EQ(limit.message,
              "Stopped examining at the decompression ratio limit; the rest of this file was not "
              "verified.");
    const auto& anomaly = only(outcome, rules::kZipAnomaly);
    EXPECT_TRUE(has_evidence(anomaly,
                             "members 'kernel.bin' and 'copy0001.bin' share bytes (overlapping "
                             "entries)"));
    EXPECT_TRUE(has_evidence(anomaly, "999 members overlap others in total"));
}

TEST(ArchiveScan, TotalExpansionLimitStopsAWellCompressedBomb) {
    ScanLimits limits;
    limits.max_expanded_bytes = 16 << 20;
    const auto outcome = scan_fixture("overlap_bomb.zip", limits);
    EXPECT_EQ(only(outcome, rules::kScanLimit).message,
              "Stopped examining at the total decompressed bytes limit; the rest of this file "
              "was not verified.");
}

TEST(ArchiveScan, DeeplyNestedZipsStopAtTheDepthLimit) {
    const auto outcome = scan_fixture("recursive.zip");
    const auto& finding = only(outcome, rules::kScanLimit);
    EXPECT_EQ(finding.message,
              "Stopped examining at the nesting depth limit; the rest of this file was not "
              "verified.");
    EXPECT_EQ(finding.location.chain.size(), 14u);  // the file and 13 nested members
    EXPECT_TRUE(outcome.reached.empty());
}

TEST(ArchiveScan, FanOutOfSharedEntriesStopsAtTheMemberLimit) {
    ScanLimits limits;
    limits.max_members = 5'000;
    const auto outcome = scan_fixture("fanout.zip", limits);
    EXPECT_EQ(only(outcome, rules::kScanLimit).message,
              "Stopped examining at the archive member count limit; the rest of this file was "
              "not verified.");
}

TEST(ArchiveScan, FanOutTerminatesWithDefaultLimits) {
    const auto outcome = scan_fixture("fanout.zip");
    EXPECT_EQ(only(outcome, rules::kScanLimit).message,
              "Stopped examining at the archive member count limit; the rest of this file was "
              "not verified.");
}

TEST(ArchiveScan, EscapingMemberNamesAreReported) {
    const auto outcome = scan_fixture("traversal.zip");
    std::vector<Location> locations;
    for (const auto* finding : outcome.with_rule(rules::kArchivePathEscape)) {
        EXPECT_EQ(finding->severity, Severity::high);
        locations.push_back(finding->location);
    }
    const std::string zip = "traversal.zip";
    // Findings come in the report's stable order, which sorts by location.
    EXPECT_EQ(locations, (std::vector{chain({file(zip), member("../../evil.txt")}),
                                      chain({file(zip), member("..\\..\\win.txt")}),
                                      chain({file(zip), member("/etc/cron.d/job")}),
                                      chain({file(zip), member("C:\\Windows\\evil.txt")})}));

    const auto tar = scan_fixture("traversal.tar");
    const auto& escape = only(tar, rules::kArchivePathEscape);
    EXPECT_EQ(escape.location, chain({file("traversal.tar"), member("../escape.txt")}));
    EXPECT_EQ(escape.message,
              "Member '../escape.txt' would be extracted outside the destination directory: it "
              "climbs out of the extraction directory with '..'.");
}

TEST(ArchiveScan, ZipSymlinkMemberIsReportedWithItsTarget) {
    const auto outcome = scan_fixture("symlink.zip");
    const auto& finding = only(outcome, rules::kArchiveLink);
    EXPECT_EQ(finding.severity, Severity::high);
    EXPECT_EQ(finding.location, chain({file("symlink.zip"), member("link-to-ssh")}));
    EXPECT_EQ(finding.evidence, std::vector<std::string>{"link target: ../../.ssh/id_rsa"});
}

TEST(ArchiveScan, TarLinksAreReportedWithTheirTargets) {
    const auto outcome = scan_fixture("links.tar");
    const auto links = outcome.with_rule(rules::kArchiveLink);
    ASSERT_EQ(links.size(), 2u);
    EXPECT_EQ(links[0]->location, chain({file("links.tar"), member("config")}));
    EXPECT_EQ(links[0]->message, "Member 'config' is a symbolic link to '/etc/passwd'.");
    EXPECT_EQ(links[1]->location, chain({file("links.tar"), member("hard")}));
    EXPECT_EQ(links[1]->evidence, std::vector<std::string>{"link target: data.txt"});
}

TEST(ArchiveScan, EncryptedZipMemberIsReported) {
    const auto outcome = scan_fixture("encrypted.zip");
    const auto& finding = only(outcome, rules::kScanEncrypted);
    EXPECT_EQ(finding.location, chain({file("encrypted.zip"), member("secret.pkl")}));
    EXPECT_EQ(outcome.findings.size(), 1u);
}

TEST(ArchiveScan, ZipWithoutDirectoryIsReadFromLocalHeaders) {
    const auto outcome = scan_fixture("no_directory.zip");
    EXPECT_EQ(outcome.reached,
              std::vector{chain({file("no_directory.zip"), member("archive/data.pkl")})});
    EXPECT_EQ(only(outcome, rules::kScanUnparseable).location, chain({file("no_directory.zip")}));
}

TEST(ArchiveScan, EncryptedMemberFoundByLocalHeaderWalkIsReported) {
    const auto outcome = scan_fixture("no_directory_encrypted.zip");
    const auto& finding = only(outcome, rules::kScanEncrypted);
    EXPECT_EQ(finding.location, chain({file("no_directory_encrypted.zip"), member("locked.pkl")}));
}

TEST(ArchiveScan, TruncatedZipMemberIsReportedAndItsPrefixExamined) {
    const auto outcome = scan_fixture("truncated_member.zip");
    const auto where = chain({file("truncated_member.zip"), member("archive/data.pkl")});
    EXPECT_EQ(outcome.reached, std::vector{where});
    EXPECT_EQ(only(outcome, rules::kScanUnparseable).location, where);
    EXPECT_TRUE(has_evidence(only(outcome, rules::kZipAnomaly),
                             "member 'archive/data.pkl': its 100045 bytes of data run past the "
                             "end of the archive"));
}

TEST(ArchiveScan, TruncatedTarStillExaminesMembersBeforeTheBreak) {
    const auto outcome = scan_fixture("truncated.tar");
    EXPECT_EQ(outcome.reached, std::vector{chain({file("truncated.tar"), member("first.txt")})});
    const auto& broken = only(outcome, rules::kScanUnparseable);
    EXPECT_EQ(broken.location, chain({file("truncated.tar"), member("second.bin")}));
    EXPECT_EQ(broken.message,
              "Member 'second.bin' could not be read to its end: Truncated tar archive. The part "
              "before the break was examined.");
}

TEST(ArchiveScan, TarMemberIsAViewIntoTheArchive) {
    const auto archive = load_fixture("payload.tar");
    const auto outcome = scan_as(archive, "payload.tar");
    ASSERT_EQ(outcome.reached_data.size(), 1u);
    EXPECT_GE(outcome.reached_data[0], archive.data());
    EXPECT_LT(outcome.reached_data[0], archive.data() + archive.size());
}

TEST(ArchiveScan, LargeOutputsAreSpilledAndStillExamined) {
    ScanLimits limits;
    limits.spill_threshold_bytes = 8;
    for (const std::string name : {"pickle.xz", "payload.7z", "methods.zip"}) {
        const auto archive = load_fixture(name);
        const auto outcome = scan_as(archive, name, limits);
        ASSERT_FALSE(outcome.reached.empty()) << name;
        for (const auto* data : outcome.reached_data) {
            const bool inside = data >= archive.data() && data < archive.data() + archive.size();
            EXPECT_FALSE(inside) << name;
        }
        EXPECT_TRUE(outcome.findings.empty()) << name;
    }
}

TEST(ArchiveScan, RandomDataThatStartsLikeZlibIsNotAFinding) {
    const auto outcome = scan_fixture("zlib_lookalike.dat");
    EXPECT_TRUE(outcome.findings.empty());
    EXPECT_TRUE(outcome.reached.empty());
}

TEST(ArchiveScan, BrokenZlibStreamNamedAsOneIsReported) {
    const auto outcome = scan_as(load_fixture("zlib_lookalike.dat"), "weights.z");
    const auto& finding = only(outcome, rules::kScanUnparseable);
    EXPECT_EQ(finding.location, chain({file("weights.z")}));
    EXPECT_TRUE(finding.message.starts_with("The zlib stream is corrupt"));
}

}  // namespace
}  // namespace hazmat
