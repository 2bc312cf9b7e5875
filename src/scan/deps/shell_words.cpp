#include "scan/deps/shell_words.hpp"

#include <fmt/format.h>

namespace hazmat::deps {

namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Length of a control operator or redirection starting at `i`, or 0.
size_t operator_length(std::string_view text, size_t i, bool at_word_start) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if ((c == '&' && next == '&') || (c == '|' && next == '|'))
        return 2;
    if (c == '$' && next == '(')
        return 2;
    if (c == ';' || c == '|' || c == '&' || c == '(' || c == ')' || c == '`')
        return 1;
    if ((c == '>' || c == '<') && at_word_start) {
        size_t length = 1;
        while (i + length < text.size() &&
               (text[i + length] == '>' || text[i + length] == '&' || text[i + length] == '='))
            ++length;
        return length;
    }
    return 0;
}

}  // namespace

Result<std::vector<ShellWord>> split_shell_words(std::string_view text,
                                                 const ShellSplitOptions& options) {
    std::vector<ShellWord> words;
    ShellWord current;
    bool in_word = false;
    const auto finish = [&] {
        if (in_word)
            words.push_back(std::move(current));
        current = ShellWord{};
        in_word = false;
    };
    const auto start_word = [&](size_t at) {
        if (!in_word) {
            in_word = true;
            current.offset = at;
        }
    };

    size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '\\') {
            if (i + 1 < text.size() && (text[i + 1] == '\n' || text[i + 1] == '\r')) {
                i += 2;
                if (i < text.size() && text[i - 1] == '\r' && text[i] == '\n')
                    ++i;
                continue;
            }
            start_word(i);
            if (i + 1 < text.size())
                current.text += text[i + 1];
            i += 2;
            continue;
        }
        if (is_blank(c)) {
            finish();
            ++i;
            continue;
        }
        if (options.comments && c == '#' && !in_word) {
            while (i < text.size() && text[i] != '\n')
                ++i;
            continue;
        }
        if (options.operators) {
            if (const size_t length = operator_length(text, i, !in_word); length > 0) {
                finish();
                words.push_back({std::string(text.substr(i, length)), i, true});
                i += length;
                continue;
            }
        }
        if (c == '\'') {
            start_word(i);
            const auto close = text.find('\'', i + 1);
            if (close == std::string_view::npos)
                return Error{fmt::format("unterminated single quote at column {}", i + 1)};
            current.text += text.substr(i + 1, close - i - 1);
            i = close + 1;
            continue;
        }
        if (c == '"') {
            start_word(i);
            ++i;
            bool closed = false;
            while (i < text.size()) {
                const char d = text[i];
                if (d == '"') {
                    closed = true;
                    ++i;
                    break;
                }
                if (d == '\\' && i + 1 < text.size()) {
                    const char e = text[i + 1];
                    if (e == '"' || e == '\\' || e == '$' || e == '`') {
                        current.text += e;
                        i += 2;
                        continue;
                    }
                    if (e == '\n') {
                        i += 2;
                        continue;
                    }
                }
                current.text += d;
                ++i;
            }
            if (!closed)
                return Error{"unterminated double quote"};
            continue;
        }
        start_word(i);
        current.text += c;
        ++i;
    }
    finish();
    return words;
}

}  // namespace hazmat::deps
