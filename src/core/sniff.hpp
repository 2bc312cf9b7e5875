#pragma once

#include <string_view>

#include "core/bytes.hpp"

namespace hazmat {

// Content formats recognised by their leading bytes. Extensions never decide
// a format: a ".safetensors" file that starts with a zip header is a zip.
enum class Format {
    unknown,
    zip,
    tar,
    sevenzip,
    gzip,
    bzip2,
    xz,
    lzma,  // legacy .lzma ("LZMA alone")
    lz4,   // lz4 frame format
    zstd,
    zlib,  // raw zlib stream (RFC 1950), as joblib's zlib compressor writes
    npy,
    gguf,         // llama.cpp model ("GGUF" magic)
    hdf5,         // HDF5 file (Keras .h5 models, weights)
    safetensors,  // 8-byte header length, then a JSON object
    // Never returned by sniff(); a parent that knows its child is a pickle
    // (numpy object arrays, pickle.loads arguments) declares it.
    pickle,
};

std::string_view to_string(Format format);

// Identifies a format from magic bytes only. Cheap: looks at no more than the
// first 512 bytes (the tar header).
Format sniff(ByteSpan bytes);

// Whether the format is a compression layer around a single stream.
bool is_compression(Format format);

}  // namespace hazmat
