#include "scan/code/python_module.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <set>

#include "scan/code/decoders.hpp"

namespace hazmat::code {

namespace {

// Bounds of one fold. Nesting is bounded because folding recurses; a
// left-leaning `+` chain ('c'+'u'+'r'+'l'+...), the form obfuscators emit,
// is folded in a loop and does not count against it. Steps bound the total
// work of one fold (every node visited, including constants reached through
// names), so a file cannot make folding quadratic. Hitting any bound is
// reported to the caller (PythonModule::evaluate's `budget_hit`), which
// reports the value as unverified where it matters.
// LIMITATION: a bound hit is reported only for values that decide what runs
// (exec and process arguments); elsewhere the value is just not folded.
constexpr int kMaxDepth = 48;
constexpr size_t kMaxSteps = 1u << 18;
constexpr size_t kMaxText = 16u << 20;
constexpr size_t kMaxItems = 1u << 20;

void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x110000) {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

bool parse_hex_digits(std::string_view text, size_t count, uint32_t& value) {
    if (text.size() < count)
        return false;
    value = 0;
    for (size_t i = 0; i < count; ++i) {
        const char c = text[i];
        uint32_t digit;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            digit = c - 'A' + 10;
        else
            return false;
        value = value * 16 + digit;
    }
    return true;
}

std::string strip_call_marks(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    for (size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '(' && i + 1 < name.size() && name[i + 1] == ')') {
            ++i;
            continue;
        }
        out.push_back(name[i]);
    }
    return out;
}

// `builtins.exec`, `__builtins__.exec` and `__builtin__.exec` are exec.
std::string normalize_builtins(std::string name) {
    for (const std::string_view prefix : {"builtins.", "__builtins__.", "__builtin__."}) {
        if (name.starts_with(prefix))
            return name.substr(prefix.size());
    }
    return name;
}

std::optional<int64_t> parse_integer(std::string_view text) {
    std::string digits;
    for (const char c : text) {
        if (c != '_')
            digits.push_back(c);
    }
    int base = 10;
    std::string_view body = digits;
    if (body.size() > 2 && body[0] == '0') {
        const char marker = static_cast<char>(body[1] | 0x20);
        if (marker == 'x')
            base = 16;
        else if (marker == 'o')
            base = 8;
        else if (marker == 'b')
            base = 2;
        if (base != 10)
            body.remove_prefix(2);
    }
    int64_t value = 0;
    const auto [end, error] = std::from_chars(body.data(), body.data() + body.size(), value, base);
    if (error != std::errc() || end != body.data() + body.size())
        return std::nullopt;
    return value;
}

}  // namespace

std::vector<TSNode> children_by_field(TSNode node, std::string_view name) {
    std::vector<TSNode> out;
    if (ts_node_is_null(node))
        return out;
    TSTreeCursor cursor = ts_tree_cursor_new(node);
    if (ts_tree_cursor_goto_first_child(&cursor)) {
        do {
            const char* field_name = ts_tree_cursor_current_field_name(&cursor);
            if (field_name != nullptr && name == field_name)
                out.push_back(ts_tree_cursor_current_node(&cursor));
        } while (ts_tree_cursor_goto_next_sibling(&cursor));
    }
    ts_tree_cursor_delete(&cursor);
    return out;
}

std::string unescape_python(std::string_view body, bool raw, bool bytes) {
    if (raw)
        return std::string(body);
    std::string out;
    out.reserve(body.size());
    for (size_t i = 0; i < body.size(); ++i) {
        const char c = body[i];
        if (c != '\\' || i + 1 == body.size()) {
            out.push_back(c);
            continue;
        }
        const char e = body[++i];
        uint32_t value = 0;
        switch (e) {
            case '\n':
                break;
            case '\\':
            case '\'':
            case '"':
                out.push_back(e);
                break;
            case 'n':
                out.push_back('\n');
                break;
            case 'r':
                out.push_back('\r');
                break;
            case 't':
                out.push_back('\t');
                break;
            case 'a':
                out.push_back('\a');
                break;
            case 'b':
                out.push_back('\b');
                break;
            case 'f':
                out.push_back('\f');
                break;
            case 'v':
                out.push_back('\v');
                break;
            case 'x':
                if (parse_hex_digits(body.substr(i + 1), 2, value)) {
                    if (bytes)
                        out.push_back(static_cast<char>(value));
                    else
                        append_utf8(out, value);
                    i += 2;
                } else {
                    out.append("\\x");
                }
                break;
            case 'u':
            case 'U': {
                const size_t count = e == 'u' ? 4 : 8;
                if (!bytes && parse_hex_digits(body.substr(i + 1), count, value)) {
                    append_utf8(out, value);
                    i += count;
                } else {
                    out.push_back('\\');
                    out.push_back(e);
                }
                break;
            }
            default:
                if (e >= '0' && e <= '7') {
                    value = static_cast<uint32_t>(e - '0');
                    size_t used = 0;
                    while (used < 2 && i + 1 < body.size() && body[i + 1] >= '0' &&
                           body[i + 1] <= '7') {
                        value = value * 8 + static_cast<uint32_t>(body[++i] - '0');
                        ++used;
                    }
                    if (bytes)
                        out.push_back(static_cast<char>(value & 0xFF));
                    else
                        append_utf8(out, value);
                } else {
                    out.push_back('\\');
                    out.push_back(e);
                }
        }
    }
    return out;
}

const LiteralValue* LiteralValue::find(std::string_view key) const {
    if (kind != Kind::dict)
        return nullptr;
    for (size_t i = 0; i + 1 < items.size(); i += 2) {
        if (items[i].is_text() && items[i].text == key)
            return &items[i + 1];
    }
    return nullptr;
}

