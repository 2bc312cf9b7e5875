#include "scan/models/python_literal.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace hazmat::models {

const PyValue* PyValue::find(std::string_view key) const {
    for (const auto& [entry_key, entry_value] : entries) {
        if (entry_key.kind == Kind::string && entry_key.text == key)
            return &entry_value;
    }
    return nullptr;
}

bool PyValue::operator==(const PyValue& other) const {
    if (is_int_like() && other.is_int_like())
        return as_int() == other.as_int();
    if (kind != other.kind)
        return false;
    switch (kind) {
        case Kind::none:
            return true;
        case Kind::string:
        case Kind::bytes:
            return text == other.text;
        case Kind::tuple:
        case Kind::list:
            return items == other.items;
        case Kind::dict:
            if (entries.size() != other.entries.size())
                return false;
            for (const auto& [key, value] : entries) {
                const auto match =
                    std::find_if(other.entries.begin(), other.entries.end(),
                                 [&](const auto& entry) { return entry.first == key; });
                if (match == other.entries.end() || !(match->second == value))
                    return false;
            }
            return true;
        default:
            return false;
    }
}

namespace {

// Thrown inside the parser only; parse_python_literal turns it into a result.
struct ParseFailure {
    std::string message;
    size_t offset;
};

void append_utf8(std::string& out, uint32_t code_point) {
    if (code_point < 0x80) {
        out += static_cast<char>(code_point);
    } else if (code_point < 0x800) {
        out += static_cast<char>(0xC0 | (code_point >> 6));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else if (code_point < 0x10000) {
        out += static_cast<char>(0xE0 | (code_point >> 12));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (code_point >> 18));
        out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    }
}

std::optional<uint32_t> digit_value(char c) {
    if (c >= '0' && c <= '9')
        return static_cast<uint32_t>(c - '0');
    if (c >= 'a' && c <= 'f')
        return static_cast<uint32_t>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F')
        return static_cast<uint32_t>(c - 'A' + 10);
    return std::nullopt;
}

bool is_identifier_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
}

class LiteralParser {
  public:
    LiteralParser(std::string_view text, const LiteralOptions& options)
        : text_(text), options_(options) {}

    PyValue parse_document() {
        PyValue value = parse_expression();
        skip_space();
        if (pos_ != text_.size())
            fail("unexpected text after the literal");
        return value;
    }

  private:
    [[noreturn]] void fail(std::string message) const {
        throw ParseFailure{std::move(message), pos_};
    }

    bool at_end() const { return pos_ >= text_.size(); }
    char peek(size_t ahead = 0) const {
        return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
    }

