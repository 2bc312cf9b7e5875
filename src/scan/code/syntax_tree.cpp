#include "scan/code/syntax_tree.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <vector>

extern "C" {
const TSLanguage* tree_sitter_python();
const TSLanguage* tree_sitter_javascript();
const TSLanguage* tree_sitter_bash();
}

namespace hazmat::code {

namespace {

const TSLanguage* grammar_of(SourceLanguage language) {
    switch (language) {
        case SourceLanguage::python:
            return tree_sitter_python();
        case SourceLanguage::javascript:
            return tree_sitter_javascript();
        case SourceLanguage::bash:
            return tree_sitter_bash();
    }
    return nullptr;
}

struct ParserDeleter {
    void operator()(TSParser* parser) const { ts_parser_delete(parser); }
};
using ParserPtr = std::unique_ptr<TSParser, ParserDeleter>;

// Creating a parser and loading a grammar costs more than parsing a small
// file, so each worker thread keeps one parser per language.
TSParser* parser_for(SourceLanguage language) {
    thread_local ParserPtr parsers[3];
    auto& parser = parsers[static_cast<int>(language)];
    if (!parser) {
        ParserPtr created(ts_parser_new());
        if (!ts_parser_set_language(created.get(), grammar_of(language)))
            return nullptr;
        parser = std::move(created);
    }
    return parser.get();
}

std::string_view trim(std::string_view line) {
    constexpr std::string_view kSpace = " \t\f\v\r";
    const size_t begin = line.find_first_not_of(kSpace);
    if (begin == std::string_view::npos)
        return {};
    return line.substr(begin, line.find_last_not_of(kSpace) - begin + 1);
}

// Comment starts anywhere in `text`: an upper bound on the comments in it.
size_t count_comment_markers(SourceLanguage language, std::string_view text) {
    if (language != SourceLanguage::javascript)
        return static_cast<size_t>(std::count(text.begin(), text.end(), '#'));
    size_t count = 0;
    for (size_t i = text.find('/'); i != std::string_view::npos && i + 1 < text.size();
         i = text.find('/', i + 1)) {
        if (text[i + 1] == '/' || text[i + 1] == '*') {
            ++count;
            ++i;
        }
    }
    return count;
}

bool is_comment_line(SourceLanguage language, std::string_view trimmed) {
    return language == SourceLanguage::javascript ? trimmed.starts_with("//")
                                                  : trimmed.starts_with('#');
}

// Heredoc delimiters of a shell script: a line equal to one of them ends a
// heredoc, so blanking it would swallow the code after it into the heredoc.
std::unordered_set<std::string> heredoc_delimiters(std::string_view text) {
    std::unordered_set<std::string> words;
    for (size_t i = text.find("<<"); i != std::string_view::npos; i = text.find("<<", i + 2)) {
        size_t j = i + 2;
        while (j < text.size() && (text[j] == '-' || text[j] == ' ' || text[j] == '\t'))
            ++j;
        std::string word;
        for (; j < text.size() &&
               std::string_view(" \t\r\n;|&<>()").find(text[j]) == std::string_view::npos;
             ++j) {
            if (text[j] != '\'' && text[j] != '"' && text[j] != '\\')
                word += text[j];
        }
        if (!word.empty())
            words.insert(std::move(word));
    }
    return words;
}

// Whether a comment-looking line is surely a comment, or else harmless to
// blank: inside a multi-line string (a Python triple-quoted string, a JS
// template literal, a shell heredoc or quoted string) a quote could end the
// string, and `{`, `${`, `$(` or a backtick could run code; `*/` could end
// an enclosing block comment.
bool safe_to_blank(SourceLanguage language, std::string_view trimmed,
                   const std::unordered_set<std::string>& delimiters) {
    if (trimmed.find_first_of("\"'\\`") != std::string_view::npos)
        return false;
    switch (language) {
        case SourceLanguage::python:
            return trimmed.find('{') == std::string_view::npos;
        case SourceLanguage::javascript:
            return trimmed.find('$') == std::string_view::npos &&
                   trimmed.find("*/") == std::string_view::npos;
        case SourceLanguage::bash:
            return trimmed.find('$') == std::string_view::npos &&
                   !delimiters.contains(std::string(trimmed));
    }
    return false;
}

// Comments on one line: a line comment runs to the end of the line, so only
// JS block comments can put more than one on a line.
size_t comments_on_line(SourceLanguage language, std::string_view line) {
    if (language != SourceLanguage::javascript)
        return line.find('#') != std::string_view::npos ? 1 : 0;
    size_t count = 0;
    for (size_t i = line.find("/*"); i != std::string_view::npos; i = line.find("/*", i + 2))
        ++count;
    return count + (line.find("//") != std::string_view::npos ? 1 : 0);
}

// A conservative bound on the longest run of comments the parser would see
// in `text`: lines that are blank or start like a comment continue a run
// with every comment on them, any other line restarts it with its comments
// (they may trail the code on it).
size_t longest_comment_run(SourceLanguage language, std::string_view text) {
    size_t run = 0;
    size_t longest = 0;
    for (size_t start = 0; start <= text.size();) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos)
            end = text.size();
        const auto line = text.substr(start, end - start);
        const auto trimmed = trim(line);
        if (!trimmed.empty()) {
            const size_t comments = comments_on_line(language, line);
            const bool comment_like = language == SourceLanguage::javascript
                                          ? trimmed.starts_with("//") ||
                                                trimmed.starts_with("/*") ||
                                                trimmed.starts_with('*')
                                          : trimmed.starts_with('#');
            run = comment_like ? run + comments : comments;
            longest = std::max(longest, run);
        }
        start = end + 1;
    }
    return longest;
}

}  // namespace