LiteralValue LiteralValue::make_string(std::string text, bool exact) {
    LiteralValue value;
    value.kind = Kind::string;
    value.text = std::move(text);
    value.exact = exact;
    return value;
}

LiteralValue LiteralValue::make_bytes(std::string data, bool exact) {
    LiteralValue value = make_string(std::move(data), exact);
    value.kind = Kind::bytes;
    return value;
}

LiteralValue LiteralValue::make_integer(int64_t number) {
    LiteralValue value;
    value.kind = Kind::integer;
    value.integer = number;
    return value;
}

// Folds expressions. Names bound by a comprehension live in `Env`.
class LiteralEvaluator {
  public:
    using Env = std::map<std::string, LiteralValue, std::less<>>;

    explicit LiteralEvaluator(const PythonModule& module) : module_(module) {}

    std::optional<LiteralValue> evaluate(TSNode node, const Env* env, int depth);
    // Whether a bound (nesting, steps, size) stopped the fold somewhere.
    bool budget_hit() const { return budget_hit_; }

  private:
    std::optional<LiteralValue> string_literal(TSNode node);
    std::optional<LiteralValue> sequence(TSNode node, LiteralValue::Kind kind, const Env* env,
                                         int depth);
    std::optional<LiteralValue> dictionary(TSNode node, const Env* env, int depth);
    std::optional<LiteralValue> binary(TSNode node, const Env* env, int depth);
    std::optional<LiteralValue> plus_chain(TSNode node, const Env* env, int depth);
    std::optional<LiteralValue> combine(std::string_view op, std::optional<LiteralValue> left,
                                        std::optional<LiteralValue> right);
    std::optional<LiteralValue> subscript(TSNode node, const Env* env, int depth);
    std::optional<LiteralValue> call(TSNode node, const Env* env, int depth);
    std::optional<LiteralValue> method_call(TSNode function, TSNode arguments, const Env* env,
                                            int depth);
    std::optional<LiteralValue> comprehension(TSNode node, const Env* env, int depth);
    std::optional<LiteralValue> decode_call(std::string_view name, const LiteralValue& input,
                                            TSNode arguments, const Env* env, int depth);
    std::vector<LiteralValue> positional(TSNode arguments, const Env* env, int depth,
                                         bool& complete);

    const PythonModule& module_;
    std::set<std::string> evaluating_;
    size_t steps_ = 0;
    bool budget_hit_ = false;
};

std::optional<LiteralValue> LiteralEvaluator::string_literal(TSNode node) {
    std::string text;
    bool exact = true;
    bool bytes = false;
    bool raw = false;
    const uint32_t count = ts_node_child_count(node);
    for (uint32_t i = 0; i < count; ++i) {
        const TSNode child = ts_node_child(node, i);
        const auto type = node_type(child);
        if (type == "string_start") {
            for (const char c : module_.text(child)) {
                const char lowered = static_cast<char>(c | 0x20);
                bytes = bytes || lowered == 'b';
                raw = raw || lowered == 'r';
            }
        } else if (type == "string_content") {
            text += unescape_python(module_.text(child), raw, bytes);
        } else if (type == "interpolation") {
            text.push_back(kUnknownPart);
            exact = false;
        } else if (type == "escape_sequence") {
            text += unescape_python(module_.text(child), raw, bytes);
        }
    }
    return bytes ? LiteralValue::make_bytes(std::move(text), exact)
                 : LiteralValue::make_string(std::move(text), exact);
}

std::optional<LiteralValue> LiteralEvaluator::sequence(TSNode node, LiteralValue::Kind kind,
                                                       const Env* env, int depth) {
    LiteralValue value;
    value.kind = kind;
    const uint32_t count = ts_node_named_child_count(node);
    for (uint32_t i = 0; i < count; ++i) {
        const TSNode child = ts_node_named_child(node, i);
        if (is_type(child, "comment"))
            continue;
        if (value.items.size() >= kMaxItems) {
            budget_hit_ = true;
            return std::nullopt;
        }
        auto item = evaluate(child, env, depth + 1);
        if (!item) {
            value.exact = false;
            continue;
        }
        value.exact = value.exact && item->exact;
        value.items.push_back(std::move(*item));
    }
    return value;
}

std::optional<LiteralValue> LiteralEvaluator::dictionary(TSNode node, const Env* env, int depth) {
    LiteralValue value;
    value.kind = LiteralValue::Kind::dict;
    const uint32_t count = ts_node_named_child_count(node);
    for (uint32_t i = 0; i < count; ++i) {
        const TSNode child = ts_node_named_child(node, i);
        if (!is_type(child, "pair")) {
            if (!is_type(child, "comment"))
                value.exact = false;
            continue;
        }
        auto key = evaluate(field(child, "key"), env, depth + 1);
        auto item = evaluate(field(child, "value"), env, depth + 1);
        if (!key || !item) {
            value.exact = false;
            continue;
        }
        value.exact = value.exact && key->exact && item->exact;
        value.items.push_back(std::move(*key));
        value.items.push_back(std::move(*item));
    }
    return value;
}

namespace {

std::string path_join(const std::vector<LiteralValue>& parts) {
    std::string out;
    for (const auto& part : parts) {
        if (!part.is_text())
            continue;
        if (part.text.starts_with('/')) {
            out = part.text;
            continue;
        }
        if (!out.empty() && out.back() != '/')
            out.push_back('/');
        out += part.text;
    }
    return out;
}

bool all_exact(const std::vector<LiteralValue>& values) {
    return std::all_of(values.begin(), values.end(), [](const auto& v) { return v.exact; });
}

}  // namespace

