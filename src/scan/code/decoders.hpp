#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hazmat::code {

// Decoders for the encodings that malicious code wraps its payload in. They
// are lenient where Python's and Node's decoders are lenient (whitespace and
// missing padding are accepted), because a payload only has to decode the
// way the interpreter decodes it.
std::optional<std::string> decode_base64(std::string_view text);
std::optional<std::string> decode_base32(std::string_view text);
std::optional<std::string> decode_hex(std::string_view text);

// Undoes zlib, gzip, bz2, xz or legacy lzma, chosen by the data's leading
// bytes (as zlib.decompress / gzip.decompress ... would be asked to). Output
// is capped at `max_output` bytes; nullopt when the data is none of these or
// is corrupt before producing anything.
struct Decompressed {
    std::string text;
    std::string codec;  // "zlib", "gzip", "bz2", "lzma"
    bool truncated = false;
};
std::optional<Decompressed> decompress_by_magic(std::string_view data, size_t max_output);

std::string reversed(std::string_view text);
std::string xor_with(std::string_view data, std::string_view key);

// Whether the bytes read as source text: valid UTF-8 with mostly printable
// characters. Decoding heuristics stop at the first layer that reads as text.
bool looks_like_text(std::string_view data);

// Stricter: text that is mostly letters, digits and blanks, as code and
// prose are. XOR with some keys turns text into printable punctuation; that
// is not where unwrapping stops.
bool reads_as_code(std::string_view data);

// A long string that is packed data rather than prose or code: high
// entropy and almost no blanks.
bool looks_packed(std::string_view data);

// Shannon entropy in bits per byte.
double shannon_entropy(std::string_view data);

// One layer of a payload unwrapped by unwrap_opaque().
struct UnwrapResult {
    std::string text;
    std::vector<std::string> layers;  // transforms in the order applied ("base64", "zlib")
    bool truncated = false;           // a limit stopped the unwrapping
};

struct UnwrapLimits {
    size_t max_layers = 64;
    size_t max_output = 16u << 20;
};

// Unwraps an opaque literal (a long base64/base32/hex string, possibly
// reversed, compressed or XORed with a short key) until it reads as text.
// Only XOR keys of one byte and the candidate keys given (short string
// constants of the same file) are tried. Returns nullopt when no layer
// decodes to text, so ordinary data (hashes, images) is left alone.
std::optional<UnwrapResult> unwrap_opaque(std::string_view literal,
                                          std::span<const std::string> key_candidates,
                                          const UnwrapLimits& limits = {});

// Whether a literal looks like an encoded blob worth unwrapping: long, and
// drawn from a base64, base32 or hex alphabet.
bool looks_encoded(std::string_view literal);

}  // namespace hazmat::code
