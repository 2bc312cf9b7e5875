#include "scan/code/syntax_tree.hpp"

#include <fmt/format.h>

#include <unordered_map>

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

}  // namespace

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
    ts_parser_set_timeout_micros(parser, timeout_micros);
    TSTree* tree = ts_parser_parse_string(parser, nullptr, source.data(),
                                          static_cast<uint32_t>(source.size()));
    if (tree == nullptr) {
        // A timed-out parser keeps its partial state; the next parse must start clean.
        ts_parser_reset(parser);
        return Error{fmt::format("the {} parser ran out of time", to_string(language))};
    }
    return SyntaxTree(language, source, tree);
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