std::optional<LiteralValue> LiteralEvaluator::binary(TSNode node, const Env* env, int depth) {
    const auto op = node_type(field(node, "operator"));
    if (op == "+")
        return plus_chain(node, env, depth);
    return combine(op, evaluate(field(node, "left"), env, depth + 1),
                   evaluate(field(node, "right"), env, depth + 1));
}

// a + b + c + ... parses as ((a + b) + c) + ...: walk down the left spine,
// then fold the operands left to right, so a chain of any length costs one
// level of nesting and linear time.
std::optional<LiteralValue> LiteralEvaluator::plus_chain(TSNode node, const Env* env, int depth) {
    std::vector<TSNode> operands;
    TSNode leftmost = node;
    while (is_type(leftmost, "binary_operator") && node_type(field(leftmost, "operator")) == "+") {
        operands.push_back(field(leftmost, "right"));
        leftmost = field(leftmost, "left");
        if (++steps_ > kMaxSteps) {
            budget_hit_ = true;
            return std::nullopt;
        }
    }
    auto value = evaluate(leftmost, env, depth + 1);
    for (auto it = operands.rbegin(); it != operands.rend(); ++it) {
        if (steps_ > kMaxSteps)
            return std::nullopt;
        value = combine("+", std::move(value), evaluate(*it, env, depth + 1));
    }
    return value;
}

std::optional<LiteralValue> LiteralEvaluator::combine(std::string_view op,
                                                      std::optional<LiteralValue> left,
                                                      std::optional<LiteralValue> right) {
    if (op == "%" && left && left->is_text()) {
        // "%s/.ssh" % home: keep the known parts.
        LiteralValue value = *left;
        value.exact = false;
        for (size_t pos = value.text.find("%s"); pos != std::string::npos;
             pos = value.text.find("%s", pos + 1))
            value.text.replace(pos, 2, 1, kUnknownPart);
        return value;
    }
    if (op == "+" || op == "/") {
        // Partially known concatenations still matter: home + "/.ssh/id_rsa".
        if (left && left->is_text() && !right)
            right = LiteralValue::make_string(std::string(1, kUnknownPart), false);
        if (right && right->is_text() && !left)
            left = LiteralValue::make_string(std::string(1, kUnknownPart), false);
    }
    if (!left || !right)
        return std::nullopt;
    if (op == "/" && left->is_text() && right->is_text()) {
        auto value =
            LiteralValue::make_string(path_join({*left, *right}), left->exact && right->exact);
        return value;
    }
    if (left->kind == LiteralValue::Kind::integer && right->kind == LiteralValue::Kind::integer) {
        const int64_t a = left->integer;
        const int64_t b = right->integer;
        if (op == "+")
            return LiteralValue::make_integer(a + b);
        if (op == "-")
            return LiteralValue::make_integer(a - b);
        if (op == "*")
            return LiteralValue::make_integer(a * b);
        if (op == "^")
            return LiteralValue::make_integer(a ^ b);
        if (op == "&")
            return LiteralValue::make_integer(a & b);
        if (op == "|")
            return LiteralValue::make_integer(a | b);
        if (op == "%" && b != 0)
            return LiteralValue::make_integer(((a % b) + b) % b);
        if (op == "//" && b != 0)
            return LiteralValue::make_integer(a / b);
        if (op == "<<" && b >= 0 && b < 63)
            return LiteralValue::make_integer(a << b);
        if (op == ">>" && b >= 0 && b < 63)
            return LiteralValue::make_integer(a >> b);
        return std::nullopt;
    }
    if (op == "+" && left->is_text() && right->is_text()) {
        if (left->text.size() + right->text.size() > kMaxText) {
            budget_hit_ = true;
            return std::nullopt;
        }
        LiteralValue value = std::move(*left);
        value.text += right->text;
        value.exact = value.exact && right->exact;
        // The same decoder applied to every piece (chr(..) + chr(..) ...)
        // is one step of decoding, not one per piece.
        for (auto& decoder : right->decoders) {
            if (value.decoders.empty() || value.decoders.back() != decoder)
                value.decoders.push_back(std::move(decoder));
        }
        return value;
    }
    if (op == "+" && left->is_sequence() && right->is_sequence()) {
        if (left->items.size() + right->items.size() > kMaxItems) {
            budget_hit_ = true;
            return std::nullopt;
        }
        LiteralValue value = std::move(*left);
        value.items.insert(value.items.end(), std::make_move_iterator(right->items.begin()),
                           std::make_move_iterator(right->items.end()));
        value.exact = value.exact && right->exact;
        return value;
    }
    if (op == "*" && left->is_text() && right->kind == LiteralValue::Kind::integer) {
        if (right->integer < 0)
            return std::nullopt;
        if (left->text.size() * static_cast<uint64_t>(right->integer) > kMaxText) {
            budget_hit_ = true;
            return std::nullopt;
        }
        LiteralValue value = *left;
        value.text.clear();
        for (int64_t i = 0; i < right->integer; ++i)
            value.text += left->text;
        return value;
    }
    return std::nullopt;
}

