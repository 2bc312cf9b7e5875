#pragma once

#include <tree_sitter/api.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace hazmat::code {

enum class SourceLanguage { python, javascript, bash };

std::string_view to_string(SourceLanguage language);

// The tree-sitter runtime in Debian 12 (0.20.7) corrupts its heap when about
// 65,535 "extra" nodes (comments) follow each other without code between
// them; 0.20.8 fixed it. Before parsing, a run of more than
// kMaxCommentRun comment lines has its comment text replaced by spaces, so
// byte offsets and line numbers stay the same and the code around the run is
// still reviewed. Lines that could be something else than a comment (inside
// a multi-line string they might end the string or run code) are kept.
// Returns the defused text, nothing when the source needs no change, or an
// Error when a run longer than kMaxKeptCommentRun remains, which is reported
// as unparseable rather than risking the parser.
inline constexpr size_t kMaxCommentRun = 10'000;
inline constexpr size_t kMaxKeptCommentRun = 50'000;
Result<std::optional<std::string>> defuse_comment_runs(SourceLanguage language,
                                                       std::string_view source);

// A parsed source text. The tree points into `source`, which the caller keeps
// alive for as long as the tree is used (blobs are memory-mapped, so no copy
// is made). Syntax errors do not fail the parse: tree-sitter recovers and the
// rules still see every well-formed statement around the error, the way an
// interpreter would still run the lines before it.
class SyntaxTree {
  public:
    // Fails only when the parser gives up (the time budget ran out or the
    // grammar could not be loaded); the message says which.
    static Result<SyntaxTree> parse(SourceLanguage language, std::string_view source,
                                    uint64_t timeout_micros = 0);

    TSNode root() const { return ts_tree_root_node(tree_.get()); }
    std::string_view source() const { return source_; }
    SourceLanguage language() const { return language_; }
    bool has_errors() const { return ts_node_has_error(root()); }

    std::string_view text(TSNode node) const;

  private:
    struct TreeDeleter {
        void operator()(TSTree* tree) const { ts_tree_delete(tree); }
    };

    SyntaxTree(SourceLanguage language, std::string_view source, TSTree* tree,
               std::unique_ptr<std::string> owned)
        : language_(language), owned_(std::move(owned)), source_(source), tree_(tree) {}

    SourceLanguage language_;
    // The defused copy of the source when comment runs were blanked (heap
    // allocated so that moving the tree keeps `source_` valid).
    std::unique_ptr<std::string> owned_;
    std::string_view source_;
    std::unique_ptr<TSTree, TreeDeleter> tree_;
};

// Small accessors that keep the rule code readable.
inline std::string_view node_type(TSNode node) {
    return ts_node_is_null(node) ? std::string_view() : ts_node_type(node);
}
inline bool is_type(TSNode node, std::string_view type) {
    return !ts_node_is_null(node) && node_type(node) == type;
}
// The child under a field name. Field ids are looked up once per grammar
// and name: tree-sitter's own lookup compares the name against every field
// of the grammar on each call.
TSFieldId field_id(const TSLanguage* language, std::string_view name);
inline TSNode field(TSNode node, std::string_view name) {
    if (ts_node_is_null(node))
        return node;
    return ts_node_child_by_field_id(node, field_id(ts_tree_language(node.tree), name));
}
// One-based line and column of a node's start, as findings report them.
inline uint32_t line_of(TSNode node) {
    return ts_node_start_point(node).row + 1;
}
inline uint32_t column_of(TSNode node) {
    return ts_node_start_point(node).column + 1;
}

}  // namespace hazmat::code
