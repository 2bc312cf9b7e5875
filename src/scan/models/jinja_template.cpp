#include "scan/models/jinja_template.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "core/rule_ids.hpp"

namespace hazmat::models {

namespace {

// A template with hundreds of escapes is reported by its first ones.
constexpr size_t kMaxEscapes = 50;
constexpr size_t kExcerptLength = 80;

struct Token {
    enum class Kind { identifier, string, number, symbol };
    Kind kind = Kind::symbol;
    std::string_view raw;     // as written, quotes included for strings
    std::string value;        // identifiers and symbols: the text; strings: decoded
    uint64_t offset = 0;      // in the template
    bool has_escape = false;  // a string with \x, \u, \U, \N or octal escapes
};

bool is_identifier_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}

bool is_identifier_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
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

// Appends a code point as ASCII, or '?' for anything else: the checks only
// look for underscores and identifier characters.
void append_code_point(std::string& out, uint32_t code) {
    out += code < 0x80 ? static_cast<char>(code) : '?';
}

// Reads a string literal starting at `begin` (a quote). Jinja string escapes
// follow Python's: \x, \u, \U, \N{...} and octal spell any character.
size_t read_string(std::string_view text, size_t begin, Token& token) {
    const char quote = text[begin];
    size_t i = begin + 1;
    while (i < text.size() && text[i] != quote) {
        if (text[i] != '\\' || i + 1 >= text.size()) {
            token.value += text[i++];
            continue;
        }
        const char kind = text[i + 1];
        i += 2;
        switch (kind) {
            case 'n':
                token.value += '\n';
                break;
            case 't':
                token.value += '\t';
                break;
            case 'r':
                token.value += '\r';
                break;
            case '\\':
            case '\'':
            case '"':
                token.value += kind;
                break;
            case 'x':
            case 'u':
            case 'U': {
                token.has_escape = true;
                const size_t digits = kind == 'x' ? 2 : kind == 'u' ? 4 : 8;
                uint32_t code = 0;
                size_t read = 0;
                while (read < digits && i < text.size() && hex_value(text[i]) >= 0) {
                    code = code * 16 + static_cast<uint32_t>(hex_value(text[i++]));
                    ++read;
                }
                append_code_point(token.value, code);
                break;
            }
            case 'N':
                token.has_escape = true;
                while (i < text.size() && text[i] != '}' && text[i] != quote)
                    ++i;
                if (i < text.size() && text[i] == '}')
                    ++i;
                token.value += '?';
                break;
            default:
                if (kind >= '0' && kind <= '7') {
                    token.has_escape = true;
                    uint32_t code = static_cast<uint32_t>(kind - '0');
                    for (int k = 0; k < 2 && i < text.size() && text[i] >= '0' && text[i] <= '7';
                         ++k)
                        code = code * 8 + static_cast<uint32_t>(text[i++] - '0');
                    append_code_point(token.value, code);
                } else {
                    token.value += '\\';
                    token.value += kind;
                }
                break;
        }
    }
    return std::min(i + 1, text.size());
}

// Tokens of one tag's inside, with offsets relative to the template.
std::vector<Token> tokenize(std::string_view text, size_t begin, size_t end) {
    std::vector<Token> tokens;
    size_t i = begin;
    while (i < end) {
        const char c = text[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
            continue;
        }
        Token token;
        token.offset = i;
        size_t next = i + 1;
        if (c == '"' || c == '\'') {
            token.kind = Token::Kind::string;
            next = std::min(read_string(text, i, token), end);
        } else if (is_identifier_start(c)) {
            token.kind = Token::Kind::identifier;
            while (next < end && is_identifier_char(text[next]))
                ++next;
            token.value = std::string(text.substr(i, next - i));
        } else if (std::isdigit(static_cast<unsigned char>(c))) {
            token.kind = Token::Kind::number;
            while (next < end && (is_identifier_char(text[next]) || text[next] == '.'))
                ++next;
            token.value = std::string(text.substr(i, next - i));
        } else {
            token.value = std::string(1, c);
        }
        token.raw = text.substr(i, next - i);
        tokens.push_back(std::move(token));
        i = next;
    }
    return tokens;
}

// End of the tag that starts after `open` (exclusive of the closing
// delimiter), skipping delimiters inside string literals. A tag that never
// closes runs to the end: Jinja rejects it, but other engines may not.
size_t find_tag_end(std::string_view text, size_t begin, std::string_view close) {
    size_t i = begin;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '"' || c == '\'') {
            Token ignored;
            i = read_string(text, i, ignored);
            continue;
        }
        if (text.substr(i, close.size()) == close)
            return i;
        ++i;
    }
    return text.size();
}

