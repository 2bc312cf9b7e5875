#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "scan/pickle/payload_codecs.hpp"

// The text conventions of pickle's line-based opcodes and of the Python
// functions pickles call, done the way CPython does them.
namespace hazmat::pickle {

struct ParsedInt {
    bool fits = true;  // false: valid, but beyond 64 bits
    int64_t value = 0;
};

// int(text) as PyLong_FromString parses it: surrounding whitespace, a sign,
// underscores between digits, and with `prefixes` the 0x/0o/0b forms.
std::optional<ParsedInt> parse_python_int(std::string_view text, bool prefixes);

// Whether float(text) accepts `text` (digits, exponent, inf, nan).
bool is_python_float(std::string_view text);

// Protocol-0 STRING payloads use Python 2 string escapes
// (PyBytes_DecodeEscape): \n, \x41, \101, \<newline> ...
std::vector<uint8_t> decode_string_escape(ByteSpan raw);

// Protocol-0 UNICODE payloads: raw-unicode-escape, \uXXXX and \UXXXXXXXX
// escapes and Latin-1 for every other byte. Returns UTF-8.
std::vector<uint8_t> decode_raw_unicode_escape(ByteSpan raw);

// UTF-8 text to Latin-1 bytes (text.encode('latin-1')); nullopt when a
// character is outside Latin-1 or the UTF-8 is malformed.
std::optional<std::vector<uint8_t>> utf8_to_latin1(ByteSpan utf8);

// A short, single-line, escaped rendering for evidence: printable ASCII as
// is, everything else as \xNN (or \n, \t), cut at `max_chars` with "...".
std::string escape_for_display(std::string_view text, size_t max_chars);

// Whether decimal `digits` (an INT or LONG line) spell the non-negative
// integer whose little-endian bytes are `expected`.
bool decimal_equals_le(std::string_view digits, ByteSpan expected);

// The payload codec a codecs.decode encoding name selects ('base64',
// 'zlib', 'hex', 'bz2' and their aliases), if any.
std::optional<PayloadCodec> codec_for_encoding(std::string_view encoding);

// Whether an encoding name means Latin-1 ('latin1', 'iso-8859-1', ...).
bool is_latin1_encoding(std::string_view encoding);

}  // namespace hazmat::pickle
