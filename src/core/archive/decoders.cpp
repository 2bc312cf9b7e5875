#include "core/archive/decoders.hpp"

#include <bzlib.h>
#include <fmt/format.h>
#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

namespace hazmat {

std::string_view to_string(Codec codec) {
    switch (codec) {
        case Codec::deflate:
            return "deflate";
        case Codec::zlib:
            return "zlib";
        case Codec::gzip:
            return "gzip";
        case Codec::bzip2:
            return "bzip2";
        case Codec::xz:
            return "xz";
        case Codec::lzma_alone:
            return "lzma";
        case Codec::zip_lzma:
            return "lzma";
        case Codec::lz4_frame:
            return "lz4";
        case Codec::zstd:
            return "zstd";
    }
    return "unknown";
}

std::optional<Codec> codec_for(Format format) {
    switch (format) {
        case Format::gzip:
            return Codec::gzip;
        case Format::bzip2:
            return Codec::bzip2;
        case Format::xz:
            return Codec::xz;
        case Format::lzma:
            return Codec::lzma_alone;
        case Format::lz4:
            return Codec::lz4_frame;
        case Format::zstd:
            return Codec::zstd;
        case Format::zlib:
            return Codec::zlib;
        default:
            return std::nullopt;
    }
}

namespace {

constexpr size_t kOutputChunk = 256 * 1024;
// zlib and libbz2 count input in 32-bit integers; larger inputs are fed in slices.
constexpr size_t kMaxFeed = 1u << 30;

bool starts_with(ByteSpan bytes, std::string_view magic) {
    return bytes.size() >= magic.size() &&
           std::memcmp(bytes.data(), magic.data(), magic.size()) == 0;
}

uint32_t read_le32(ByteSpan bytes) {
    return static_cast<uint32_t>(bytes[0]) | (static_cast<uint32_t>(bytes[1]) << 8) |
           (static_cast<uint32_t>(bytes[2]) << 16) | (static_cast<uint32_t>(bytes[3]) << 24);
}

// Hands output to the sink and keeps the counters; false when the sink stops.
struct Emitter {
    const DecodeSink& sink;
    DecodeResult& result;

