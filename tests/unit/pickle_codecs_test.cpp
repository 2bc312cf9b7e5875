// Decoders for payloads that pickles wrap around nested pickles.

#include <bzlib.h>
#include <gtest/gtest.h>
#include <lzma.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "scan/pickle/payload_codecs.hpp"
#include "scan/pickle/pickle_text.hpp"

namespace hazmat::pickle {
namespace {

ByteSpan span_of(std::string_view text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

std::string decoded(PayloadCodec codec, std::string_view input, uint64_t max = 1 << 20) {
    auto out = decode_payload(codec, span_of(input), max);
    EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message);
    if (!out)
        return {};
    return std::string(out->begin(), out->end());
}

std::string zlib_compress(std::string_view text, int window_bits) {
    z_stream stream{};
    deflateInit2(&stream, 9, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&stream, text.size()) + 32, '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    stream.avail_in = static_cast<uInt>(text.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    deflate(&stream, Z_FINISH);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    return out;
}

TEST(PickleCodecs, Base64SkipsCharactersOutsideTheAlphabet) {
    EXPECT_EQ(decoded(PayloadCodec::base64, "aGF6\nbWF0!"), "hazmat");
    EXPECT_EQ(decoded(PayloadCodec::base64, "aGk="), "hi");
    EXPECT_EQ(decoded(PayloadCodec::base64_url, "-_8="), "\xfb\xff");
}

TEST(PickleCodecs, Base32AndBase16) {
    EXPECT_EQ(decoded(PayloadCodec::base32, "NBQXU3LBOQ======"), "hazmat");
    EXPECT_EQ(decoded(PayloadCodec::base32_hex, "D1GNKRB1EG======"), "hazmat");
    EXPECT_EQ(decoded(PayloadCodec::base16, "68617A6d6174"), "hazmat");
    EXPECT_EQ(decoded(PayloadCodec::base16, "68 61"), "ha");
}

TEST(PickleCodecs, Ascii85AndBase85) {
    // Reference values from Python's base64.a85encode and b85encode.
    EXPECT_EQ(decoded(PayloadCodec::ascii85, "BOQ4(@/"), "hazma");
    EXPECT_EQ(decoded(PayloadCodec::ascii85, "<~BOQ4(@/~>"), "hazma");
    EXPECT_EQ(decoded(PayloadCodec::ascii85, "z"), std::string(4, '\0'));
    EXPECT_EQ(decoded(PayloadCodec::base85, "XkmJ7VRQ"), "hazmat");
}

TEST(PickleCodecs, ZlibAcceptsZlibGzipAndRawDeflate) {
    const std::string text = "hazmat test payload";
    EXPECT_EQ(decoded(PayloadCodec::zlib, zlib_compress(text, 15)), text);
    EXPECT_EQ(decoded(PayloadCodec::zlib, zlib_compress(text, 31)), text);
    EXPECT_EQ(decoded(PayloadCodec::zlib, zlib_compress(text, -15)), text);
    EXPECT_EQ(decoded(PayloadCodec::gzip, zlib_compress("ab", 31) + zlib_compress("cd", 31)),
              "abcd");
    EXPECT_FALSE(decode_payload(PayloadCodec::zlib, span_of("not compressed"), 100).ok());
}

TEST(PickleCodecs, Bz2AndLzma) {
    const std::string text = "hazmat test payload";
    std::string bz(256, '\0');
    unsigned bz_size = static_cast<unsigned>(bz.size());
    ASSERT_EQ(BZ2_bzBuffToBuffCompress(bz.data(), &bz_size, const_cast<char*>(text.data()),
                                       static_cast<unsigned>(text.size()), 9, 0, 0),
              BZ_OK);
    bz.resize(bz_size);
    EXPECT_EQ(decoded(PayloadCodec::bz2, bz), text);

    std::string xz(256, '\0');
    size_t xz_size = 0;
    ASSERT_EQ(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, nullptr,
                                      reinterpret_cast<const uint8_t*>(text.data()), text.size(),
                                      reinterpret_cast<uint8_t*>(xz.data()), &xz_size, xz.size()),
              LZMA_OK);
    xz.resize(xz_size);
    EXPECT_EQ(decoded(PayloadCodec::lzma, xz), text);
}

TEST(PickleCodecs, DecompressionBombsStopAtTheBound) {
    const std::string bomb = zlib_compress(std::string(1 << 20, 'A'), 15);
    auto out = decode_payload(PayloadCodec::zlib, span_of(bomb), 4096);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.error().message, "zlib output exceeds 4096 bytes");
}

TEST(PickleText, EncodingNames) {
    EXPECT_EQ(codec_for_encoding("Base64"), PayloadCodec::base64);
    EXPECT_EQ(codec_for_encoding("zlib_codec"), PayloadCodec::zlib);
    EXPECT_EQ(codec_for_encoding("hex"), PayloadCodec::base16);
    EXPECT_EQ(codec_for_encoding("utf-8"), std::nullopt);
    EXPECT_TRUE(is_latin1_encoding("latin1"));
    EXPECT_TRUE(is_latin1_encoding("ISO-8859-1"));
    EXPECT_FALSE(is_latin1_encoding("utf-8"));
}

TEST(PickleText, PythonIntegers) {
    EXPECT_EQ(parse_python_int(" 1_000 ", false)->value, 1000);
    EXPECT_EQ(parse_python_int("-0x10", true)->value, -16);
    EXPECT_FALSE(parse_python_int("0x10", false).has_value());
    EXPECT_FALSE(parse_python_int("1__0", false).has_value());
    EXPECT_FALSE(parse_python_int("99999999999999999999", false)->fits);
}

TEST(PickleText, DisplayEscapesAndTruncates) {
    EXPECT_EQ(escape_for_display("a'b\n\x01", 80), "a\\'b\\n\\x01");
    EXPECT_EQ(escape_for_display("abcdef", 3), "abc...");
}

}  // namespace
}  // namespace hazmat::pickle