std::optional<LiteralValue> LiteralEvaluator::subscript(TSNode node, const Env* env, int depth) {
    const TSNode index = field(node, "subscript");
    // os.environ["HOME"] is the home directory in path expressions.
    const auto container = module_.qualified_name(field(node, "value"));
    if (container == "os.environ") {
        auto key = evaluate(index, env, depth + 1);
        if (key && key->is_text() && (key->text == "HOME" || key->text == "USERPROFILE"))
            return LiteralValue::make_string("~");
        return std::nullopt;
    }
    auto value = evaluate(field(node, "value"), env, depth + 1);
    if (!value)
        return std::nullopt;
    if (is_type(index, "slice")) {
        std::string spelled;
        for (const char c : module_.text(index)) {
            if (c != ' ')
                spelled.push_back(c);
        }
        if (spelled == "::-1" && value->is_text()) {
            LiteralValue flipped = *value;
            flipped.text = reversed(value->text);
            flipped.decoders.push_back("reversed");
            return flipped;
        }
        return std::nullopt;
    }
    auto key = evaluate(index, env, depth + 1);
    if (!key)
        return std::nullopt;
    if (key->kind == LiteralValue::Kind::integer) {
        int64_t i = key->integer;
        if (value->is_text()) {
            const auto size = static_cast<int64_t>(value->text.size());
            if (i < 0)
                i += size;
            if (i < 0 || i >= size)
                return std::nullopt;
            if (value->kind == LiteralValue::Kind::bytes)
                return LiteralValue::make_integer(static_cast<uint8_t>(value->text[i]));
            return LiteralValue::make_string(std::string(1, value->text[i]), value->exact);
        }
        if (value->is_sequence()) {
            const auto size = static_cast<int64_t>(value->items.size());
            if (i < 0)
                i += size;
            if (i < 0 || i >= size)
                return std::nullopt;
            return value->items[i];
        }
    }
    if (key->is_text()) {
        if (const auto* found = value->find(key->text))
            return *found;
    }
    return std::nullopt;
}

std::vector<LiteralValue> LiteralEvaluator::positional(TSNode arguments, const Env* env, int depth,
                                                       bool& complete) {
    std::vector<LiteralValue> values;
    complete = true;
    if (is_type(arguments, "generator_expression")) {
        auto value = comprehension(arguments, env, depth + 1);
        if (value)
            values.push_back(std::move(*value));
        else
            complete = false;
        return values;
    }
    const uint32_t count = ts_node_named_child_count(arguments);
    for (uint32_t i = 0; i < count; ++i) {
        const TSNode child = ts_node_named_child(arguments, i);
        if (is_type(child, "keyword_argument") || is_type(child, "comment"))
            continue;
        auto value = evaluate(child, env, depth + 1);
        if (!value) {
            complete = false;
            values.push_back(LiteralValue::make_string(std::string(1, kUnknownPart), false));
            continue;
        }
        values.push_back(std::move(*value));
    }
    return values;
}

std::optional<LiteralValue> LiteralEvaluator::comprehension(TSNode node, const Env* env,
                                                            int depth) {
    // [f(x) for x in CONSTANT] and the generator form, with one for clause
    // binding a name or an (index, name) pair from enumerate(): enough for
    // chr() chains and XOR loops, which is what obfuscators emit.
    TSNode clause{};
    const uint32_t count = ts_node_named_child_count(node);
    for (uint32_t i = 0; i < count; ++i) {
        const TSNode child = ts_node_named_child(node, i);
        if (is_type(child, "for_in_clause")) {
            if (!ts_node_is_null(clause))
                return std::nullopt;
            clause = child;
        } else if (is_type(child, "if_clause")) {
            return std::nullopt;
        }
    }
    if (ts_node_is_null(clause))
        return std::nullopt;
    TSNode iterable = field(clause, "right");
    const TSNode target = field(clause, "left");
    bool enumerate = false;
    if (is_type(iterable, "call") &&
        module_.qualified_name(field(iterable, "function")) == "enumerate") {
        enumerate = true;
        iterable = PythonModule::positional_argument(iterable, 0);
    }
    auto source = evaluate(iterable, env, depth + 1);
    if (!source)
        return std::nullopt;
    std::vector<LiteralValue> elements;
    if (source->is_sequence()) {
        elements = source->items;
    } else if (source->kind == LiteralValue::Kind::bytes) {
        for (const char c : source->text)
            elements.push_back(LiteralValue::make_integer(static_cast<uint8_t>(c)));
    } else if (source->kind == LiteralValue::Kind::string) {
        for (const char c : source->text)
            elements.push_back(LiteralValue::make_string(std::string(1, c)));
    } else {
        return std::nullopt;
    }
    std::vector<std::string> names;
    if (is_type(target, "identifier")) {
        names.emplace_back(module_.text(target));
    } else if (is_type(target, "pattern_list") || is_type(target, "tuple_pattern")) {
        for (uint32_t i = 0; i < ts_node_named_child_count(target); ++i)
            names.emplace_back(module_.text(ts_node_named_child(target, i)));
    }
    if (names.empty() || names.size() != (enumerate ? 2u : 1u))
        return std::nullopt;

    LiteralValue result;
    result.kind = LiteralValue::Kind::list;
    Env local = env ? *env : Env{};
    const TSNode body = field(node, "body");
    for (size_t i = 0; i < elements.size(); ++i) {
        if (enumerate) {
            local[names[0]] = LiteralValue::make_integer(static_cast<int64_t>(i));
            local[names[1]] = elements[i];
        } else {
            local[names[0]] = elements[i];
        }
        auto item = evaluate(body, &local, depth + 1);
        if (!item)
            return std::nullopt;
        result.items.push_back(std::move(*item));
    }
    return result;
}

