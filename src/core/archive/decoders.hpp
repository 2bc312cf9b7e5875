#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/sniff.hpp"

namespace hazmat {

// Compression codecs hazmat undoes itself, by content, with the reference
// libraries' streaming interfaces (zlib, libbz2, liblzma, liblz4, libzstd).
enum class Codec {
    deflate,     // raw deflate (zip method 8)
    zlib,        // RFC 1950 (joblib's .z files)
    gzip,        // RFC 1952, concatenated members as gzip -d reads them
    bzip2,       // concatenated streams as bzip2 -d reads them
    xz,          // concatenated streams and stream padding
    lzma_alone,  // legacy .lzma
    zip_lzma,    // zip method 14: a small header, then raw LZMA1
    lz4_frame,   // concatenated frames
    zstd,        // concatenated and skippable frames
};

// The codec's name as shown in locations ("gzip").
std::string_view to_string(Codec codec);

// The codec that undoes a sniffed compression format, if any.
std::optional<Codec> codec_for(Format format);

enum class DecodeStatus {
    complete,   // the stream ended where its own framing says it ends
    truncated,  // the input ended first
    corrupt,    // the decoder rejected the data
    stopped,    // the sink refused more output (a limit was reached)
};

struct DecodeResult {
    DecodeStatus status = DecodeStatus::complete;
    uint64_t consumed = 0;  // input bytes used; trailing data starts here
    uint64_t produced = 0;
    std::string detail;  // the decoder's own words for corrupt input
};

// Receives output as it is produced, with the input consumed so far (for
// ratio checks). Returning false stops decoding at once.
using DecodeSink = std::function<bool(ByteSpan chunk, uint64_t consumed)>;

struct DecodeOptions {
    // Exact output size when the container states it (zip method 14 without
    // an end marker needs it); otherwise the stream's own end marker counts.
    std::optional<uint64_t> expected_size;
};

// Decodes `input` chunk by chunk into `sink`. Never reads outside `input`,
// never allocates more than a bounded decoder state (xz/lzma dictionaries
// are capped by kDecoderMemoryLimit), and stops as soon as the sink says so.
DecodeResult decode(Codec codec, ByteSpan input, const DecodeSink& sink,
                    const DecodeOptions& options = {});

// Decoder memory above which an xz or lzma stream is refused (its header
// asks for a dictionary this large): a few bytes of header must not make
// hazmat allocate gigabytes.
inline constexpr uint64_t kDecoderMemoryLimit = 512ull << 20;

// Whether the first `probe_bytes` of input decode without error. Formats
// with a two-byte magic (zlib) or none at all (lzma alone) match random
// data now and then; a probe tells real streams from coincidences cheaply.
bool decodes_cleanly(Codec codec, ByteSpan input, size_t probe_bytes);

}  // namespace hazmat