    void skip_space() {
        while (!at_end()) {
            const char c = peek();
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
                ++pos_;
            } else if (c == '#') {
                while (!at_end() && peek() != '\n')
                    ++pos_;
            } else if (c == '\\' && (peek(1) == '\n' || (peek(1) == '\r' && peek(2) == '\n'))) {
                pos_ += peek(1) == '\n' ? 2 : 3;
            } else {
                return;
            }
        }
    }

    bool consume(char c) {
        skip_space();
        if (peek() != c || at_end())
            return false;
        ++pos_;
        return true;
    }

    PyValue parse_expression() {
        skip_space();
        if (at_end())
            fail("expected a value");
        const char c = peek();
        if (c == '-' || c == '+') {
            ++pos_;
            skip_space();
            if (!std::isdigit(static_cast<unsigned char>(peek())))
                fail("a sign must be followed by a number");
            return parse_number(c == '-');
        }
        if (std::isdigit(static_cast<unsigned char>(c)))
            return parse_number(false);
        if (c == '(' || c == '[' || c == '{')
            return parse_container();
        if (is_string_start())
            return parse_strings();
        return parse_name();
    }

    PyValue parse_name() {
        const size_t start = pos_;
        while (!at_end() && is_identifier_char(peek()))
            ++pos_;
        const auto name = text_.substr(start, pos_ - start);
        PyValue value;
        if (name == "None") {
            value.kind = PyValue::Kind::none;
        } else if (name == "True" || name == "False") {
            value.kind = PyValue::Kind::boolean;
            value.boolean = name == "True";
        } else {
            pos_ = start;
            fail(name.empty() ? "unexpected character"
                              : fmt::format("'{}' is not a literal", name));
        }
        return value;
    }

    PyValue parse_number(bool negative) {
        const size_t start = pos_;
        const uint64_t limit = static_cast<uint64_t>(INT64_MAX) + (negative ? 1 : 0);
        uint32_t base = 10;
        if (peek() == '0' && (peek(1) == 'x' || peek(1) == 'X')) {
            base = 16;
        } else if (peek() == '0' && (peek(1) == 'o' || peek(1) == 'O')) {
            base = 8;
        } else if (peek() == '0' && (peek(1) == 'b' || peek(1) == 'B')) {
            base = 2;
        }
        if (base != 10)
            pos_ += 2;

        uint64_t magnitude = 0;
        bool any_digit = false;
        bool nonzero_leading = false;
        bool previous_underscore = base != 10;  // "0x_1" is valid, "1__0" is not
        while (!at_end()) {
            const char c = peek();
            if (c == '_') {
                if (previous_underscore && any_digit)
                    fail("invalid underscore in a number");
                previous_underscore = true;
                ++pos_;
                continue;
            }
            const auto digit = digit_value(c);
            if (!digit || *digit >= base)
                break;
            if (base == 10 && !any_digit && *digit != 0)
                nonzero_leading = true;
            if (base == 10 && any_digit && !nonzero_leading && *digit != 0)
                fail("leading zeros in a decimal integer are not allowed");
            if (magnitude > (limit - *digit) / base)
                fail("integer too large");
            magnitude = magnitude * base + *digit;
            any_digit = true;
            previous_underscore = false;
            ++pos_;
        }
        if (!any_digit || previous_underscore)
            fail("malformed integer");
        const char next = peek();
        if (next == '.' || next == 'e' || next == 'E' || next == 'j' || next == 'J') {
            pos_ = start;
            fail("only integer numbers are accepted");
        }
        if (next == 'L' && options_.allow_long_suffix) {
            ++pos_;
        } else if (is_identifier_char(next) && !at_end()) {
            fail("invalid number literal");
        }
        PyValue value;
        value.kind = PyValue::Kind::integer;
        value.integer =
            negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
        return value;
    }

    // A string literal starts with an optional prefix (r, u, b, br, rb in any
    // case) directly followed by a quote.
    size_t string_prefix_length() const {
        size_t length = 0;
        while (length < 2 &&
               std::string_view("rRuUbBfF").find(peek(length)) != std::string_view::npos)
            ++length;
        return (peek(length) == '\'' || peek(length) == '"') ? length : SIZE_MAX;
    }

    bool is_string_start() const { return string_prefix_length() != SIZE_MAX; }

    PyValue parse_strings() {
        PyValue value;
        bool first = true;
        // Adjacent literals concatenate ('<' 'f8' is '<f8'); str and bytes do not mix.
        while (true) {
            skip_space();
            if (!is_string_start())
                break;
            const size_t start = pos_;
            auto [is_bytes, text] = parse_one_string();
            const auto kind = is_bytes ? PyValue::Kind::bytes : PyValue::Kind::string;
            if (!first && kind != value.kind) {
                pos_ = start;
                fail("cannot mix bytes and str literals");
            }
            value.kind = kind;
            value.text += text;
            first = false;
        }
        return value;
    }

    std::pair<bool, std::string> parse_one_string() {
        const size_t prefix_length = string_prefix_length();
        bool raw = false;
        bool is_bytes = false;
        bool is_unicode = false;
        for (size_t i = 0; i < prefix_length; ++i) {
            const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(peek(i))));
            raw = raw || c == 'r';
            is_bytes = is_bytes || c == 'b';
            is_unicode = is_unicode || c == 'u';
            if (c == 'f')
                fail("f-strings are not literals");
        }
        if (is_unicode && prefix_length > 1)
            fail("invalid string prefix");
        if (prefix_length == 2 && !raw)
            fail("invalid string prefix");
        pos_ += prefix_length;

        const char quote = peek();
        const bool triple = peek(1) == quote && peek(2) == quote;
        pos_ += triple ? 3 : 1;

        std::string out;
        while (true) {
            if (at_end())
                fail("unterminated string literal");
            const char c = peek();
            if (c == quote && (!triple || (peek(1) == quote && peek(2) == quote))) {
                pos_ += triple ? 3 : 1;
                return {is_bytes, std::move(out)};
            }
            if (c == '\n' && !triple)
                fail("unterminated string literal");
            if (is_bytes && static_cast<unsigned char>(c) >= 0x80)
                fail("bytes literals can only contain ASCII characters");
            if (c != '\\') {
                out += c;
                ++pos_;
                continue;
            }
            if (raw) {
                // In raw literals a backslash stays, but still keeps the next
                // character (a quote included) from ending the literal.
                out += c;
                ++pos_;
                if (!at_end()) {
                    out += peek();
                    ++pos_;
                }
                continue;
            }
            parse_escape(out, is_bytes);
        }
    }

    void parse_escape(std::string& out, bool is_bytes) {
        ++pos_;  // the backslash
        if (at_end())
            fail("unterminated string literal");
        const char c = peek();
        ++pos_;
        switch (c) {
            case '\n':
                return;  // line continuation inside the literal
            case '\\':
            case '\'':
            case '"':
                out += c;
                return;
            case 'a':
                out += '\a';
                return;
            case 'b':
                out += '\b';
                return;
            case 'f':
                out += '\f';
                return;
            case 'n':
                out += '\n';
                return;
            case 'r':
                out += '\r';
                return;
            case 't':
                out += '\t';
                return;
            case 'v':
                out += '\v';
                return;
            case 'x':
                return append_code_point(out, read_hex(2), is_bytes);
            default:
                break;
        }
        if (c >= '0' && c <= '7') {
            uint32_t value = static_cast<uint32_t>(c - '0');
            for (int i = 0; i < 2 && peek() >= '0' && peek() <= '7'; ++i, ++pos_)
                value = value * 8 + static_cast<uint32_t>(peek() - '0');
            return append_code_point(out, value, is_bytes);
        }
        if (!is_bytes && (c == 'u' || c == 'U')) {
            const uint32_t value = read_hex(c == 'u' ? 4 : 8);
            if (value > 0x10FFFF)
                fail("invalid \\U escape");
            return append_utf8(out, value);
        }
        if (!is_bytes && c == 'N')
            fail("named unicode escapes are not supported");
        // Unknown escapes keep the backslash (Python warns but accepts them).
        out += '\\';
        out += c;
    }

    void append_code_point(std::string& out, uint32_t value, bool is_bytes) {
        if (is_bytes) {
            out += static_cast<char>(value & 0xFF);
        } else {
            append_utf8(out, value);
        }
    }

    uint32_t read_hex(int digits) {
        uint32_t value = 0;
        for (int i = 0; i < digits; ++i) {
            const auto digit = digit_value(peek());
            if (!digit || at_end())
                fail("truncated hexadecimal escape");
            value = value * 16 + *digit;
            ++pos_;
        }
        return value;
    }

    PyValue parse_container() {
        const char open = peek();
        if (++depth_ > options_.max_nesting)
            fail("literal nested too deeply");
        ++pos_;
        PyValue value = open == '('   ? parse_parenthesized()
                        : open == '[' ? parse_list()
                                      : parse_dict();
        --depth_;
        return value;
    }

    PyValue parse_parenthesized() {
        PyValue tuple;
        tuple.kind = PyValue::Kind::tuple;
        if (consume(')'))
            return tuple;
        PyValue first = parse_expression();
        if (consume(')'))
            return first;  // "(x)" is x, not a tuple
        tuple.items.push_back(std::move(first));
        parse_sequence_rest(tuple, ')');
        return tuple;
    }

    PyValue parse_list() {
        PyValue list;
        list.kind = PyValue::Kind::list;
        if (consume(']'))
            return list;
        list.items.push_back(parse_expression());
        parse_sequence_rest(list, ']');
        return list;
    }

    // After the first element: (',' element)* [','] close.
    void parse_sequence_rest(PyValue& sequence, char close) {
        while (true) {
            if (consume(close))
                return;
            if (!consume(','))
                fail(fmt::format("expected ',' or '{}'", close));
            if (consume(close))
                return;
            sequence.items.push_back(parse_expression());
        }
    }

    PyValue parse_dict() {
        PyValue dict;
        dict.kind = PyValue::Kind::dict;
        if (consume('}'))
            return dict;
        while (true) {
            const size_t key_start = (skip_space(), pos_);
            PyValue key = parse_expression();
            if (!consume(':'))
                fail("expected ':' (set literals are not accepted)");
            if (key.kind == PyValue::Kind::list || key.kind == PyValue::Kind::dict) {
                pos_ = key_start;
                fail("dict key is not hashable");
            }
            PyValue value = parse_expression();
            insert(dict, std::move(key), std::move(value));
            if (consume('}'))
                return dict;
            if (!consume(','))
                fail("expected ',' or '}'");
            if (consume('}'))
                return dict;
        }
    }

    // A repeated key keeps its first position and takes the last value, as in
    // a Python dict display.
    static void insert(PyValue& dict, PyValue key, PyValue value) {
        for (auto& entry : dict.entries) {
            if (entry.first == key) {
                entry.second = std::move(value);
                return;
            }
        }
        dict.entries.emplace_back(std::move(key), std::move(value));
    }

    std::string_view text_;
    const LiteralOptions& options_;
    size_t pos_ = 0;
    uint32_t depth_ = 0;
};

}  // namespace