std::optional<LiteralValue> LiteralEvaluator::decode_call(std::string_view name,
                                                          const LiteralValue& input,
                                                          TSNode arguments, const Env* env,
                                                          int depth) {
    if (!input.is_text())
        return std::nullopt;
    std::optional<std::string> decoded;
    std::string decoder;
    if (name == "base64.b64decode" || name == "base64.standard_b64decode" ||
        name == "base64.urlsafe_b64decode" || name == "base64.decodebytes" ||
        name == "base64.decodestring" || name == "binascii.a2b_base64") {
        decoded = decode_base64(input.text);
        decoder = "base64";
    } else if (name == "base64.b32decode") {
        decoded = decode_base32(input.text);
        decoder = "base32";
    } else if (name == "base64.b16decode" || name == "binascii.unhexlify" ||
               name == "binascii.a2b_hex" || name == "bytes.fromhex") {
        decoded = decode_hex(input.text);
        decoder = "hex";
    } else if (name == "zlib.decompress" || name == "gzip.decompress" || name == "bz2.decompress" ||
               name == "lzma.decompress") {
        auto inflated = decompress_by_magic(input.text, kMaxText);
        if (inflated) {
            decoded = std::move(inflated->text);
            decoder = inflated->codec;
        }
    } else if (name == "codecs.decode") {
        bool complete = true;
        const auto args = positional(arguments, env, depth, complete);
        const std::string codec = args.size() > 1 && args[1].is_text() ? args[1].text : "";
        if (codec == "rot13" || codec == "rot_13") {
            std::string out = input.text;
            for (auto& c : out) {
                if (c >= 'a' && c <= 'z')
                    c = static_cast<char>('a' + (c - 'a' + 13) % 26);
                else if (c >= 'A' && c <= 'Z')
                    c = static_cast<char>('A' + (c - 'A' + 13) % 26);
            }
            decoded = std::move(out);
            decoder = "rot13";
        } else if (codec == "hex" || codec == "hex_codec") {
            decoded = decode_hex(input.text);
            decoder = "hex";
        } else if (codec == "base64" || codec == "base64_codec") {
            decoded = decode_base64(input.text);
            decoder = "base64";
        } else if (codec == "zlib" || codec == "zlib_codec") {
            if (auto inflated = decompress_by_magic(input.text, kMaxText)) {
                decoded = std::move(inflated->text);
                decoder = "zlib";
            }
        }
    } else {
        return std::nullopt;
    }
    if (!decoded)
        return std::nullopt;
    LiteralValue value = LiteralValue::make_bytes(std::move(*decoded), input.exact);
    value.decoders = input.decoders;
    value.decoders.push_back(decoder);
    return value;
}

std::optional<LiteralValue> LiteralEvaluator::method_call(TSNode function, TSNode arguments,
                                                          const Env* env, int depth) {
    const auto method = module_.text(field(function, "attribute"));
    auto receiver = evaluate(field(function, "object"), env, depth + 1);
    if (!receiver || !receiver->is_text())
        return std::nullopt;
    bool complete = true;
    auto args = positional(arguments, env, depth, complete);
    if (method == "join") {
        if (args.size() != 1 || !args[0].is_sequence())
            return std::nullopt;
        LiteralValue value = *receiver;
        value.text.clear();
        value.exact = receiver->exact && args[0].exact;
        for (size_t i = 0; i < args[0].items.size(); ++i) {
            const auto& item = args[0].items[i];
            if (!item.is_text())
                return std::nullopt;
            if (i > 0)
                value.text += receiver->text;
            value.text += item.text;
            value.exact = value.exact && item.exact;
            if (value.text.size() > kMaxText)
                return std::nullopt;
            if (!item.decoders.empty() && value.decoders.empty())
                value.decoders = item.decoders;
        }
        return value;
    }
    if (method == "decode") {
        LiteralValue value = *receiver;
        value.kind = LiteralValue::Kind::string;
        return value;
    }
    if (method == "encode") {
        LiteralValue value = *receiver;
        value.kind = LiteralValue::Kind::bytes;
        return value;
    }
    if (method == "replace" && args.size() >= 2 && args[0].is_text() && args[1].is_text() &&
        !args[0].text.empty()) {
        LiteralValue value = *receiver;
        std::string out;
        const auto& from = args[0].text;
        size_t pos = 0;
        for (size_t hit = value.text.find(from); hit != std::string::npos;
             hit = value.text.find(from, pos)) {
            out.append(value.text, pos, hit - pos);
            out += args[1].text;
            pos = hit + from.size();
            if (out.size() > kMaxText)
                return std::nullopt;
        }
        out.append(value.text, pos);
        value.text = std::move(out);
        return value;
    }
    if (method == "strip" || method == "lower" || method == "upper" || method == "format") {
        LiteralValue value = *receiver;
        if (method == "lower" || method == "upper") {
            for (auto& c : value.text) {
                c = static_cast<char>(method == "lower" ? std::tolower(static_cast<uint8_t>(c))
                                                        : std::toupper(static_cast<uint8_t>(c)));
            }
        } else if (method == "format") {
            std::string out;
            for (size_t i = 0; i < value.text.size(); ++i) {
                if (value.text[i] == '{') {
                    const size_t close = value.text.find('}', i);
                    if (close != std::string::npos) {
                        out.push_back(kUnknownPart);
                        i = close;
                        continue;
                    }
                }
                out.push_back(value.text[i]);
            }
            value.text = std::move(out);
            value.exact = false;
        } else {
            const auto first = value.text.find_first_not_of(" \t\r\n");
            const auto last = value.text.find_last_not_of(" \t\r\n");
            value.text =
                first == std::string::npos ? "" : value.text.substr(first, last - first + 1);
        }
        return value;
    }
    return std::nullopt;
}

