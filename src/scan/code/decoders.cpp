#include "scan/code/decoders.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include "core/archive/decoders.hpp"

namespace hazmat::code {

namespace {

constexpr int8_t kInvalid = -1;

std::array<int8_t, 256> base64_table() {
    std::array<int8_t, 256> table{};
    table.fill(kInvalid);
    const std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < alphabet.size(); ++i)
        table[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);
    // The URL-safe alphabet (urlsafe_b64decode, Buffer.from(s, "base64url")).
    table['-'] = 62;
    table['_'] = 63;
    return table;
}

bool is_space(char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Length of the UTF-8 sequence starting at `text[i]`, or 0 if invalid.
size_t utf8_sequence_length(std::string_view text, size_t i) {
    const auto lead = static_cast<uint8_t>(text[i]);
    size_t length = 0;
    if (lead < 0x80)
        return 1;
    if ((lead & 0xE0) == 0xC0 && lead >= 0xC2)
        length = 2;
    else if ((lead & 0xF0) == 0xE0)
        length = 3;
    else if ((lead & 0xF8) == 0xF0 && lead <= 0xF4)
        length = 4;
    else
        return 0;
    if (i + length > text.size())
        return 0;
    for (size_t k = 1; k < length; ++k) {
        if ((static_cast<uint8_t>(text[i + k]) & 0xC0) != 0x80)
            return 0;
    }
    return length;
}

}  // namespace

std::optional<std::string> decode_base64(std::string_view text) {
    static const auto table = base64_table();
    std::string out;
    out.reserve(text.size() * 3 / 4);
    uint32_t accumulator = 0;
    int bits = 0;
    size_t symbols = 0;
    for (const char c : text) {
        if (c == '=')
            break;
        const int8_t value = table[static_cast<uint8_t>(c)];
        // Python's b64decode (validate=False) discards characters outside
        // the alphabet; Node's Buffer.from does the same.
        if (value == kInvalid)
            continue;
        ++symbols;
        accumulator = (accumulator << 6) | static_cast<uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((accumulator >> bits) & 0xFF));
        }
    }
    if (symbols == 0 || symbols % 4 == 1)
        return std::nullopt;
    return out;
}

std::optional<std::string> decode_base32(std::string_view text) {
    std::string out;
    uint64_t accumulator = 0;
    int bits = 0;
    size_t symbols = 0;
    for (const char raw : text) {
        if (raw == '=')
            break;
        if (is_space(raw))
            continue;
        const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(raw)));
        int value = -1;
        if (c >= 'A' && c <= 'Z')
            value = c - 'A';
        else if (c >= '2' && c <= '7')
            value = c - '2' + 26;
        if (value < 0)
            return std::nullopt;
        ++symbols;
        accumulator = (accumulator << 5) | static_cast<uint64_t>(value);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((accumulator >> bits) & 0xFF));
        }
    }
    if (symbols == 0)
        return std::nullopt;
    return out;
}

std::optional<std::string> decode_hex(std::string_view text) {
    std::string out;
    out.reserve(text.size() / 2);
    int high = -1;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (is_space(c))
            continue;
        // "\x41\x42" and "0x41, 0x42" spellings are common in droppers.
        if ((c == '\\' || c == '0') && i + 1 < text.size() && (text[i + 1] == 'x')) {
            ++i;
            continue;
        }
        if (c == ',' && high < 0)
            continue;
        const int value = hex_value(c);
        if (value < 0)
            return std::nullopt;
        if (high < 0) {
            high = value;
        } else {
            out.push_back(static_cast<char>(high << 4 | value));
            high = -1;
        }
    }
    if (high >= 0 || out.empty())
        return std::nullopt;
    return out;
}