    bool emit(const uint8_t* data, size_t size, uint64_t consumed) {
        result.consumed = consumed;
        if (size == 0)
            return true;
        result.produced += size;
        if (sink(ByteSpan(data, size), consumed))
            return true;
        result.status = DecodeStatus::stopped;
        return false;
    }
};

DecodeResult corrupt(DecodeResult result, std::string detail) {
    result.status = DecodeStatus::corrupt;
    result.detail = std::move(detail);
    return result;
}

DecodeResult truncated(DecodeResult result) {
    result.status = DecodeStatus::truncated;
    return result;
}

// zlib, gzip and raw deflate. gzip -d reads concatenated members as one
// stream, and so do Python's gzip module and tar -z: so does this.
DecodeResult inflate_stream(ByteSpan input, int window_bits, bool concatenated_members,
                            const DecodeSink& sink) {
    DecodeResult result;
    z_stream stream{};
    if (inflateInit2(&stream, window_bits) != Z_OK)
        return corrupt(result, "inflateInit2 failed");
    struct End {
        z_stream& s;
        ~End() { inflateEnd(&s); }
    } end{stream};

    Emitter emitter{sink, result};
    std::vector<uint8_t> out(kOutputChunk);
    uint64_t offset = 0;
    for (;;) {
        const size_t feed = std::min<uint64_t>(input.size() - offset, kMaxFeed);
        stream.next_in = const_cast<Bytef*>(input.data() + offset);
        stream.avail_in = static_cast<uInt>(feed);
        stream.next_out = out.data();
        stream.avail_out = static_cast<uInt>(out.size());
        const int rc = inflate(&stream, Z_NO_FLUSH);
        offset += feed - stream.avail_in;
        if (!emitter.emit(out.data(), out.size() - stream.avail_out, offset))
            return result;

        if (rc == Z_STREAM_END) {
            const auto rest = input.subspan(offset);
            if (concatenated_members && starts_with(rest, "\x1f\x8b")) {
                inflateReset(&stream);
                continue;
            }
            return result;
        }
        if (rc == Z_NEED_DICT)
            return corrupt(result, "the stream needs a preset dictionary");
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return corrupt(result, stream.msg != nullptr ? stream.msg : "inflate failed");
        if (offset == input.size() && stream.avail_out != 0)
            return truncated(result);
    }
}

DecodeResult bunzip_stream(ByteSpan input, const DecodeSink& sink) {
    DecodeResult result;
    Emitter emitter{sink, result};
    std::vector<uint8_t> out(kOutputChunk);
    uint64_t offset = 0;
    // bzip2 -d continues with the next stream when one ends ("BZh" again).
    for (;;) {
        bz_stream stream{};
        if (BZ2_bzDecompressInit(&stream, 0, 0) != BZ_OK)
            return corrupt(result, "BZ2_bzDecompressInit failed");
        struct End {
            bz_stream& s;
            ~End() { BZ2_bzDecompressEnd(&s); }
        } end{stream};

        int rc = BZ_OK;
        while (rc != BZ_STREAM_END) {
            const size_t feed = std::min<uint64_t>(input.size() - offset, kMaxFeed);
            stream.next_in =
                const_cast<char*>(reinterpret_cast<const char*>(input.data() + offset));
            stream.avail_in = static_cast<unsigned>(feed);
            stream.next_out = reinterpret_cast<char*>(out.data());
            stream.avail_out = static_cast<unsigned>(out.size());
            rc = BZ2_bzDecompress(&stream);
            offset += feed - stream.avail_in;
            if (!emitter.emit(out.data(), out.size() - stream.avail_out, offset))
                return result;
            if (rc != BZ_OK && rc != BZ_STREAM_END)
                return corrupt(result, fmt::format("bzip2 data error (code {})", rc));
            if (rc == BZ_OK && offset == input.size() && stream.avail_out != 0)
                return truncated(result);
        }
        const auto rest = input.subspan(offset);
        if (!(starts_with(rest, "BZh") && rest.size() > 3 && rest[3] >= '1' && rest[3] <= '9'))
            return result;
    }
}

std::string lzma_message(lzma_ret rc) {
    switch (rc) {
        case LZMA_MEMLIMIT_ERROR:
            return fmt::format("the stream needs more than {} MiB of decoder memory",
                               kDecoderMemoryLimit >> 20);
        case LZMA_FORMAT_ERROR:
            return "not an xz/lzma stream";
        case LZMA_OPTIONS_ERROR:
            return "unsupported xz/lzma options";
        case LZMA_DATA_ERROR:
            return "xz/lzma data error";
        case LZMA_MEM_ERROR:
            return "out of memory";
        default:
            return fmt::format("liblzma error {}", static_cast<int>(rc));
    }
}

// Feeds `prefix` and then `input` to an initialised liblzma decoder until it
// ends. `consumed` counts `input` only.
DecodeResult run_lzma(lzma_stream& stream, ByteSpan prefix, ByteSpan input,
                      const DecodeSink& sink) {
    DecodeResult result;
    Emitter emitter{sink, result};
    std::vector<uint8_t> out(kOutputChunk);
    bool in_prefix = !prefix.empty();
    stream.next_in = in_prefix ? prefix.data() : input.data();
    stream.avail_in = in_prefix ? prefix.size() : input.size();
    for (;;) {
        stream.next_out = out.data();
        stream.avail_out = out.size();
        // The whole input is in hand, so the decoder may treat its end as final.
        const lzma_ret rc = lzma_code(&stream, in_prefix ? LZMA_RUN : LZMA_FINISH);
        const uint64_t consumed = in_prefix ? 0 : input.size() - stream.avail_in;
        if (!emitter.emit(out.data(), out.size() - stream.avail_out, consumed))
            return result;
        if (rc == LZMA_STREAM_END)
            return result;
        if (rc == LZMA_BUF_ERROR)
            return truncated(result);
        if (rc != LZMA_OK)
            return corrupt(result, lzma_message(rc));
        if (in_prefix && stream.avail_in == 0) {
            in_prefix = false;
            stream.next_in = input.data();
            stream.avail_in = input.size();
        }
    }
}

DecodeResult unxz_stream(Codec codec, ByteSpan input, const DecodeSink& sink) {
    lzma_stream stream = LZMA_STREAM_INIT;
    const lzma_ret init = codec == Codec::xz
                              ? lzma_stream_decoder(&stream, kDecoderMemoryLimit, LZMA_CONCATENATED)
                              : lzma_alone_decoder(&stream, kDecoderMemoryLimit);
    if (init != LZMA_OK)
        return corrupt({}, lzma_message(init));
    struct End {
        lzma_stream& s;
        ~End() { lzma_end(&s); }
    } end{stream};
    return run_lzma(stream, {}, input, sink);
}

// Zip method 14 stores LZMA1 behind a four-byte header (version, properties
// size) and the five property bytes. liblzma's ".lzma alone" decoder reads
// the same properties followed by the uncompressed size, so that header is
// rebuilt and fed first.
DecodeResult unzip_lzma_stream(ByteSpan input, const DecodeSink& sink,
                               const DecodeOptions& options) {
    if (input.size() < 9)
        return truncated({});
    const uint16_t properties_size = static_cast<uint16_t>(input[2] | (input[3] << 8));
    if (properties_size != 5)
        return corrupt({},
                       fmt::format("LZMA properties of {} bytes (expected 5)", properties_size));

    std::array<uint8_t, 13> header{};
    std::memcpy(header.data(), input.data() + 4, 5);
    const uint64_t size = options.expected_size.value_or(UINT64_MAX);
    for (int i = 0; i < 8; ++i)
        header[5 + i] = static_cast<uint8_t>(size >> (8 * i));

    lzma_stream stream = LZMA_STREAM_INIT;
    const lzma_ret init = lzma_alone_decoder(&stream, kDecoderMemoryLimit);
    if (init != LZMA_OK)
        return corrupt({}, lzma_message(init));
    struct End {
        lzma_stream& s;
        ~End() { lzma_end(&s); }
    } end{stream};
    auto result = run_lzma(stream, header, input.subspan(9), sink);
    result.consumed += 9;
    return result;
}

bool is_lz4_frame_start(ByteSpan bytes) {
    if (bytes.size() < 4)
        return false;
    const uint32_t magic = read_le32(bytes);
    return magic == 0x184D2204u || (magic & 0xFFFFFFF0u) == 0x184D2A50u;
}

DecodeResult unlz4_stream(ByteSpan input, const DecodeSink& sink) {
    DecodeResult result;
    LZ4F_dctx* context = nullptr;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&context, LZ4F_VERSION)))
        return corrupt(result, "LZ4F_createDecompressionContext failed");
    struct End {
        LZ4F_dctx* c;
        ~End() { LZ4F_freeDecompressionContext(c); }
    } end{context};

    Emitter emitter{sink, result};
    std::vector<uint8_t> out(kOutputChunk);
    uint64_t offset = 0;
    for (;;) {
        size_t source_size = input.size() - offset;
        size_t out_size = out.size();
        const size_t hint = LZ4F_decompress(context, out.data(), &out_size, input.data() + offset,
                                            &source_size, nullptr);
        offset += source_size;
        if (!emitter.emit(out.data(), out_size, offset))
            return result;
        if (LZ4F_isError(hint))
            return corrupt(result, LZ4F_getErrorName(hint));
        if (hint == 0) {
            // A frame ended; the context starts over if another one follows.
            if (!is_lz4_frame_start(input.subspan(offset)))
                return result;
            continue;
        }
        // No progress: the frame needs input that is not there.
        if (source_size == 0 && out_size == 0)
            return truncated(result);
    }
}