std::optional<LiteralValue> LiteralEvaluator::call(TSNode node, const Env* env, int depth) {
    const TSNode function = field(node, "function");
    const TSNode arguments = field(node, "arguments");
    const std::string name = strip_call_marks(module_.qualified_name(function));

    if (name == "chr" || name == "ord" || name == "str" || name == "bytes" || name == "bytearray" ||
        name == "list" || name == "tuple" || name == "reversed" || name == "map" ||
        name == "os.path.join" || name == "posixpath.join" || name == "os.path.expanduser" ||
        name == "os.path.expandvars" || name == "os.path.abspath" || name == "pathlib.Path" ||
        name == "pathlib.PosixPath" || name == "Path" || name == "pathlib.Path.home" ||
        name == "Path.home" || name == "os.getenv" || name == "os.environ.get" ||
        name == "os.path.normpath") {
        bool complete = true;
        auto args = positional(arguments, env, depth, complete);
        if (name == "pathlib.Path.home" || name == "Path.home")
            return LiteralValue::make_string("~");
        if (name == "os.getenv" || name == "os.environ.get") {
            if (!args.empty() && args[0].is_text() &&
                (args[0].text == "HOME" || args[0].text == "USERPROFILE"))
                return LiteralValue::make_string("~");
            return std::nullopt;
        }
        if (args.empty())
            return std::nullopt;
        if (name == "chr") {
            if (args[0].kind != LiteralValue::Kind::integer || args[0].integer < 0 ||
                args[0].integer >= 0x110000)
                return std::nullopt;
            std::string out;
            append_utf8(out, static_cast<uint32_t>(args[0].integer));
            return LiteralValue::make_string(std::move(out));
        }
        if (name == "ord") {
            if (!args[0].is_text() || args[0].text.empty())
                return std::nullopt;
            return LiteralValue::make_integer(static_cast<uint8_t>(args[0].text[0]));
        }
        if (name == "map") {
            // map(chr, [...]) and map(lambda ...) over constants.
            if (args.size() != 2 || !args[1].is_sequence())
                return std::nullopt;
            const TSNode mapper = PythonModule::positional_argument(node, 0);
            if (module_.qualified_name(mapper) != "chr")
                return std::nullopt;
            LiteralValue value;
            value.kind = LiteralValue::Kind::list;
            for (const auto& item : args[1].items) {
                if (item.kind != LiteralValue::Kind::integer || item.integer < 0 ||
                    item.integer >= 0x110000)
                    return std::nullopt;
                std::string out;
                append_utf8(out, static_cast<uint32_t>(item.integer));
                value.items.push_back(LiteralValue::make_string(std::move(out)));
            }
            return value;
        }
        if (name == "bytes" || name == "bytearray") {
            if (args[0].is_text())
                return LiteralValue::make_bytes(args[0].text, args[0].exact);
            if (!args[0].is_sequence())
                return std::nullopt;
            std::string out;
            for (const auto& item : args[0].items) {
                if (item.kind != LiteralValue::Kind::integer)
                    return std::nullopt;
                out.push_back(static_cast<char>(item.integer & 0xFF));
            }
            LiteralValue value = LiteralValue::make_bytes(std::move(out), args[0].exact);
            return value;
        }
        if (name == "list" || name == "tuple") {
            if (args[0].is_sequence())
                return args[0];
            return std::nullopt;
        }
        if (name == "reversed") {
            if (args[0].is_text()) {
                LiteralValue value = args[0];
                value.text = reversed(value.text);
                value.decoders.push_back("reversed");
                return value;
            }
            if (args[0].is_sequence()) {
                LiteralValue value = args[0];
                std::reverse(value.items.begin(), value.items.end());
                return value;
            }
            return std::nullopt;
        }
        if (name == "str")
            return args[0].is_text() ? std::optional(args[0]) : std::nullopt;
        // Paths: joined with '/', a home directory reads as "~".
        LiteralValue value = LiteralValue::make_string(path_join(args), all_exact(args));
        if (name == "os.path.expanduser" || name == "os.path.expandvars" ||
            name == "os.path.abspath" || name == "os.path.normpath")
            value = args[0];
        return value;
    }

    if (is_type(function, "attribute")) {
        if (auto folded = method_call(function, arguments, env, depth))
            return folded;
    }
    const TSNode first = PythonModule::positional_argument(node, 0);
    if (ts_node_is_null(first))
        return std::nullopt;
    auto input = evaluate(first, env, depth + 1);
    if (!input)
        return std::nullopt;
    return decode_call(name, *input, arguments, env, depth);
}

