#include "scan/pickle/pickle_text.hpp"

#include <algorithm>
#include <array>

namespace hazmat::pickle {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_space(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && is_space(text.back()))
        text.remove_suffix(1);
    return text;
}

int digit_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

bool equals_folded(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return (x >= 'A' && x <= 'Z' ? x - 'A' + 'a' : x) == y;
           });
}

std::string normalize_encoding(std::string_view name) {
    std::string out;
    for (const char c : trim(name)) {
        if (c == '-' || c == ' ')
            out += '_';
        else
            out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    return out;
}

void append_utf8(std::vector<uint8_t>& out, uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<uint8_t>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<uint8_t>(0xc0 | (cp >> 6)));
        out.push_back(static_cast<uint8_t>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<uint8_t>(0xe0 | (cp >> 12)));
        out.push_back(static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3f)));
        out.push_back(static_cast<uint8_t>(0x80 | (cp & 0x3f)));
    } else {
        out.push_back(static_cast<uint8_t>(0xf0 | (cp >> 18)));
        out.push_back(static_cast<uint8_t>(0x80 | ((cp >> 12) & 0x3f)));
        out.push_back(static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3f)));
        out.push_back(static_cast<uint8_t>(0x80 | (cp & 0x3f)));
    }
}

}  // namespace

std::optional<ParsedInt> parse_python_int(std::string_view text, bool prefixes) {
    text = trim(text);
    bool negative = false;
    if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
        negative = text[0] == '-';
        text.remove_prefix(1);
    }
    int base = 10;
    if (prefixes && text.size() > 2 && text[0] == '0') {
        const char p = static_cast<char>(text[1] | 0x20);
        base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 10;
        if (base != 10) {
            text.remove_prefix(2);
            if (!text.empty() && text[0] == '_')
                text.remove_prefix(1);
        }
    }
    if (text.empty())
        return std::nullopt;
    ParsedInt result;
    unsigned __int128 value = 0;
    bool previous_underscore = true;  // no leading underscore
    for (const char c : text) {
        if (c == '_') {
            if (previous_underscore)
                return std::nullopt;
            previous_underscore = true;
            continue;
        }
        const int d = digit_value(c);
        if (d >= base)
            return std::nullopt;
        previous_underscore = false;
        if (result.fits) {
            value = value * static_cast<unsigned>(base) + static_cast<unsigned>(d);
            if (value > static_cast<unsigned __int128>(INT64_MAX) + 1)
                result.fits = false;
        }
    }
    if (previous_underscore)
        return std::nullopt;
    if (result.fits) {
        if (!negative && value > static_cast<unsigned __int128>(INT64_MAX))
            result.fits = false;
        else
            result.value = negative ? static_cast<int64_t>(-static_cast<__int128>(value))
                                    : static_cast<int64_t>(value);
    }
    return result;
}

bool is_python_float(std::string_view text) {
    text = trim(text);
    if (!text.empty() && (text[0] == '+' || text[0] == '-'))
        text.remove_prefix(1);
    if (equals_folded(text, "inf") || equals_folded(text, "infinity") || equals_folded(text, "nan"))
        return true;
    size_t i = 0;
    size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        ++i;
        ++digits;
    }
    if (i < text.size() && text[i] == '.') {
        ++i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            ++i;
            ++digits;
        }
    }
    if (digits == 0)
        return false;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < text.size() && (text[i] == '+' || text[i] == '-'))
            ++i;
        size_t exponent = 0;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            ++i;
            ++exponent;
        }
        if (exponent == 0)
            return false;
    }
    return i == text.size();
}

std::vector<uint8_t> decode_string_escape(ByteSpan raw) {
    std::vector<uint8_t> out;
    out.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
        const uint8_t c = raw[i];
        if (c != '\\' || i + 1 >= raw.size()) {
            out.push_back(c);
            continue;
        }
        const uint8_t e = raw[++i];
        switch (e) {
            case '\n':
                break;
            case '\\':
            case '\'':
            case '"':
                out.push_back(e);
                break;
            case 'b':
                out.push_back('\b');
                break;
            case 'f':
                out.push_back('\f');
                break;
            case 't':
                out.push_back('\t');
                break;
            case 'n':
                out.push_back('\n');
                break;
            case 'r':
                out.push_back('\r');
                break;
            case 'v':
                out.push_back('\v');
                break;
            case 'a':
                out.push_back('\a');
                break;
            case 'x':
                if (i + 2 < raw.size() && digit_value(static_cast<char>(raw[i + 1])) < 16 &&
                    digit_value(static_cast<char>(raw[i + 2])) < 16) {
                    out.push_back(
                        static_cast<uint8_t>(digit_value(static_cast<char>(raw[i + 1])) * 16 +
                                             digit_value(static_cast<char>(raw[i + 2]))));
                    i += 2;
                } else {
                    out.push_back('\\');
                    out.push_back('x');
                }
                break;
            default:
                if (e >= '0' && e <= '7') {
                    unsigned value = e - '0';
                    for (int n = 0;
                         n < 2 && i + 1 < raw.size() && raw[i + 1] >= '0' && raw[i + 1] <= '7'; ++n)
                        value = value * 8 + (raw[++i] - '0');
                    out.push_back(static_cast<uint8_t>(value & 0xff));
                } else {
                    out.push_back('\\');
                    out.push_back(e);
                }
                break;
        }
    }
    return out;
}