LiteralResult parse_python_literal(std::string_view text, const LiteralOptions& options) {
    LiteralResult result;
    try {
        result.value = LiteralParser(text, options).parse_document();
        result.ok = true;
    } catch (const ParseFailure& failure) {
        result.error = {failure.message, failure.offset};
    }
    return result;
}

namespace {

void append_repr(std::string& out, const PyValue& value, size_t max_length) {
    if (out.size() > max_length)
        return;
    switch (value.kind) {
        case PyValue::Kind::none:
            out += "None";
            return;
        case PyValue::Kind::boolean:
            out += value.boolean ? "True" : "False";
            return;
        case PyValue::Kind::integer:
            out += std::to_string(value.integer);
            return;
        case PyValue::Kind::string:
        case PyValue::Kind::bytes:
            if (value.kind == PyValue::Kind::bytes)
                out += 'b';
            out += '\'';
            for (const char c : value.text) {
                const auto byte = static_cast<unsigned char>(c);
                if (c == '\'' || c == '\\') {
                    out += '\\';
                    out += c;
                } else if (byte < 0x20 || byte == 0x7f ||
                           (byte >= 0x80 && value.kind == PyValue::Kind::bytes)) {
                    out += fmt::format("\\x{:02x}", byte);
                } else {
                    out += c;
                }
            }
            out += '\'';
            return;
        case PyValue::Kind::tuple:
        case PyValue::Kind::list: {
            const bool tuple = value.kind == PyValue::Kind::tuple;
            out += tuple ? '(' : '[';
            for (size_t i = 0; i < value.items.size(); ++i) {
                if (i > 0)
                    out += ", ";
                append_repr(out, value.items[i], max_length);
            }
            if (tuple && value.items.size() == 1)
                out += ',';
            out += tuple ? ')' : ']';
            return;
        }
        case PyValue::Kind::dict:
            out += '{';
            for (size_t i = 0; i < value.entries.size(); ++i) {
                if (i > 0)
                    out += ", ";
                append_repr(out, value.entries[i].first, max_length);
                out += ": ";
                append_repr(out, value.entries[i].second, max_length);
            }
            out += '}';
            return;
    }
}

}  // namespace

std::string to_python_repr(const PyValue& value, size_t max_length) {
    std::string out;
    append_repr(out, value, max_length);
    if (out.size() > max_length) {
        out.resize(max_length);
        out += "...";
    }
    return out;
}

}  // namespace hazmat::models
