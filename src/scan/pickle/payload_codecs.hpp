#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace hazmat::pickle {

// Transformations that pickle payloads wrap around an inner payload
// (`pickle.loads(zlib.decompress(base64.b64decode(...)))`). Each mirrors the
// Python function named in the comment, leniently: where Python would
// reject slightly malformed input (missing padding), hazmat still decodes
// what is there, since a variant that Python accepts may exist.
enum class PayloadCodec {
    zlib,        // zlib.decompress (zlib or gzip header, or raw deflate)
    gzip,        // gzip.decompress (concatenated members)
    bz2,         // bz2.decompress (concatenated streams)
    lzma,        // lzma.decompress (xz or legacy .lzma, concatenated streams)
    base64,      // base64.b64decode, binascii.a2b_base64 (non-alphabet bytes skipped)
    base64_url,  // base64.urlsafe_b64decode
    base32,      // base64.b32decode
    base32_hex,  // base64.b32hexdecode
    base16,      // base64.b16decode, binascii.unhexlify, bytes.fromhex, codecs 'hex'
    ascii85,     // base64.a85decode
    base85,      // base64.b85decode
};

std::string_view to_string(PayloadCodec codec);

// Decodes `input`; fails when the input is not in the codec's format or the
// output would exceed `max_output` bytes (a bomb).
Result<std::vector<uint8_t>> decode_payload(PayloadCodec codec, ByteSpan input,
                                            uint64_t max_output);

}  // namespace hazmat::pickle