Result<std::optional<std::string>> defuse_comment_runs(SourceLanguage language,
                                                       std::string_view source) {
    // Nearly every file stops here: a long run needs that many markers.
    if (count_comment_markers(language, source) <= kMaxCommentRun)
        return std::optional<std::string>();
    const auto delimiters = language == SourceLanguage::bash ? heredoc_delimiters(source)
                                                             : std::unordered_set<std::string>();
    std::optional<std::string> defused;
    struct Line {
        size_t begin;
        size_t end;
    };
    std::vector<Line> run;  // comment lines of the current run of comment and blank lines
    const auto close_run = [&] {
        if (run.size() > kMaxCommentRun) {
            if (!defused)
                defused.emplace(source);
            for (const auto& line : run) {
                const auto text = source.substr(line.begin, line.end - line.begin);
                if (safe_to_blank(language, trim(text), delimiters))
                    std::fill(defused->begin() + static_cast<std::ptrdiff_t>(line.begin),
                              defused->begin() + static_cast<std::ptrdiff_t>(line.end), ' ');
            }
        }
        run.clear();
    };
    for (size_t start = 0; start <= source.size();) {
        size_t end = source.find('\n', start);
        if (end == std::string_view::npos)
            end = source.size();
        const auto trimmed = trim(source.substr(start, end - start));
        if (is_comment_line(language, trimmed))
            run.push_back({start, end});
        else if (!trimmed.empty())
            close_run();
        start = end + 1;
    }
    close_run();
    // LIMITATION: only whole comment lines are blanked; a longer run of
    // comments that could not be blanked safely (block comments, comments
    // holding quotes or `$`) makes the file unparseable rather than crash.
    const size_t longest = longest_comment_run(language, defused ? *defused : source);
    if (longest > kMaxKeptCommentRun) {
        return Error{
            fmt::format("{} consecutive comments, more than the {} parser handles safely ({})",
                        longest, to_string(language), kMaxKeptCommentRun)};
    }
    return defused;
}

TSFieldId field_id(const TSLanguage* language, std::string_view name) {
    struct Key {
        const TSLanguage* language;
        const char* name;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        size_t operator()(const Key& key) const {
            return std::hash<const void*>()(key.language) ^
                   (std::hash<const void*>()(key.name) << 1);
        }
    };
    // Keyed by the literal's address: callers pass string literals.
    thread_local std::unordered_map<Key, TSFieldId, KeyHash> cache;
    const Key key{language, name.data()};
    if (const auto it = cache.find(key); it != cache.end())
        return it->second;
    const TSFieldId id =
        ts_language_field_id_for_name(language, name.data(), static_cast<uint32_t>(name.size()));
    cache.emplace(key, id);
    return id;
}

std::string_view to_string(SourceLanguage language) {
    switch (language) {
        case SourceLanguage::python:
            return "Python";
        case SourceLanguage::javascript:
            return "JavaScript";
        case SourceLanguage::bash:
            return "shell";
    }
    return "unknown";
}

Result<SyntaxTree> SyntaxTree::parse(SourceLanguage language, std::string_view source,
                                     uint64_t timeout_micros) {
    TSParser* parser = parser_for(language);
    if (parser == nullptr) {
        return Error{fmt::format("the {} grammar does not match the tree-sitter runtime",
                                 to_string(language))};
    }
    if (source.size() > UINT32_MAX)
        return Error{"source text larger than 4 GiB"};
    auto defused = defuse_comment_runs(language, source);
    if (!defused)
        return defused.error();
    std::unique_ptr<std::string> owned;
    if (*defused) {
        owned = std::make_unique<std::string>(std::move(**defused));
        source = *owned;
    }
    ts_parser_set_timeout_micros(parser, timeout_micros);
    TSTree* tree = ts_parser_parse_string(parser, nullptr, source.data(),
                                          static_cast<uint32_t>(source.size()));
    if (tree == nullptr) {
        // A timed-out parser keeps its partial state; the next parse must start clean.
        ts_parser_reset(parser);
        return Error{fmt::format("the {} parser ran out of time", to_string(language))};
    }
    return SyntaxTree(language, source, tree, std::move(owned));
}

std::string_view SyntaxTree::text(TSNode node) const {
    if (ts_node_is_null(node))
        return {};
    const uint32_t start = ts_node_start_byte(node);
    const uint32_t end = ts_node_end_byte(node);
    if (start > end || end > source_.size())
        return {};
    return source_.substr(start, end - start);
}

}  // namespace hazmat::code
