#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "scan/code/syntax_tree.hpp"

namespace hazmat::code {

// A Python value computed from source without running it: literals and
// what can be folded from literals (concatenation, joins, chr() chains,
// reversal, base64 and zlib decoding, os.path.join ...). Used by the code
// rules to see through `"ba" + "sh"` and by manifest readers to take
// install_requires out of a setup.py.
struct LiteralValue {
    enum class Kind { none, boolean, integer, string, bytes, list, tuple, set, dict };

    Kind kind = Kind::none;
    // False when part of the value could not be determined: a string with
    // f-string holes or unresolved names in it, a list with a *splat. The
    // unknown parts of a string read as kUnknownPart.
    bool exact = true;
    bool boolean = false;
    int64_t integer = 0;
    std::string text;                   // string (UTF-8) or bytes
    std::vector<LiteralValue> items;    // list, tuple, set; dict: key, value, key, value ...
    std::vector<std::string> decoders;  // decoders applied to produce `text` ("base64", "zlib")

    bool is_text() const { return kind == Kind::string || kind == Kind::bytes; }
    bool is_sequence() const {
        return kind == Kind::list || kind == Kind::tuple || kind == Kind::set;
    }
    // The value of `key` in a dict value, if present and a string key.
    const LiteralValue* find(std::string_view key) const;

    static LiteralValue make_string(std::string text, bool exact = true);
    static LiteralValue make_bytes(std::string data, bool exact = true);
    static LiteralValue make_integer(int64_t value);
};

// Stands in for the unknown parts of a partially known string, so that a
// pattern never matches across them.
inline constexpr char kUnknownPart = '\x1a';

// A parsed Python module with its import aliases and constant bindings.
//
//   auto module = PythonModule::parse(source);
//   for (TSNode call : module->calls_to("setuptools.setup")) ...
//   module->evaluate(field(call, "arguments"))
//
// Names are resolved file-wide, not per scope.
// LIMITATION: a name assigned in two places is not folded (its value depends
// on control flow), and aliases do not follow scopes: `import os as x` in
// one function and `x = 1` in another still resolve x to os everywhere.
class PythonModule {
  public:
    static Result<PythonModule> parse(std::string_view source, uint64_t timeout_micros = 0);

    const SyntaxTree& tree() const { return tree_; }
    std::string_view text(TSNode node) const { return tree_.text(node); }

    // The dotted name an expression refers to, through imports, simple
    // assignments and indirection: `np.load` -> "numpy.load",
    // `__import__('os').system` -> "os.system", `getattr(os, 'sys'+'tem')`
    // -> "os.system", `builtins.exec` -> "exec". A call in the chain reads
    // as "()" (`requests.Session().post` -> "requests.Session().post").
    // Empty when the expression is not a name.
    std::string qualified_name(TSNode expression) const;
    // Whether reaching the name needed __import__, getattr with a computed
    // name, or the builtins mapping.
    bool resolved_indirectly(TSNode expression) const;

    // Folds an expression to a value; nullopt when it is not built from
    // literals. `budget_hit`, when given, is set when folding stopped at one
    // of its bounds (nesting, total work, size) rather than at something
    // unknowable: the value, or its absence, may hide what a full fold would
    // show, and callers report it as not verified.
    std::optional<LiteralValue> evaluate(TSNode expression, bool* budget_hit = nullptr) const;

    // Every call in source order whose callee resolves to `name` (with "()"
    // parts removed: "requests.Session.post" matches `s.post` after
    // `s = requests.Session()`).
    std::vector<TSNode> calls_to(std::string_view name) const;

    // The value node of keyword argument `name` in a call, or a null node.
    static TSNode keyword_argument(TSNode call, std::string_view name, const SyntaxTree& tree);
    // The n-th positional argument of a call, or a null node.
    static TSNode positional_argument(TSNode call, size_t index);

  private:
    explicit PythonModule(SyntaxTree tree) : tree_(std::move(tree)) {}
    void collect_bindings();

    struct Resolution {
        std::string name;
        bool indirect = false;
    };
    Resolution resolve(TSNode node, int depth) const;

    friend class LiteralEvaluator;

    SyntaxTree tree_;
    std::map<std::string, std::string, std::less<>> aliases_;
    // Names assigned exactly once, with the assigned expression.
    std::map<std::string, TSNode, std::less<>> constants_;
    std::map<std::string, int, std::less<>> assignment_counts_;
    std::vector<TSNode> calls_;
};

// The keyword arguments of a setup.py's setup() call (setuptools.setup,
// distutils.core.setup, through any import alias), evaluated.
struct SetupCall {
    TSNode call{};
    uint32_t line = 0;
    std::map<std::string, LiteralValue, std::less<>> keywords;  // those that evaluated
    std::vector<std::string> unresolved;  // keywords whose value could not be folded
    bool has_splat = false;               // setup(**config): more keywords than seen
};
std::optional<SetupCall> find_setup_call(const PythonModule& module);

// Python string literal decoding: prefix (r, b, f, u) and escapes.
std::string unescape_python(std::string_view body, bool raw, bool bytes);

// Helper shared by the analyzers: children of `node` under field `name`.
std::vector<TSNode> children_by_field(TSNode node, std::string_view name);

}  // namespace hazmat::code
