// The lenient zip reader on its own: what it lists, what it hands out, and
// that hostile directories neither crash it nor make it read out of bounds.

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <random>

#include "archive_test_support.hpp"
#include "core/archive/member_checks.hpp"
#include "core/archive/zip_reader.hpp"

namespace hazmat {
namespace {

using namespace hazmat::testing;

constexpr std::string_view kPickle =
    "\x80\x02"
    "cos\nsystem\nq\x00X\x10\x00\x00\x00"
    "echo hazmat-testq\x01\x85q\x02Rq\x03.";

std::string_view payload() {
    return {kPickle.data(), 45};
}

TEST(ZipReader, ListsCentralDirectoryEntries) {
    const auto archive = load_fixture("pickle_in_zip.zip");
    const auto listing = read_zip_directory(archive.span());
    ASSERT_TRUE(listing.ok()) << listing.error().message;
    ASSERT_EQ(listing->entries.size(), 2u);
    EXPECT_EQ(listing->entries[0].name, "archive/version");
    EXPECT_EQ(listing->entries[1].name, "weights.txt");
    EXPECT_EQ(listing->entries[1].method, 8);
    EXPECT_EQ(listing->entries[1].uncompressed_size, payload().size());
    EXPECT_EQ(listing->declared_entries, 2u);
    EXPECT_FALSE(listing->zip64);
    EXPECT_TRUE(listing->anomalies.empty());

    const auto content = read_zip_member(archive, listing->entries[1], 1 << 20);
    ASSERT_TRUE(content.ok()) << content.error().message;
    EXPECT_EQ(content->as_chars(), payload());
}

TEST(ZipReader, StoredMemberIsAViewIntoTheArchive) {
    const auto archive = load_fixture("pickle0_in_zip.zip");
    const auto listing = read_zip_directory(archive.span());
    ASSERT_TRUE(listing.ok());
    const auto content = read_zip_member(archive, listing->entries.at(0), 1 << 20);
    ASSERT_TRUE(content.ok());
    EXPECT_EQ(content->data(), archive.data() + listing->entries[0].data_offset);
}

TEST(ZipReader, MemberLargerThanTheCallersBoundIsAnError) {
    const auto archive = load_fixture("pickle_in_zip.zip");
    const auto listing = read_zip_directory(archive.span());
    ASSERT_TRUE(listing.ok());
    const auto content = read_zip_member(archive, listing->entries.at(1), 10);
    ASSERT_FALSE(content.ok());
    EXPECT_EQ(content.error().message, "member 'weights.txt' expands past 10 bytes");
}

TEST(ZipReader, Zip64EndRecordAndExtraFieldAreRead) {
    const auto archive = load_fixture("zip64.zip");
    const auto listing = read_zip_directory(archive.span());
    ASSERT_TRUE(listing.ok()) << listing.error().message;
    EXPECT_TRUE(listing->zip64);
    ASSERT_EQ(listing->entries.size(), 1u);
    EXPECT_EQ(listing->entries[0].compressed_size, payload().size());
    EXPECT_EQ(listing->entries[0].local_header_offset, 0u);
    EXPECT_TRUE(listing->anomalies.empty());
}

TEST(ZipReader, PrependedDataIsCountedAsPrefix) {
    for (const std::string name : {"prepended_relative.zip", "prepended_absolute.zip"}) {
        const auto archive = load_fixture(name);
        const auto listing = read_zip_directory(archive.span());
        ASSERT_TRUE(listing.ok()) << name;
        EXPECT_EQ(listing->prefix_bytes, 131u) << name;
        EXPECT_EQ(listing->entries.at(0).local_header_offset, 131u) << name;
    }
}

TEST(ZipReader, FakeEndRecordInTheCommentIsPassedOver) {
    const auto original = load_fixture("pickle_in_zip.zip");
    std::string bytes(original.as_chars());
    // A comment that ends in a record pointing nowhere; readers search from
    // the back and meet it first.
    std::string fake("PK\x05\x06\0\0\0\0\x01\0\x01\0\x10\0\0\0\xff\xff\xff\x00\0\0", 22);
    const auto comment_length = static_cast<uint16_t>(fake.size() + 4);
    bytes[bytes.size() - 2] = static_cast<char>(comment_length & 0xff);
    bytes[bytes.size() - 1] = static_cast<char>(comment_length >> 8);
    bytes += "junk" + fake;
    const auto archive = bytes_from(std::move(bytes));

    const auto listing = read_zip_directory(archive.span());
    ASSERT_TRUE(listing.ok()) << listing.error().message;
    EXPECT_EQ(listing->entries.size(), 2u);
    ASSERT_FALSE(listing->anomalies.empty());
    EXPECT_TRUE(listing->anomalies[0].starts_with("the last end record (offset "));
    EXPECT_TRUE(has_zip_end_record(archive.span()));
}

TEST(ZipReader, EntryLimitTruncatesTheListing) {
    const auto archive = load_fixture("overlap_bomb.zip");
    const auto listing = read_zip_directory(archive.span(), 10);
    ASSERT_TRUE(listing.ok());
    EXPECT_EQ(listing->entries.size(), 10u);
    EXPECT_TRUE(listing->truncated);
    EXPECT_EQ(listing->declared_entries, 1000u);
}

TEST(ZipReader, ContentWithoutEndRecordIsNotAZip) {
    const std::string text = "plain text that mentions PK but has no end record";
    const ByteSpan span(reinterpret_cast<const uint8_t*>(text.data()), text.size());
    EXPECT_FALSE(read_zip_directory(span).ok());
    EXPECT_FALSE(has_zip_end_record(span));
}

TEST(ZipReader, EndRecordAtTheTailIsFoundBehindPrependedData) {
    EXPECT_TRUE(has_zip_end_record(load_fixture("prepended_relative.zip").span()));
    EXPECT_FALSE(has_zip_end_record(load_fixture("payload.tar").span()));
}

// Random damage to real archives: every outcome is fine except a crash or a
// read outside the buffer (run under AddressSanitizer to see the latter).
TEST(ZipReader, SurvivesCorruptedArchives) {
    std::mt19937 random(1234);
    for (const std::string name : {"pickle_in_zip.zip", "zip64.zip", "nested.zip",
                                   "prepended_absolute.zip", "methods.zip"}) {
        const auto original = load_fixture(name);
        for (int round = 0; round < 2000; ++round) {
            std::vector<uint8_t> bytes(original.span().begin(), original.span().end());
            const int flips = 1 + static_cast<int>(random() % 8);
            for (int i = 0; i < flips; ++i)
                bytes[random() % bytes.size()] = static_cast<uint8_t>(random());
            if (round % 5 == 0)
                bytes.resize(random() % bytes.size());
            const auto archive = bytes_from(std::move(bytes));
            const auto listing = read_zip_directory(archive.span(), 1000);
            if (!listing)
                continue;
            for (const auto& entry : listing->entries)
                (void)read_zip_member(archive, entry, 1 << 20);
        }
    }
}

TEST(ZipReader, SurvivesCorruptedArchivesThroughTheAnalyzers) {
    std::mt19937 random(99);
    ScanLimits limits;
    limits.max_members = 1000;
    limits.max_expanded_bytes = 8 << 20;
    for (const std::string name : {"nested.zip", "nested.tar.gz", "payload.7z", "pickle.xz"}) {
        const auto original = load_fixture(name);
        for (int round = 0; round < 300; ++round) {
            std::vector<uint8_t> bytes(original.span().begin(), original.span().end());
            bytes[random() % bytes.size()] = static_cast<uint8_t>(random());
            (void)scan_as(bytes_from(std::move(bytes)), name, limits);
        }
    }
}

TEST(MemberNames, EscapesAreRecognisedAfterNormalization) {
    EXPECT_EQ(path_escape_reason("../x"), "it climbs out of the extraction directory with '..'");
    EXPECT_EQ(path_escape_reason("a/../../x"),
              "it climbs out of the extraction directory with '..'");
    EXPECT_EQ(path_escape_reason("a\\..\\..\\x"),
              "it climbs out of the extraction directory with '..'");
    EXPECT_EQ(path_escape_reason("/etc/passwd"), "it is an absolute path");
    EXPECT_EQ(path_escape_reason("\\\\server\\share"), "it is an absolute path");
    EXPECT_EQ(path_escape_reason("C:\\x"), "it starts with a Windows drive letter");
    EXPECT_EQ(path_escape_reason("c:x"), "it starts with a Windows drive letter");
    EXPECT_EQ(path_escape_reason("a/../b"), std::nullopt);
    EXPECT_EQ(path_escape_reason("./a/./b/"), std::nullopt);
    EXPECT_EQ(path_escape_reason("...hidden"), std::nullopt);
    EXPECT_EQ(path_escape_reason(""), std::nullopt);
}

}  // namespace
}  // namespace hazmat
