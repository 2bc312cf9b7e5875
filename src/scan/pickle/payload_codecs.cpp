#include "scan/pickle/payload_codecs.hpp"

#include <bzlib.h>
#include <fmt/format.h>
#include <lzma.h>
#include <zlib.h>

#include <array>
#include <cstring>

namespace hazmat::pickle {

namespace {

constexpr size_t kChunk = 64 * 1024;

Error too_large(PayloadCodec codec, uint64_t max_output) {
    return Error{fmt::format("{} output exceeds {} bytes", to_string(codec), max_output)};
}

// Grows `out` by one chunk, refusing to pass `max_output`.
bool grow(std::vector<uint8_t>& out, size_t& used, uint64_t max_output) {
    if (used >= max_output)
        return false;
    const size_t next = std::min<uint64_t>(used + kChunk, max_output);
    out.resize(next);
    return true;
}

// windowBits: 15 + 32 detects zlib and gzip headers; -15 is raw deflate.
Result<std::vector<uint8_t>> inflate_stream(ByteSpan input, int window_bits, bool members,
                                            PayloadCodec codec, uint64_t max_output) {
    std::vector<uint8_t> out;
    size_t used = 0;
    size_t consumed = 0;
    do {
        z_stream stream{};
        if (inflateInit2(&stream, window_bits) != Z_OK)
            return Error{"zlib initialisation failed"};
        stream.next_in = const_cast<Bytef*>(input.data() + consumed);
        stream.avail_in = static_cast<uInt>(std::min<size_t>(input.size() - consumed, UINT32_MAX));
        int status = Z_OK;
        while (status != Z_STREAM_END) {
            if (used == out.size() && !grow(out, used, max_output)) {
                inflateEnd(&stream);
                return too_large(codec, max_output);
            }
            stream.next_out = out.data() + used;
            stream.avail_out = static_cast<uInt>(out.size() - used);
            status = inflate(&stream, Z_NO_FLUSH);
            used = out.size() - stream.avail_out;
            if (status == Z_BUF_ERROR && stream.avail_in == 0)
                break;  // truncated input: keep what was decoded
            if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR) {
                inflateEnd(&stream);
                if (used > 0)
                    break;
                return Error{fmt::format("{} data is invalid", to_string(codec))};
            }
        }
        consumed = input.size() - stream.avail_in;
        inflateEnd(&stream);
        if (status != Z_STREAM_END)
            break;
    } while (members && consumed < input.size() && input[consumed] == 0x1f);
    out.resize(used);
    return out;
}

Result<std::vector<uint8_t>> decode_bz2(ByteSpan input, uint64_t max_output) {
    std::vector<uint8_t> out;
    size_t used = 0;
    size_t consumed = 0;
    while (consumed < input.size()) {
        bz_stream stream{};
        if (BZ2_bzDecompressInit(&stream, 0, 0) != BZ_OK)
            return Error{"bz2 initialisation failed"};
        stream.next_in = reinterpret_cast<char*>(const_cast<uint8_t*>(input.data() + consumed));
        stream.avail_in =
            static_cast<unsigned>(std::min<size_t>(input.size() - consumed, UINT32_MAX));
        int status = BZ_OK;
        while (status == BZ_OK) {
            if (used == out.size() && !grow(out, used, max_output)) {
                BZ2_bzDecompressEnd(&stream);
                return too_large(PayloadCodec::bz2, max_output);
            }
            stream.next_out = reinterpret_cast<char*>(out.data() + used);
            stream.avail_out = static_cast<unsigned>(out.size() - used);
            status = BZ2_bzDecompress(&stream);
            used = out.size() - stream.avail_out;
            if (status == BZ_OK && stream.avail_in == 0 && stream.avail_out > 0)
                break;  // truncated
        }
        consumed = input.size() - stream.avail_in;
        BZ2_bzDecompressEnd(&stream);
        if (status != BZ_STREAM_END) {
            if (used == 0)
                return Error{"bz2 data is invalid"};
            break;
        }
    }
    out.resize(used);
    return out;
}

Result<std::vector<uint8_t>> decode_lzma(ByteSpan input, uint64_t max_output) {
    lzma_stream stream = LZMA_STREAM_INIT;
    if (lzma_auto_decoder(&stream, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
        return Error{"lzma initialisation failed"};
    std::vector<uint8_t> out;
    size_t used = 0;
    stream.next_in = input.data();
    stream.avail_in = input.size();
    lzma_ret status = LZMA_OK;
    while (status == LZMA_OK) {
        if (used == out.size() && !grow(out, used, max_output)) {
            lzma_end(&stream);
            return too_large(PayloadCodec::lzma, max_output);
        }
        stream.next_out = out.data() + used;
        stream.avail_out = out.size() - used;
        status = lzma_code(&stream, stream.avail_in == 0 ? LZMA_FINISH : LZMA_RUN);
        used = out.size() - stream.avail_out;
    }
    lzma_end(&stream);
    if (status != LZMA_STREAM_END && used == 0)
        return Error{"lzma data is invalid"};
    out.resize(used);
    return out;
}

// Base 64/32/16: a table from byte to digit value (-1: not in the alphabet).
template <size_t Bits>
Result<std::vector<uint8_t>> decode_radix(ByteSpan input, const std::array<int8_t, 256>& table,
                                          PayloadCodec codec, uint64_t max_output) {
    std::vector<uint8_t> out;
    out.reserve(std::min<uint64_t>(input.size() * Bits / 8 + 1, max_output));
    uint32_t buffer = 0;
    unsigned bits = 0;
    for (const uint8_t c : input) {
        if (c == '=')
            break;  // padding ends the data, as in binascii
        const int value = table[c];
        if (value < 0) {
            // binascii.a2b_base64 skips what is not in the alphabet; the
            // other decoders would raise, but hazmat decodes the rest anyway.
            continue;
        }
        buffer = (buffer << Bits) | static_cast<uint32_t>(value);
        bits += Bits;
        if (bits >= 8) {
            bits -= 8;
            if (out.size() >= max_output)
                return too_large(codec, max_output);
            out.push_back(static_cast<uint8_t>(buffer >> bits));
            buffer &= (1u << bits) - 1;
        }
    }
    return out;
}

std::array<int8_t, 256> make_table(std::string_view alphabet, bool fold_case) {
    std::array<int8_t, 256> table{};
    table.fill(-1);
    for (size_t i = 0; i < alphabet.size(); ++i) {
        const auto c = static_cast<unsigned char>(alphabet[i]);
        table[c] = static_cast<int8_t>(i);
        if (fold_case && c >= 'A' && c <= 'Z')
            table[c - 'A' + 'a'] = static_cast<int8_t>(i);
    }
    return table;
}

// Ascii85 (a85decode, without Adobe framing unless present) and base85
// (b85decode, the RFC 1924 alphabet): five digits make four bytes; a short
// final group is padded with the highest digit.
Result<std::vector<uint8_t>> decode_85(ByteSpan input, bool ascii85, uint64_t max_output) {
    static const auto kB85 = make_table(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~",
        false);
    auto view = std::string_view(reinterpret_cast<const char*>(input.data()), input.size());
    if (ascii85) {
        if (view.starts_with("<~"))
            view.remove_prefix(2);
        if (const auto end = view.find("~>"); end != std::string_view::npos)
            view = view.substr(0, end);
    }
    std::vector<uint8_t> out;
    uint64_t group = 0;
    int digits = 0;
    const auto flush = [&](int count) -> bool {
        for (int i = 0; i < count; ++i) {
            if (out.size() >= max_output)
                return false;
            out.push_back(static_cast<uint8_t>(group >> (24 - 8 * i)));
        }
        return true;
    };
    for (const char ch : view) {
        const auto c = static_cast<unsigned char>(ch);
        int value = -1;
        if (ascii85) {
            if (c == 'z' && digits == 0) {
                group = 0;
                if (!flush(4))
                    return too_large(PayloadCodec::ascii85, max_output);
                continue;
            }
            if (c >= '!' && c <= 'u')
                value = c - '!';
        } else {
            value = kB85[c];
        }
        if (value < 0)
            continue;
        group = group * 85 + static_cast<uint64_t>(value);
        if (++digits == 5) {
            group &= 0xffffffffu;
            if (!flush(4))
                return too_large(ascii85 ? PayloadCodec::ascii85 : PayloadCodec::base85,
                                 max_output);
            group = 0;
            digits = 0;
        }
    }
    if (digits > 1) {
        const int pad = 5 - digits;
        for (int i = 0; i < pad; ++i)
            group = group * 85 + 84;
        group &= 0xffffffffu;
        if (!flush(4 - pad))
            return too_large(ascii85 ? PayloadCodec::ascii85 : PayloadCodec::base85, max_output);
    }
    return out;
}

}  // namespace

std::string_view to_string(PayloadCodec codec) {
    switch (codec) {
        case PayloadCodec::zlib:
            return "zlib";
        case PayloadCodec::gzip:
            return "gzip";
        case PayloadCodec::bz2:
            return "bz2";
        case PayloadCodec::lzma:
            return "lzma";
        case PayloadCodec::base64:
            return "base64";
        case PayloadCodec::base64_url:
            return "urlsafe base64";
        case PayloadCodec::base32:
            return "base32";
        case PayloadCodec::base32_hex:
            return "base32hex";
        case PayloadCodec::base16:
            return "hex";
        case PayloadCodec::ascii85:
            return "ascii85";
        case PayloadCodec::base85:
            return "base85";
    }
    return "unknown";
}

Result<std::vector<uint8_t>> decode_payload(PayloadCodec codec, ByteSpan input,
                                            uint64_t max_output) {
    static const auto kBase64 =
        make_table("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", false);
    static const auto kBase64Url =
        make_table("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", false);
    static const auto kBase32 = make_table("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", true);
    static const auto kBase32Hex = make_table("0123456789ABCDEFGHIJKLMNOPQRSTUV", true);
    static const auto kBase16 = make_table("0123456789ABCDEF", true);

    switch (codec) {
        case PayloadCodec::zlib: {
            // zlib.decompress's wbits picks zlib, gzip or raw deflate; the
            // header says which one the data is.
            const bool zlib_header = input.size() >= 2 && (input[0] & 0x0f) == 8 &&
                                     (input[0] * 256 + input[1]) % 31 == 0;
            const bool gzip_header = input.size() >= 2 && input[0] == 0x1f && input[1] == 0x8b;
            return inflate_stream(input, zlib_header || gzip_header ? 15 + 32 : -15, false, codec,
                                  max_output);
        }
        case PayloadCodec::gzip:
            return inflate_stream(input, 15 + 16, true, codec, max_output);
        case PayloadCodec::bz2:
            return decode_bz2(input, max_output);
        case PayloadCodec::lzma:
            return decode_lzma(input, max_output);
        case PayloadCodec::base64:
            return decode_radix<6>(input, kBase64, codec, max_output);
        case PayloadCodec::base64_url:
            return decode_radix<6>(input, kBase64Url, codec, max_output);
        case PayloadCodec::base32:
            return decode_radix<5>(input, kBase32, codec, max_output);
        case PayloadCodec::base32_hex:
            return decode_radix<5>(input, kBase32Hex, codec, max_output);
        case PayloadCodec::base16:
            return decode_radix<4>(input, kBase16, codec, max_output);
        case PayloadCodec::ascii85:
            return decode_85(input, true, max_output);
        case PayloadCodec::base85:
            return decode_85(input, false, max_output);
    }
    return Error{"unknown codec"};
}

}  // namespace hazmat::pickle