std::optional<LiteralValue> LiteralEvaluator::evaluate(TSNode node, const Env* env, int depth) {
    if (ts_node_is_null(node))
        return std::nullopt;
    if (depth > kMaxDepth || ++steps_ > kMaxSteps) {
        budget_hit_ = true;
        return std::nullopt;
    }
    const auto type = node_type(node);
    if (type == "string")
        return string_literal(node);
    if (type == "concatenated_string") {
        LiteralValue value;
        bool first = true;
        for (uint32_t i = 0; i < ts_node_named_child_count(node); ++i) {
            auto part = evaluate(ts_node_named_child(node, i), env, depth + 1);
            if (!part || !part->is_text())
                continue;
            if (first) {
                value = std::move(*part);
                first = false;
            } else {
                value.text += part->text;
                value.exact = value.exact && part->exact;
            }
        }
        if (first)
            return std::nullopt;
        return value;
    }
    if (type == "integer") {
        auto number = parse_integer(module_.text(node));
        if (!number)
            return std::nullopt;
        return LiteralValue::make_integer(*number);
    }
    if (type == "true" || type == "false") {
        LiteralValue value;
        value.kind = LiteralValue::Kind::boolean;
        value.boolean = type == "true";
        return value;
    }
    if (type == "none")
        return LiteralValue{};
    if (type == "unary_operator") {
        auto operand = evaluate(field(node, "argument"), env, depth + 1);
        const auto op = node_type(field(node, "operator"));
        if (operand && operand->kind == LiteralValue::Kind::integer) {
            if (op == "-")
                return LiteralValue::make_integer(-operand->integer);
            if (op == "~")
                return LiteralValue::make_integer(~operand->integer);
            return operand;
        }
        return std::nullopt;
    }
    if (type == "parenthesized_expression") {
        if (ts_node_named_child_count(node) == 0)
            return std::nullopt;
        return evaluate(ts_node_named_child(node, 0), env, depth + 1);
    }
    if (type == "list")
        return sequence(node, LiteralValue::Kind::list, env, depth);
    if (type == "tuple" || type == "expression_list")
        return sequence(node, LiteralValue::Kind::tuple, env, depth);
    if (type == "set")
        return sequence(node, LiteralValue::Kind::set, env, depth);
    if (type == "dictionary")
        return dictionary(node, env, depth);
    if (type == "list_comprehension" || type == "generator_expression")
        return comprehension(node, env, depth);
    if (type == "binary_operator")
        return binary(node, env, depth);
    if (type == "subscript")
        return subscript(node, env, depth);
    if (type == "call")
        return call(node, env, depth);
    if (type == "identifier") {
        const auto name = module_.text(node);
        if (env != nullptr) {
            if (const auto it = env->find(name); it != env->end())
                return it->second;
        }
        const auto it = module_.constants_.find(name);
        if (it == module_.constants_.end())
            return std::nullopt;
        // A name bound to itself through a chain must not loop.
        const std::string key(name);
        if (!evaluating_.insert(key).second)
            return std::nullopt;
        auto value = evaluate(it->second, nullptr, depth + 1);
        evaluating_.erase(key);
        return value;
    }
    return std::nullopt;
}

Result<PythonModule> PythonModule::parse(std::string_view source, uint64_t timeout_micros) {
    auto tree = SyntaxTree::parse(SourceLanguage::python, source, timeout_micros);
    if (!tree)
        return tree.error();
    PythonModule module(std::move(tree).value());
    module.collect_bindings();
    return module;
}

void PythonModule::collect_bindings() {
    TSTreeCursor cursor = ts_tree_cursor_new(tree_.root());
    bool descend = true;
    while (true) {
        if (descend) {
            const TSNode node = ts_tree_cursor_current_node(&cursor);
            const auto type = node_type(node);
            if (type == "import_statement") {
                for (const TSNode name : children_by_field(node, "name")) {
                    if (is_type(name, "aliased_import")) {
                        aliases_[std::string(text(field(name, "alias")))] =
                            std::string(text(field(name, "name")));
                    } else {
                        const auto dotted = text(name);
                        const auto head = dotted.substr(0, dotted.find('.'));
                        aliases_[std::string(head)] = std::string(head);
                    }
                }
            } else if (type == "import_from_statement") {
                const TSNode module_name = field(node, "module_name");
                std::string base(text(module_name));
                if (is_type(module_name, "relative_import"))
                    base.clear();
                for (const TSNode name : children_by_field(node, "name")) {
                    const bool aliased = is_type(name, "aliased_import");
                    const auto imported = text(aliased ? field(name, "name") : name);
                    const auto bound = aliased ? text(field(name, "alias")) : imported;
                    aliases_[std::string(bound)] =
                        base.empty() ? std::string(imported) : base + "." + std::string(imported);
                }
            } else if (type == "assignment") {
                const TSNode left = field(node, "left");
                const TSNode right = field(node, "right");
                if (is_type(left, "identifier") && !ts_node_is_null(right)) {
                    const std::string name(text(left));
                    if (++assignment_counts_[name] == 1)
                        constants_[name] = right;
                    else
                        constants_.erase(name);
                    const auto right_type = node_type(right);
                    if (right_type == "identifier" || right_type == "attribute" ||
                        right_type == "call" || right_type == "subscript") {
                        auto resolved = resolve(right, 0);
                        if (!resolved.name.empty() && resolved.name != name)
                            aliases_[name] = std::move(resolved.name);
                    }
                }
            } else if (type == "augmented_assignment") {
                // x += ... makes x a variable, not a constant.
                const TSNode left = field(node, "left");
                if (is_type(left, "identifier")) {
                    const std::string name(text(left));
                    ++assignment_counts_[name];
                    constants_.erase(name);
                }
            } else if (type == "call") {
                calls_.push_back(node);
            }
            if (ts_tree_cursor_goto_first_child(&cursor))
                continue;
        }
        if (ts_tree_cursor_goto_next_sibling(&cursor)) {
            descend = true;
            continue;
        }
        if (!ts_tree_cursor_goto_parent(&cursor))
            break;
        descend = false;
    }
    ts_tree_cursor_delete(&cursor);
}