std::optional<Decompressed> decompress_by_magic(std::string_view data, size_t max_output) {
    if (data.size() < 3)
        return std::nullopt;
    const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
    Codec codec;
    std::string name;
    if (bytes[0] == 0x1f && bytes[1] == 0x8b) {
        codec = Codec::gzip;
        name = "gzip";
    } else if (bytes[0] == 'B' && bytes[1] == 'Z' && bytes[2] == 'h') {
        codec = Codec::bzip2;
        name = "bz2";
    } else if (data.size() >= 6 && data.substr(0, 6) ==
                                       "\xFD"
                                       "7zXZ\x00") {
        codec = Codec::xz;
        name = "lzma";
    } else if (bytes[0] == 0x5d && bytes[1] == 0x00 && bytes[2] == 0x00) {
        codec = Codec::lzma_alone;
        name = "lzma";
    } else if ((bytes[0] & 0x0f) == 8 && (bytes[0] >> 4) <= 7 &&
               ((bytes[0] << 8) | bytes[1]) % 31 == 0) {
        codec = Codec::zlib;
        name = "zlib";
    } else {
        return std::nullopt;
    }

    Decompressed result;
    result.codec = name;
    const ByteSpan input(bytes, data.size());
    const auto status = decode(codec, input, [&](ByteSpan chunk, uint64_t) {
        const size_t room = max_output - result.text.size();
        const size_t take = std::min(room, chunk.size());
        result.text.append(reinterpret_cast<const char*>(chunk.data()), take);
        if (take < chunk.size()) {
            result.truncated = true;
            return false;
        }
        return true;
    });
    if (status.status == DecodeStatus::corrupt && result.text.empty())
        return std::nullopt;
    if (status.status == DecodeStatus::truncated && result.text.empty())
        return std::nullopt;
    return result;
}

std::string reversed(std::string_view text) {
    return std::string(text.rbegin(), text.rend());
}

std::string xor_with(std::string_view data, std::string_view key) {
    std::string out(data);
    if (key.empty())
        return out;
    for (size_t i = 0; i < out.size(); ++i)
        out[i] = static_cast<char>(out[i] ^ key[i % key.size()]);
    return out;
}

bool looks_like_text(std::string_view data) {
    if (data.empty())
        return false;
    size_t control = 0;
    size_t letters = 0;
    for (size_t i = 0; i < data.size();) {
        const size_t length = utf8_sequence_length(data, i);
        if (length == 0)
            return false;
        const auto c = static_cast<uint8_t>(data[i]);
        if (length == 1) {
            if (c < 0x20 && c != '\n' && c != '\r' && c != '\t')
                ++control;
            if (c == 0x7f)
                ++control;
            if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
                ++letters;
        }
        i += length;
    }
    return control * 100 <= data.size() && letters * 4 >= std::min<size_t>(data.size(), 8);
}

bool reads_as_code(std::string_view data) {
    if (!looks_like_text(data))
        return false;
    size_t plain = 0;
    for (const char c : data) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) || c == ' ' || c == '\n' || c == '\t' || c == '_' || byte >= 0x80)
            ++plain;
    }
    return plain * 10 >= data.size() * 7;
}

bool looks_packed(std::string_view data) {
    const size_t blanks = static_cast<size_t>(std::count(data.begin(), data.end(), ' '));
    return blanks * 50 < data.size() && shannon_entropy(data) > 5.0;
}

double shannon_entropy(std::string_view data) {
    if (data.empty())
        return 0;
    std::array<size_t, 256> counts{};
    for (const char c : data)
        ++counts[static_cast<uint8_t>(c)];
    double entropy = 0;
    const double total = static_cast<double>(data.size());
    for (const size_t count : counts) {
        if (count == 0)
            continue;
        const double p = static_cast<double>(count) / total;
        entropy -= p * std::log2(p);
    }
    return entropy;
}

bool looks_encoded(std::string_view literal) {
    if (literal.size() < 48)
        return false;
    bool digits = false;
    bool letters = false;
    size_t symbols = 0;
    for (const char c : literal) {
        if (is_space(c))
            continue;
        const bool alnum = std::isalnum(static_cast<unsigned char>(c)) != 0;
        if (!alnum && c != '+' && c != '/' && c != '=' && c != '-' && c != '_')
            return false;
        digits = digits || std::isdigit(static_cast<unsigned char>(c)) != 0;
        letters = letters || std::isalpha(static_cast<unsigned char>(c)) != 0;
        ++symbols;
    }
    return digits && letters && symbols >= 48;
}