bool is_dunder(std::string_view name) {
    return name.size() > 4 && name.starts_with("__") && name.ends_with("__");
}

bool is_symbol(const std::vector<Token>& tokens, size_t index, std::string_view symbol) {
    return index < tokens.size() && tokens[index].kind == Token::Kind::symbol &&
           tokens[index].value == symbol;
}

// LIMITATION: the check recognises the known ways out of a template (dunder
// names, the lipsum/cycler/joiner globals, attr(), escapes, chr, %c). A new
// trick that needs none of them is not reported; rendering with Jinja's
// sandbox remains the real defence.
// Attributes whose only use in a template is running programs or importing.
constexpr std::array<std::string_view, 9> kExecutionAttributes = {
    "popen",         "system", "check_output", "getoutput", "Popen",
    "import_module", "exec",   "eval",         "spawnv",
};

// Jinja's default globals whose function objects lead to module globals.
constexpr std::array<std::string_view, 3> kTraversableGlobals = {"lipsum", "cycler", "joiner"};

class TagChecker {
  public:
    TagChecker(std::string_view text, std::vector<TemplateEscape>& out) : text_(text), out_(out) {}

    void check(size_t begin, size_t end) {
        excerpt_ = make_excerpt(begin, end);
        const auto tokens = tokenize(text_, begin, end);
        for (size_t i = 0; i < tokens.size(); ++i) {
            const auto& token = tokens[i];
            const bool after_dot = i > 0 && is_symbol(tokens, i - 1, ".");
            const bool after_bracket = i > 0 && is_symbol(tokens, i - 1, "[");
            if (token.kind == Token::Kind::identifier)
                check_identifier(tokens, i, after_dot);
            else if (token.kind == Token::Kind::string)
                check_string(token, after_bracket);
        }
    }

  private:
    void check_identifier(const std::vector<Token>& tokens, size_t i, bool after_dot) {
        const auto& token = tokens[i];
        const auto& name = token.value;
        if (name.starts_with("__")) {
            add(token, Severity::critical, fmt::format("uses the Python internal name {}", name));
            return;
        }
        if (after_dot && name.starts_with("_")) {
            add(token, Severity::high, fmt::format("reads the private attribute {}", name));
            return;
        }
        const bool accessed = is_symbol(tokens, i + 1, ".") || is_symbol(tokens, i + 1, "[") ||
                              is_symbol(tokens, i + 1, "|");
        if (accessed && !after_dot &&
            std::find(kTraversableGlobals.begin(), kTraversableGlobals.end(), name) !=
                kTraversableGlobals.end()) {
            add(token, Severity::critical,
                fmt::format("reaches into the '{}' global, a path to Python's module globals",
                            name));
            return;
        }
        if (name == "attr" && i > 0 && is_symbol(tokens, i - 1, "|")) {
            add(token, Severity::high,
                "uses the attr() filter, which reads attributes named by a string");
            return;
        }
        if (name == "chr" && is_symbol(tokens, i + 1, "(")) {
            add(token, Severity::high, "builds characters with chr()");
            return;
        }
        if (after_dot && std::find(kExecutionAttributes.begin(), kExecutionAttributes.end(),
                                   name) != kExecutionAttributes.end()) {
            add(token, Severity::high, fmt::format("calls .{}, which runs programs or code", name));
        }
    }

    void check_string(const Token& token, bool after_bracket) {
        const auto& value = token.value;
        if (token.has_escape)
            add(token, Severity::high,
                fmt::format("spells {} with escape sequences", std::string(token.raw)));
        if (is_dunder(value)) {
            add(token, Severity::critical,
                fmt::format("names the Python internal attribute {} in a string", value));
        } else if (value.size() >= 2 && (value.starts_with("__") || value.ends_with("__")) &&
                   std::all_of(value.begin(), value.end(), is_identifier_char)) {
            add(token, Severity::high,
                fmt::format("holds the fragment '{}' of a Python internal name", value));
        } else if (after_bracket && value.starts_with("_")) {
            add(token, Severity::high,
                fmt::format("reads the private attribute '{}' by subscript", value));
        }
        if (value.find("%c") != std::string::npos)
            add(token, Severity::high, "formats characters by code (%c), spelling names unseen");
    }

