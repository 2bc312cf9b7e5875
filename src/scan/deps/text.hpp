#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"

// Small text helpers shared by the manifest parsers.
namespace hazmat::deps {

// Manifest text as UTF-8: a UTF-8 byte-order mark is dropped and UTF-16
// text with a byte-order mark is converted (Windows tools write
// requirements files that way and pip reads them). nullopt for text that
// is neither: a NUL byte without a UTF-16 mark means this is not a manifest.
std::optional<std::string> decode_text(ByteSpan bytes);

std::string_view trim(std::string_view text);
std::string_view trim_left(std::string_view text);
std::string lower(std::string_view text);
bool is_space(char c);
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view text, std::string_view prefix);

// One line of a text, numbered from 1, without its line break ("\n",
// "\r\n" or a lone "\r").
struct Line {
    uint32_t number;
    std::string_view text;
};
std::vector<Line> split_lines(std::string_view text);

// The 1-based line of byte `offset` in `text`.
uint32_t line_of_offset(std::string_view text, size_t offset);

// The last path component of a slash-separated name.
std::string_view base_name(std::string_view path);

}  // namespace hazmat::deps