namespace {

bool is_hex_text(std::string_view text) {
    size_t hex = 0;
    for (const char c : text) {
        if (is_space(c))
            continue;
        if (hex_value(c) < 0)
            return false;
        ++hex;
    }
    return hex >= 2 && hex % 2 == 0;
}

bool is_base32_text(std::string_view text) {
    for (const char c : text) {
        if (is_space(c) || c == '=')
            continue;
        if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7')))
            return false;
    }
    return true;
}

// Text whose first 512 bytes are printable tells a right XOR key from a
// wrong one without decoding everything for each of 255 keys.
bool prefix_printable(std::string_view data) {
    const size_t n = std::min<size_t>(data.size(), 512);
    for (size_t i = 0; i < n; ++i) {
        const auto c = static_cast<uint8_t>(data[i]);
        if (c >= 0x80)
            continue;
        if (c < 0x20 && c != '\n' && c != '\r' && c != '\t')
            return false;
    }
    return true;
}

// LIMITATION: only single-byte keys and the short string constants of the
// same file are tried; longer or computed XOR keys are not recovered.
std::optional<std::pair<std::string, std::string>> try_xor(std::string_view data,
                                                           std::span<const std::string> keys) {
    for (const auto& key : keys) {
        if (key.empty() || key.size() > 32)
            continue;
        if (!prefix_printable(xor_with(data.substr(0, 512), key)))
            continue;
        auto decoded = xor_with(data, key);
        if (reads_as_code(decoded))
            return std::make_pair(std::move(decoded), "xor '" + key + "'");
    }
    // Several keys can turn letters into other letters; the right one also
    // restores the blanks and lower case that code is full of.
    const auto score = [](std::string_view text) {
        size_t points = 0;
        for (const char c : text.substr(0, 4096)) {
            if (c == ' ' || c == '\n')
                points += 3;
            else if (c >= 'a' && c <= 'z')
                points += 1;
        }
        return points;
    };
    std::optional<std::pair<std::string, std::string>> best;
    size_t best_score = 0;
    for (int value = 1; value < 256; ++value) {
        const std::string key(1, static_cast<char>(value));
        if (!prefix_printable(xor_with(data.substr(0, 512), key)))
            continue;
        auto decoded = xor_with(data, key);
        if (!reads_as_code(decoded))
            continue;
        const size_t points = score(decoded);
        if (!best || points > best_score) {
            best_score = points;
            best = std::make_pair(std::move(decoded), fmt::format("xor 0x{:02x}", value));
        }
    }
    if (best)
        return best;
    return std::nullopt;
}

struct Layer {
    std::string text;
    std::string name;
    bool truncated = false;
};

std::optional<Layer> peel_one(std::string_view current, std::span<const std::string> keys,
                              size_t max_output) {
    if (auto inflated = decompress_by_magic(current, max_output))
        return Layer{std::move(inflated->text), inflated->codec, inflated->truncated};
    if (looks_encoded(current)) {
        if (is_hex_text(current)) {
            if (auto decoded = decode_hex(current))
                return Layer{std::move(*decoded), "hex"};
        }
        if (is_base32_text(current) && current.find_first_of("=") != 0) {
            if (auto decoded = decode_base32(current); decoded && !looks_encoded(*decoded)) {
                if (looks_like_text(*decoded) || decompress_by_magic(*decoded, 64))
                    return Layer{std::move(*decoded), "base32"};
            }
        }
        if (auto decoded = decode_base64(current))
            return Layer{std::move(*decoded), "base64"};
    }
    // Reversed base64 starts with its padding.
    if (!current.empty() && current.front() == '=' && looks_encoded(current.substr(1))) {
        auto flipped = reversed(current);
        if (auto decoded = decode_base64(flipped))
            return Layer{std::move(*decoded), "reversed base64"};
    }
    if (!reads_as_code(current)) {
        if (auto decoded = try_xor(current, keys))
            return Layer{std::move(decoded->first), std::move(decoded->second)};
    }
    return std::nullopt;
}

}  // namespace

std::optional<UnwrapResult> unwrap_opaque(std::string_view literal,
                                          std::span<const std::string> key_candidates,
                                          const UnwrapLimits& limits) {
    UnwrapResult result;
    std::string current(literal);
    for (size_t depth = 0; depth < limits.max_layers; ++depth) {
        if (depth > 0 && reads_as_code(current) && !looks_encoded(current))
            break;
        auto layer = peel_one(current, key_candidates, limits.max_output);
        if (!layer)
            break;
        result.layers.push_back(std::move(layer->name));
        result.truncated = result.truncated || layer->truncated;
        current = std::move(layer->text);
        if (depth + 1 == limits.max_layers && looks_encoded(current))
            result.truncated = true;
    }
    if (result.layers.empty() || !reads_as_code(current))
        return std::nullopt;
    result.text = std::move(current);
    return result;
}

}  // namespace hazmat::code