bool is_zstd_frame_start(ByteSpan bytes) {
    if (bytes.size() < 4)
        return false;
    const uint32_t magic = read_le32(bytes);
    return magic == 0xFD2FB528u || (magic & 0xFFFFFFF0u) == 0x184D2A50u;
}

DecodeResult unzstd_stream(ByteSpan input, const DecodeSink& sink) {
    DecodeResult result;
    ZSTD_DCtx* context = ZSTD_createDCtx();
    if (context == nullptr)
        return corrupt(result, "ZSTD_createDCtx failed");
    struct End {
        ZSTD_DCtx* c;
        ~End() { ZSTD_freeDCtx(c); }
    } end{context};

    Emitter emitter{sink, result};
    std::vector<uint8_t> out(kOutputChunk);
    ZSTD_inBuffer in{input.data(), input.size(), 0};
    for (;;) {
        ZSTD_outBuffer buffer{out.data(), out.size(), 0};
        const size_t before = in.pos;
        const size_t rc = ZSTD_decompressStream(context, &buffer, &in);
        if (!emitter.emit(out.data(), buffer.pos, in.pos))
            return result;
        if (ZSTD_isError(rc))
            return corrupt(result, ZSTD_getErrorName(rc));
        if (rc == 0) {
            if (!is_zstd_frame_start(input.subspan(in.pos)))
                return result;
            continue;
        }
        if ((in.pos == in.size && buffer.pos < buffer.size) ||
            (in.pos == before && buffer.pos == 0))
            return truncated(result);
    }
}

}  // namespace

DecodeResult decode(Codec codec, ByteSpan input, const DecodeSink& sink,
                    const DecodeOptions& options) {
    switch (codec) {
        case Codec::deflate:
            return inflate_stream(input, -MAX_WBITS, false, sink);
        case Codec::zlib:
            return inflate_stream(input, MAX_WBITS, false, sink);
        case Codec::gzip:
            return inflate_stream(input, 16 + MAX_WBITS, true, sink);
        case Codec::bzip2:
            return bunzip_stream(input, sink);
        case Codec::xz:
        case Codec::lzma_alone:
            return unxz_stream(codec, input, sink);
        case Codec::zip_lzma:
            return unzip_lzma_stream(input, sink, options);
        case Codec::lz4_frame:
            return unlz4_stream(input, sink);
        case Codec::zstd:
            return unzstd_stream(input, sink);
    }
    return corrupt({}, "unknown codec");
}

bool decodes_cleanly(Codec codec, ByteSpan input, size_t probe_bytes) {
    // Enough output to know the stream is real; the probe must stay cheap.
    constexpr uint64_t kProbeOutput = 1 << 20;
    const auto probe = input.first(std::min(input.size(), probe_bytes));
    uint64_t produced = 0;
    const auto result = decode(codec, probe, [&](ByteSpan chunk, uint64_t) {
        produced += chunk.size();
        return produced < kProbeOutput;
    });
    return result.status != DecodeStatus::corrupt;
}

}  // namespace hazmat