    void add(const Token& token, Severity severity, std::string what) {
        if (out_.size() >= kMaxEscapes)
            return;
        out_.push_back({token.offset, severity, std::move(what), excerpt_});
    }

    std::string make_excerpt(size_t begin, size_t end) const {
        std::string excerpt(text_.substr(begin, std::min(end - begin, kExcerptLength)));
        std::replace_if(
            excerpt.begin(), excerpt.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
        if (end - begin > kExcerptLength)
            excerpt += "...";
        return excerpt;
    }

    std::string_view text_;
    std::vector<TemplateEscape>& out_;
    std::string excerpt_;
};

// The first identifier inside a statement tag ("raw", "endraw", "for").
std::string_view statement_keyword(std::string_view text, size_t begin, size_t end) {
    while (begin < end && (text[begin] == '-' || text[begin] == '+' ||
                           std::isspace(static_cast<unsigned char>(text[begin]))))
        ++begin;
    size_t stop = begin;
    while (stop < end && is_identifier_char(text[stop]))
        ++stop;
    return text.substr(begin, stop - begin);
}

// Where the `{% endraw %}` tag after `from` starts, or npos.
size_t find_endraw(std::string_view text, size_t from) {
    for (size_t at = text.find("{%", from); at != std::string_view::npos;
         at = text.find("{%", at + 2)) {
        const size_t end = find_tag_end(text, at + 2, "%}");
        if (statement_keyword(text, at + 2, end) == "endraw")
            return at;
    }
    return std::string_view::npos;
}

}  // namespace

bool looks_like_jinja_template(std::string_view text) {
    return text.find("{{") != std::string_view::npos || text.find("{%") != std::string_view::npos;
}

std::vector<TemplateEscape> find_template_escapes(std::string_view text) {
    std::vector<TemplateEscape> escapes;
    TagChecker checker(text, escapes);
    size_t i = 0;
    while (i + 1 < text.size()) {
        const auto open = text.find('{', i);
        if (open == std::string_view::npos || open + 1 >= text.size())
            break;
        const char kind = text[open + 1];
        if (kind == '#') {
            const auto close = text.find("#}", open + 2);
            i = close == std::string_view::npos ? text.size() : close + 2;
            continue;
        }
        if (kind != '{' && kind != '%') {
            i = open + 1;
            continue;
        }
        const std::string_view close = kind == '{' ? "}}" : "%}";
        const size_t begin = open + 2;
        const size_t end = find_tag_end(text, begin, close);
        checker.check(begin, end);
        i = std::min(end + close.size(), text.size());
        if (kind == '%' && statement_keyword(text, begin, end) == "raw") {
            const auto endraw = find_endraw(text, i);
            i = endraw == std::string_view::npos ? text.size() : endraw;
        }
    }
    return escapes;
}

std::optional<Finding> template_escape_finding(const std::vector<TemplateEscape>& escapes,
                                               std::string_view source, const Location& where,
                                               uint64_t text_offset) {
    if (escapes.empty())
        return std::nullopt;
    Severity severity = Severity::low;
    for (const auto& escape : escapes)
        severity = std::max(severity, escape.severity);
    auto finding =
        Finding::make(rules::kTemplateInjection,
                      fmt::format("The Jinja template in {} {}. Rendered without Jinja's sandbox "
                                  "it runs Python code on the machine that serves the model.",
                                  source, escapes.front().what),
                      where)
            .with_severity(severity)
            .at_offset(text_offset + escapes.front().offset);
    for (const auto& escape : escapes) {
        finding.with_evidence(fmt::format("at byte {} of the template: {} (in the tag '{}')",
                                          escape.offset, escape.what, escape.excerpt));
    }
    finding.with_fingerprint_key(std::string(source));
    return finding;
}

}  // namespace hazmat::models
