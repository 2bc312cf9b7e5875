#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hazmat::models {

// A Python literal value as ast.literal_eval would produce it, restricted to
// what file-format headers use: None, bools, integers, str, bytes, tuples,
// lists and dicts. Floats, complex numbers and sets are rejected.
struct PyValue {
    enum class Kind { none, boolean, integer, string, bytes, tuple, list, dict };

    Kind kind = Kind::none;
    bool boolean = false;
    int64_t integer = 0;
    std::string text;                                  // str (UTF-8) or bytes
    std::vector<PyValue> items;                        // tuple, list
    std::vector<std::pair<PyValue, PyValue>> entries;  // dict, insertion order, keys unique

    bool is_sequence() const { return kind == Kind::tuple || kind == Kind::list; }
    // bool is an int subclass in Python: isinstance(True, int) holds.
    bool is_int_like() const { return kind == Kind::integer || kind == Kind::boolean; }
    int64_t as_int() const { return kind == Kind::boolean ? (boolean ? 1 : 0) : integer; }

    // The value stored under a str key, or nullptr.
    const PyValue* find(std::string_view key) const;

    // Python's == for the kinds above (1 == True, (1,) != [1]).
    bool operator==(const PyValue& other) const;
};

struct LiteralOptions {
    // Python 2 wrote long integers as "10L"; numpy strips that suffix from
    // headers of format versions 1.0 and 2.0 before evaluating them.
    bool allow_long_suffix = false;
    // Containers nested deeper than this are rejected (bounded recursion).
    uint32_t max_nesting = 64;
};

// Where a literal could not be parsed, so a finding can point at the byte.
struct LiteralError {
    std::string message;
    size_t offset = 0;
};

// Parses `text` (UTF-8) as one Python literal expression, the way
// ast.literal_eval(text) does for the supported kinds, including implicit
// string concatenation, comments, trailing commas and unary minus. Never
// evaluates anything.
struct LiteralResult {
    bool ok = false;
    PyValue value;
    LiteralError error;
};
LiteralResult parse_python_literal(std::string_view text, const LiteralOptions& options = {});

// repr()-like rendering for evidence lines, cut after `max_length` bytes.
std::string to_python_repr(const PyValue& value, size_t max_length = 200);

}  // namespace hazmat::models