std::vector<uint8_t> decode_raw_unicode_escape(ByteSpan raw) {
    std::vector<uint8_t> out;
    out.reserve(raw.size());
    size_t backslashes = 0;
    for (size_t i = 0; i < raw.size(); ++i) {
        const uint8_t c = raw[i];
        if (c == '\\' && (backslashes % 2 == 0) && i + 1 < raw.size() &&
            (raw[i + 1] == 'u' || raw[i + 1] == 'U')) {
            const size_t width = raw[i + 1] == 'u' ? 4 : 8;
            uint32_t cp = 0;
            bool ok = i + 2 + width <= raw.size();
            for (size_t k = 0; ok && k < width; ++k) {
                const int d = digit_value(static_cast<char>(raw[i + 2 + k]));
                if (d >= 16)
                    ok = false;
                else
                    cp = cp * 16 + static_cast<uint32_t>(d);
            }
            if (ok && cp <= 0x10ffff) {
                append_utf8(out, cp);
                i += 1 + width;
                backslashes = 0;
                continue;
            }
        }
        backslashes = c == '\\' ? backslashes + 1 : 0;
        append_utf8(out, c);
    }
    return out;
}

std::optional<std::vector<uint8_t>> utf8_to_latin1(ByteSpan utf8) {
    std::vector<uint8_t> out;
    out.reserve(utf8.size());
    for (size_t i = 0; i < utf8.size(); ++i) {
        const uint8_t c = utf8[i];
        if (c < 0x80) {
            out.push_back(c);
        } else if ((c & 0xe0) == 0xc0 && i + 1 < utf8.size() && (utf8[i + 1] & 0xc0) == 0x80) {
            const uint32_t cp = ((c & 0x1fu) << 6) | (utf8[i + 1] & 0x3fu);
            if (cp > 0xff || cp < 0x80)
                return std::nullopt;
            out.push_back(static_cast<uint8_t>(cp));
            ++i;
        } else {
            return std::nullopt;
        }
    }
    return out;
}

std::string escape_for_display(std::string_view text, size_t max_chars) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    size_t shown = 0;
    for (const char ch : text) {
        if (shown >= max_chars) {
            out += "...";
            break;
        }
        const auto c = static_cast<unsigned char>(ch);
        if (c == '\\' || c == '\'') {
            out += '\\';
            out += ch;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c >= 0x20 && c < 0x7f) {
            out += ch;
        } else {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
        ++shown;
    }
    return out;
}

bool decimal_equals_le(std::string_view digits, ByteSpan expected) {
    digits = trim(digits);
    if (!digits.empty() && digits[0] == '+')
        digits.remove_prefix(1);
    if (digits.empty() || digits.size() > 400)
        return false;
    std::vector<uint8_t> value;  // little-endian base 256
    for (const char c : digits) {
        if (c == '_')
            continue;
        if (c < '0' || c > '9')
            return false;
        unsigned carry = static_cast<unsigned>(c - '0');
        for (auto& byte : value) {
            const unsigned next = byte * 10u + carry;
            byte = static_cast<uint8_t>(next & 0xff);
            carry = next >> 8;
        }
        while (carry) {
            value.push_back(static_cast<uint8_t>(carry & 0xff));
            carry >>= 8;
        }
    }
    while (!value.empty() && value.back() == 0)
        value.pop_back();
    size_t n = expected.size();
    while (n > 0 && expected[n - 1] == 0)
        --n;
    return value.size() == n && std::equal(value.begin(), value.end(), expected.begin());
}

std::optional<PayloadCodec> codec_for_encoding(std::string_view encoding) {
    const std::string name = normalize_encoding(encoding);
    if (name == "base64" || name == "base_64" || name == "base64_codec")
        return PayloadCodec::base64;
    if (name == "zlib" || name == "zip" || name == "zlib_codec")
        return PayloadCodec::zlib;
    if (name == "hex" || name == "hex_codec")
        return PayloadCodec::base16;
    if (name == "bz2" || name == "bz2_codec")
        return PayloadCodec::bz2;
    return std::nullopt;
}

bool is_latin1_encoding(std::string_view encoding) {
    static constexpr std::array<std::string_view, 9> kNames = {"latin1", "latin_1",   "latin",
                                                               "l1",     "iso8859_1", "iso_8859_1",
                                                               "8859",   "cp819",     "iso_ir_100"};
    const std::string name = normalize_encoding(encoding);
    return std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

}  // namespace hazmat::pickle