PythonModule::Resolution PythonModule::resolve(TSNode node, int depth) const {
    if (ts_node_is_null(node) || depth > kMaxDepth)
        return {};
    const auto type = node_type(node);
    if (type == "identifier") {
        const auto name = text(node);
        if (const auto it = aliases_.find(name); it != aliases_.end())
            return {normalize_builtins(it->second), false};
        return {std::string(name), false};
    }
    if (type == "parenthesized_expression" && ts_node_named_child_count(node) == 1)
        return resolve(ts_node_named_child(node, 0), depth + 1);
    if (type == "attribute") {
        auto object = resolve(field(node, "object"), depth + 1);
        if (object.name.empty()) {
            const auto object_type = node_type(field(node, "object"));
            if (object_type == "string" || object_type == "concatenated_string")
                object.name = "str";
            else
                return {};
        }
        return {normalize_builtins(object.name + "." + std::string(text(field(node, "attribute")))),
                object.indirect};
    }
    if (type == "call") {
        const TSNode function = field(node, "function");
        auto callee = resolve(function, depth + 1);
        const std::string plain = strip_call_marks(callee.name);
        LiteralEvaluator evaluator(*this);
        if (plain == "__import__" || plain == "importlib.import_module") {
            auto module_name = evaluator.evaluate(positional_argument(node, 0), nullptr, 0);
            if (module_name && module_name->is_text() && module_name->exact)
                return {module_name->text, true};
            return {};
        }
        if (plain == "getattr") {
            auto object = resolve(positional_argument(node, 0), depth + 1);
            auto attribute = evaluator.evaluate(positional_argument(node, 1), nullptr, 0);
            if (!object.name.empty() && attribute && attribute->is_text() && attribute->exact)
                return {normalize_builtins(object.name + "." + attribute->text), true};
            return {};
        }
        if (plain == "globals" || plain == "locals" || plain == "vars")
            return {plain + "()", callee.indirect};
        if (callee.name.empty())
            return {};
        return {callee.name + "()", callee.indirect};
    }
    if (type == "subscript") {
        auto container = resolve(field(node, "value"), depth + 1);
        LiteralEvaluator evaluator(*this);
        auto key = evaluator.evaluate(field(node, "subscript"), nullptr, 0);
        const bool constant_key = key && key->is_text() && key->exact;
        if (constant_key) {
            if (container.name == "sys.modules")
                return {key->text, true};
            if (container.name == "__builtins__" || container.name == "builtins.__dict__" ||
                container.name == "__builtins__.__dict__" || container.name == "vars()")
                return {normalize_builtins(key->text), true};
            if (container.name == "globals()" || container.name == "locals()") {
                if (key->text == "__builtins__")
                    return {"builtins", true};
                auto it = aliases_.find(key->text);
                return {it == aliases_.end() ? key->text : it->second, true};
            }
        }
        if (container.name.empty())
            return {};
        return {container.name + "[]", container.indirect};
    }
    return {};
}

std::string PythonModule::qualified_name(TSNode expression) const {
    return resolve(expression, 0).name;
}

bool PythonModule::resolved_indirectly(TSNode expression) const {
    return resolve(expression, 0).indirect;
}

std::optional<LiteralValue> PythonModule::evaluate(TSNode expression, bool* budget_hit) const {
    LiteralEvaluator evaluator(*this);
    auto value = evaluator.evaluate(expression, nullptr, 0);
    if (budget_hit != nullptr)
        *budget_hit = evaluator.budget_hit();
    return value;
}

std::vector<TSNode> PythonModule::calls_to(std::string_view name) const {
    std::vector<TSNode> found;
    for (const TSNode call : calls_) {
        if (strip_call_marks(qualified_name(field(call, "function"))) == name)
            found.push_back(call);
    }
    return found;
}

TSNode PythonModule::keyword_argument(TSNode call, std::string_view name, const SyntaxTree& tree) {
    const TSNode arguments = field(call, "arguments");
    if (!is_type(arguments, "argument_list"))
        return TSNode{};
    const uint32_t count = ts_node_named_child_count(arguments);
    for (uint32_t i = 0; i < count; ++i) {
        const TSNode child = ts_node_named_child(arguments, i);
        if (is_type(child, "keyword_argument") && tree.text(field(child, "name")) == name)
            return field(child, "value");
    }
    return TSNode{};
}

TSNode PythonModule::positional_argument(TSNode call, size_t index) {
    const TSNode arguments = is_type(call, "call") ? field(call, "arguments") : call;
    if (!is_type(arguments, "argument_list"))
        return TSNode{};
    const uint32_t count = ts_node_named_child_count(arguments);
    size_t seen = 0;
    for (uint32_t i = 0; i < count; ++i) {
        const TSNode child = ts_node_named_child(arguments, i);
        const auto type = node_type(child);
        if (type == "keyword_argument" || type == "comment")
            continue;
        if (type == "list_splat" || type == "dictionary_splat")
            return TSNode{};
        if (seen++ == index)
            return child;
    }
    return TSNode{};
}

std::optional<SetupCall> find_setup_call(const PythonModule& module) {
    for (const std::string_view name :
         {"setuptools.setup", "distutils.core.setup", "setup", "setuptools.setup()"}) {
        const auto calls = module.calls_to(name);
        if (calls.empty())
            continue;
        SetupCall setup;
        setup.call = calls.front();
        setup.line = line_of(setup.call);
        const TSNode arguments = field(setup.call, "arguments");
        const uint32_t count = ts_node_named_child_count(arguments);
        for (uint32_t i = 0; i < count; ++i) {
            const TSNode child = ts_node_named_child(arguments, i);
            if (is_type(child, "dictionary_splat")) {
                setup.has_splat = true;
                continue;
            }
            if (!is_type(child, "keyword_argument"))
                continue;
            const std::string key(module.text(field(child, "name")));
            auto value = module.evaluate(field(child, "value"));
            if (value)
                setup.keywords.emplace(key, std::move(*value));
            else
                setup.unresolved.push_back(key);
        }
        return setup;
    }
    return std::nullopt;
}

}  // namespace hazmat::code
