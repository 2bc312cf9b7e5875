#include "core/sniff.hpp"

#include <cstring>

namespace hazmat {

std::string_view to_string(Format format) {
    switch (format) {
        case Format::unknown:
            return "unknown";
        case Format::zip:
            return "zip";
        case Format::tar:
            return "tar";
        case Format::sevenzip:
            return "7z";
        case Format::gzip:
            return "gzip";
        case Format::bzip2:
            return "bzip2";
        case Format::xz:
            return "xz";
        case Format::lzma:
            return "lzma";
        case Format::lz4:
            return "lz4";
        case Format::zstd:
            return "zstd";
        case Format::zlib:
            return "zlib";
        case Format::npy:
            return "npy";
        case Format::gguf:
            return "gguf";
        case Format::hdf5:
            return "hdf5";
        case Format::safetensors:
            return "safetensors";
        case Format::pickle:
            return "pickle";
    }
    return "unknown";
}

bool is_compression(Format format) {
    switch (format) {
        case Format::gzip:
        case Format::bzip2:
        case Format::xz:
        case Format::lzma:
        case Format::lz4:
        case Format::zstd:
        case Format::zlib:
            return true;
        default:
            return false;
    }
}

namespace {

bool starts_with(ByteSpan bytes, std::string_view magic) {
    return bytes.size() >= magic.size() &&
           std::memcmp(bytes.data(), magic.data(), magic.size()) == 0;
}

bool is_tar_header(ByteSpan bytes) {
    if (bytes.size() < 512)
        return false;
    // POSIX ustar and GNU tar both put a magic at 257.
    if (std::memcmp(bytes.data() + 257, "ustar", 5) == 0)
        return true;
    // Pre-POSIX (v7) tar has no magic; accept it only when the header
    // checksum is right, which random data essentially never is.
    unsigned long stored = 0;
    bool digits = false;
    for (size_t i = 148; i < 156; ++i) {
        const char c = static_cast<char>(bytes[i]);
        if (c >= '0' && c <= '7') {
            stored = stored * 8 + static_cast<unsigned long>(c - '0');
            digits = true;
        } else if (c != ' ' && c != '\0') {
            return false;
        }
    }
    if (!digits || bytes[0] == 0)
        return false;
    unsigned long sum = 0;
    for (size_t i = 0; i < 512; ++i)
        sum += (i >= 148 && i < 156) ? ' ' : bytes[i];
    return sum == stored;
}

bool is_lzma_alone(ByteSpan bytes) {
    // properties byte (lc/lp/pb packed, < 225), then a 4-byte dictionary size
    // that xz and lzma write as a power of two or 2^n+2^(n-1), then the
    // uncompressed size (often all 0xFF for "unknown").
    if (bytes.size() < 13 || bytes[0] >= 225)
        return false;
    if (bytes[0] != 0x5d)
        return false;  // the default properties every encoder writes
    const uint32_t dict =
        bytes[1] | (bytes[2] << 8) | (bytes[3] << 16) | (static_cast<uint32_t>(bytes[4]) << 24);
    for (int n = 12; n <= 30; ++n) {
        if (dict == (1u << n) || dict == ((1u << n) | (1u << (n - 1))))
            return true;
    }
    return false;
}

bool is_zlib(ByteSpan bytes) {
    if (bytes.size() < 2)
        return false;
    const unsigned cmf = bytes[0];
    const unsigned flg = bytes[1];
    // Deflate with a window of at most 32K, no preset dictionary, valid check bits.
    return (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && (flg & 0x20) == 0 && (cmf * 256 + flg) % 31 == 0;
}

// safetensors has no magic: a little-endian u64 header length, then the
// header, a JSON object. A plausible length followed by "{" and the start of
// a JSON member is what every safetensors writer produces and what almost no
// other content starts with.
bool is_safetensors_header(ByteSpan bytes) {
    if (bytes.size() < 10)
        return false;
    uint64_t length = 0;
    for (size_t i = 0; i < 8; ++i)
        length |= static_cast<uint64_t>(bytes[i]) << (8 * i);
    if (length < 2 || length >= (1ull << 40) || bytes[8] != '{')
        return false;
    const uint8_t next = bytes[9];
    return next == '"' || next == '}' || next == ' ' || next == '\n' || next == '\r' ||
           next == '\t';
}

}  // namespace

// LIMITATION: TensorFlow Lite flatbuffers ("TFL3") and GGML/GGJT files
// from before GGUF are not recognised; named .tflite or .ggml they are
// reported as unknown models, otherwise they are not examined as models.
Format sniff(ByteSpan bytes) {
    if (starts_with(bytes, "PK\x03\x04") || starts_with(bytes, "PK\x05\x06") ||
        starts_with(bytes, "PK\x01\x02") || starts_with(bytes, "PK\x07\x08")) {
        return Format::zip;
    }
    if (starts_with(bytes, "\x93NUMPY"))
        return Format::npy;
    if (starts_with(bytes, "\x1f\x8b"))
        return Format::gzip;
    if (starts_with(bytes, "BZh") && bytes.size() > 3 && bytes[3] >= '1' && bytes[3] <= '9') {
        return Format::bzip2;
    }
    if (starts_with(bytes,
                    "\xfd"
                    "7zXZ\x00"))
        return Format::xz;
    if (starts_with(bytes, "7z\xbc\xaf\x27\x1c"))
        return Format::sevenzip;
    if (starts_with(bytes, "\x04\x22\x4d\x18"))
        return Format::lz4;
    if (starts_with(bytes, "\x28\xb5\x2f\xfd"))
        return Format::zstd;
    if (starts_with(bytes, "GGUF"))
        return Format::gguf;
    if (starts_with(bytes, "\x89HDF\r\n\x1a\n"))
        return Format::hdf5;
    // Before the weak checks below: a header length can look like LZMA
    // properties or a zlib header.
    if (is_safetensors_header(bytes))
        return Format::safetensors;
    if (is_tar_header(bytes))
        return Format::tar;
    if (is_lzma_alone(bytes))
        return Format::lzma;
    if (is_zlib(bytes))
        return Format::zlib;
    return Format::unknown;
}

}  // namespace hazmat
