// Streaming decoders and the spill buffer.

#include <gtest/gtest.h>

#include "archive_test_support.hpp"
#include "core/archive/decoders.hpp"
#include "core/archive/spill_buffer.hpp"

namespace hazmat {
namespace {

using namespace hazmat::testing;

std::string decode_all(Codec codec, const Bytes& input, DecodeResult& result) {
    std::string output;
    result = decode(codec, input.span(), [&](ByteSpan chunk, uint64_t) {
        output.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
        return true;
    });
    return output;
}

TEST(Decoders, EveryCodecRestoresThePayload) {
    const std::vector<std::pair<std::string, Codec>> cases = {
        {"pickle.gz", Codec::gzip},       {"pickle.bz2", Codec::bzip2},
        {"pickle.xz", Codec::xz},         {"pickle.lzma", Codec::lzma_alone},
        {"pickle.lz4", Codec::lz4_frame}, {"pickle.zst", Codec::zstd},
        {"pickle.z", Codec::zlib},
    };
    for (const auto& [name, codec] : cases) {
        const auto input = load_fixture(name);
        DecodeResult result;
        const auto output = decode_all(codec, input, result);
        EXPECT_EQ(result.status, DecodeStatus::complete) << name << ": " << result.detail;
        EXPECT_EQ(result.consumed, input.size()) << name;
        EXPECT_EQ(output.size(), 45u) << name;
        EXPECT_NE(output.find(kMarker), std::string::npos) << name;
    }
}

TEST(Decoders, TruncatedStreamsSayTruncatedAndKeepTheirPrefix) {
    const std::vector<std::pair<std::string, Codec>> cases = {
        {"pickle.gz", Codec::gzip},       {"pickle.bz2", Codec::bzip2}, {"pickle.xz", Codec::xz},
        {"pickle.lz4", Codec::lz4_frame}, {"pickle.zst", Codec::zstd},  {"pickle.z", Codec::zlib},
    };
    for (const auto& [name, codec] : cases) {
        const auto input = load_fixture(name).slice(0, load_fixture(name).size() - 5);
        DecodeResult result;
        (void)decode_all(codec, input, result);
        EXPECT_EQ(result.status, DecodeStatus::truncated) << name << ": " << result.detail;
    }
    const auto partial = load_fixture("truncated.gz");
    DecodeResult result;
    const auto output = decode_all(Codec::gzip, partial, result);
    EXPECT_EQ(result.status, DecodeStatus::truncated);
    EXPECT_NE(output.find(kMarker), std::string::npos);
}

TEST(Decoders, SinkRefusalStopsDecoding) {
    const auto input = load_fixture("bomb.gz.gz");
    uint64_t calls = 0;
    const auto result = decode(Codec::gzip, input.span(), [&](ByteSpan, uint64_t) {
        ++calls;
        return false;
    });
    EXPECT_EQ(result.status, DecodeStatus::stopped);
    EXPECT_EQ(calls, 1u);
}

TEST(Decoders, GarbageIsCorrupt) {
    const auto input = load_fixture("zlib_lookalike.dat");
    DecodeResult result;
    (void)decode_all(Codec::zlib, input, result);
    EXPECT_EQ(result.status, DecodeStatus::corrupt);
    EXPECT_FALSE(result.detail.empty());
    EXPECT_FALSE(decodes_cleanly(Codec::zlib, input.span(), 64 * 1024));
    EXPECT_TRUE(decodes_cleanly(Codec::zlib, load_fixture("pickle.z").span(), 64 * 1024));
}

TEST(SpillBuffer, LargeOutputMovesToAnUnlinkedFileAndReadsBackExactly) {
    SpillBuffer buffer(1024);
    std::vector<uint8_t> expected;
    for (int i = 0; i < 100; ++i) {
        std::vector<uint8_t> chunk(300, static_cast<uint8_t>(i));
        ASSERT_TRUE(buffer.append(chunk));
        expected.insert(expected.end(), chunk.begin(), chunk.end());
    }
    ASSERT_TRUE(buffer.append_zeros(5000));
    expected.resize(expected.size() + 5000, 0);
    EXPECT_TRUE(buffer.spilled());
    const auto bytes = buffer.finish();
    ASSERT_TRUE(bytes.ok()) << bytes.error().message;
    EXPECT_TRUE(
        std::equal(bytes->span().begin(), bytes->span().end(), expected.begin(), expected.end()));
}

TEST(SpillBuffer, SmallOutputStaysInMemory) {
    SpillBuffer buffer(1024);
    const std::vector<uint8_t> chunk(100, 7);
    ASSERT_TRUE(buffer.append(chunk));
    EXPECT_FALSE(buffer.spilled());
    const auto bytes = buffer.finish();
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ(bytes->size(), 100u);
}

}  // namespace
}  // namespace hazmat
