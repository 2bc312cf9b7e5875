#include "scan/code/javascript_rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "scan/code/code_rule_ids.hpp"
#include "scan/code/decoders.hpp"
#include "scan/code/indicators.hpp"
#include "scan/code/python_module.hpp"

namespace hazmat::code {

namespace {

// Bounds of one fold, as in the Python evaluator: nesting recurses, a
// left-leaning `+` chain is folded in a loop, and steps bound the total work.
// Hitting one is reported to the caller, which reports the value as not
// verified where it matters.
constexpr int kMaxDepth = 48;
constexpr size_t kMaxSteps = 1u << 18;
constexpr size_t kMaxText = 16u << 20;

enum Origin : uint32_t {
    kDecoded = 1u << 0,
    kDownloaded = 1u << 1,
    kEnvironment = 1u << 2,
    kEnvAll = 1u << 3,
};

struct JsValue {
    bool is_number = false;
    bool is_array = false;
    int64_t number = 0;
    std::string text;
    bool exact = true;
    std::vector<std::string> decoders;
    std::vector<JsValue> items;

    static JsValue string(std::string value, bool exact = true) {
        JsValue v;
        v.text = std::move(value);
        v.exact = exact;
        return v;
    }
};

bool one_of(std::string_view name, std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

std::string_view last_part(std::string_view name) {
    const size_t dot = name.rfind('.');
    return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

std::string strip_calls(std::string_view name) {
    std::string out;
    for (size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '(' && i + 1 < name.size() && name[i + 1] == ')') {
            ++i;
            continue;
        }
        out.push_back(name[i]);
    }
    return out;
}

std::string module_name(std::string_view spec) {
    if (spec.starts_with("node:"))
        spec.remove_prefix(5);
    return std::string(spec);
}

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
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::string unescape_js(std::string_view body) {
    std::string out;
    for (size_t i = 0; i < body.size(); ++i) {
        if (body[i] != '\\' || i + 1 == body.size()) {
            out.push_back(body[i]);
            continue;
        }
        const char e = body[++i];
        const auto hex = [&](size_t start, size_t count) -> std::optional<uint32_t> {
            if (start + count > body.size())
                return std::nullopt;
            uint32_t value = 0;
            const auto [end, error] =
                std::from_chars(body.data() + start, body.data() + start + count, value, 16);
            if (error != std::errc() || end != body.data() + start + count)
                return std::nullopt;
            return value;
        };
        switch (e) {
            case 'n':
                out.push_back('\n');
                break;
            case 't':
                out.push_back('\t');
                break;
            case 'r':
                out.push_back('\r');
                break;
            case '0':
                out.push_back('\0');
                break;
            case 'x':
                if (auto value = hex(i + 1, 2)) {
                    append_utf8(out, *value);
                    i += 2;
                }
                break;
            case 'u':
                if (i + 1 < body.size() && body[i + 1] == '{') {
                    const size_t close = body.find('}', i);
                    if (close != std::string_view::npos) {
                        if (auto value = hex(i + 2, close - i - 2))
                            append_utf8(out, *value);
                        i = close;
                    }
                } else if (auto value = hex(i + 1, 4)) {
                    append_utf8(out, *value);
                    i += 4;
                }
                break;
            case '\n':
                break;
            default:
                out.push_back(e);
        }
    }
    return out;
}

std::string shorten(std::string_view text, size_t limit = 120) {
    std::string out;
    for (const char c : text.substr(0, limit)) {
        if (c == '\n')
            out += "\\n";
        else if (c == kUnknownPart)
            out += "{...}";
        else
            out.push_back(c);
    }
    if (text.size() > limit)
        out += "...";
    return out;
}

bool is_exec(std::string_view name) {
    return one_of(
        name, {"eval", "Function", "vm.runInNewContext", "vm.runInThisContext", "vm.runInContext",
               "vm.compileFunction", "vm.Script", "setTimeout", "setInterval", "execScript"});
}

bool is_process(std::string_view name) {
    return name.starts_with("child_process.") || name.starts_with("execa") ||
           name.starts_with("shelljs.exec") || name == "Bun.spawn" || name == "Deno.run";
}

bool is_network(std::string_view name) {
    for (const std::string_view prefix :
         {"https.", "http.", "http2.", "net.", "tls.", "dgram.", "axios", "node-fetch", "got",
          "request", "superagent", "needle", "undici.", "ws", "WebSocket", "XMLHttpRequest"}) {
        if (name.starts_with(prefix))
            return true;
    }
    return name == "fetch";
}

bool is_download(std::string_view name) {
    if (!is_network(name))
        return false;
    return name == "fetch" ||
           one_of(last_part(name),
                  {"get", "request", "fetch", "axios", "got", "node-fetch", "request"}) ||
           name == "axios" || name == "got" || name == "node-fetch" || name == "request";
}

bool is_sink_or_serializer(std::string_view name) {
    return is_network(name) ||
           one_of(name, {"JSON.stringify", "Buffer.from", "btoa", "String", "Object.entries",
                         "Object.keys", "console.log", "encodeURIComponent",
                         "querystring.stringify", "zlib.gzipSync", "zlib.deflateSync"}) ||
           last_part(name) == "write" || last_part(name) == "end" || last_part(name) == "send";
}

struct Frame {
    uint32_t end_byte = UINT32_MAX;
    ScopeId scope = kModuleScope;
    Trigger trigger = Trigger::import;
};

class JavaScriptRules {
  public:
    JavaScriptRules(const SyntaxTree& tree, const UnitSpec& spec, ObservationLog& log,
                    Reviewer& reviewer)
        : tree_(tree), spec_(spec), log_(log), reviewer_(reviewer) {}

    void run();

  private:
    uint32_t line(TSNode node) const { return unit_line(spec_, line_of(node)); }
    std::string_view text(TSNode node) const { return tree_.text(node); }

    Observation make(std::string_view rule, TSNode at, const Frame& frame,
                     std::string message) const {
        Observation observation;
        observation.rule_id = rule;
        observation.single = Severity::medium;
        observation.scope = frame.scope;
        observation.trigger = frame.trigger;
        observation.line = line(at);
        observation.column = column_of(at);
        observation.message = std::move(message);
        return observation;
    }
    void record(const Frame& frame, Signal signal, TSNode at, std::string what) {
        log_.signal(frame.scope, signal, line(at), std::move(what));
    }
    void report_unfolded(TSNode call, TSNode argument, std::string_view name) {
        reviewer_.unfolded(spec_, line(call), column_of(call),
                           fmt::format("The argument of {}()", name),
                           fmt::format("argument `{}`", shorten(text(argument))));
    }

    void collect_aliases();
    std::string qualified(TSNode node, int depth = 0) const;
    // Folds an expression; `budget_hit` is set when a bound stopped it.
    std::optional<JsValue> fold(TSNode node, bool* budget_hit = nullptr) const;
    std::optional<JsValue> evaluate(TSNode node, int depth) const;
    std::optional<JsValue> evaluate_call(TSNode node, int depth) const;
    std::optional<JsValue> plus_chain(TSNode node, int depth) const;
    uint32_t origins(TSNode node, const Frame& frame, int depth = 0) const;
    TSNode argument(TSNode call, size_t index) const;

    void enter(TSNode node, std::vector<Frame>& frames);
    void visit_call(TSNode call, const Frame& frame, bool constructor);
    void visit_text(TSNode node, const Frame& frame);

    const SyntaxTree& tree_;
    const UnitSpec& spec_;
    ObservationLog& log_;
    Reviewer& reviewer_;
    std::map<std::string, std::string, std::less<>> aliases_;
    std::map<std::string, TSNode, std::less<>> constants_;
    std::map<std::string, int, std::less<>> assignments_;
    std::map<std::pair<ScopeId, std::string>, uint32_t> variable_origins_;
    std::vector<TSNode> ancestors_;
    // State of the fold in progress.
    mutable bool folding_ = false;
    mutable size_t steps_ = 0;
    mutable bool budget_hit_ = false;
    mutable int current_depth_ = 0;  // of the innermost evaluate() running
};

void JavaScriptRules::collect_aliases() {
    TSTreeCursor cursor = ts_tree_cursor_new(tree_.root());
    bool descend = true;
    while (true) {
        const TSNode node = ts_tree_cursor_current_node(&cursor);
        if (descend) {
            const auto type = node_type(node);
            if (type == "variable_declarator") {
                const TSNode name = field(node, "name");
                const TSNode value = field(node, "value");
                if (is_type(name, "identifier") && !ts_node_is_null(value)) {
                    const std::string bound(text(name));
                    if (++assignments_[bound] == 1)
                        constants_[bound] = value;
                    else
                        constants_.erase(bound);
                    auto resolved = qualified(value);
                    if (!resolved.empty() && resolved != bound)
                        aliases_[bound] = resolved;
                } else if (is_type(name, "object_pattern") && !ts_node_is_null(value)) {
                    // const { exec, spawn: run } = require("child_process")
                    const auto base = qualified(value);
                    if (!base.empty()) {
                        for (uint32_t i = 0; i < ts_node_named_child_count(name); ++i) {
                            const TSNode part = ts_node_named_child(name, i);
                            if (is_type(part, "shorthand_property_identifier_pattern")) {
                                aliases_[std::string(text(part))] =
                                    base + "." + std::string(text(part));
                            } else if (is_type(part, "pair_pattern")) {
                                aliases_[std::string(text(field(part, "value")))] =
                                    base + "." + std::string(text(field(part, "key")));
                            }
                        }
                    }
                }
            } else if (type == "assignment_expression" ||
                       type == "augmented_assignment_expression") {
                // Reassigned names are variables, not constants.
                const TSNode left = field(node, "left");
                if (is_type(left, "identifier")) {
                    const std::string bound(text(left));
                    ++assignments_[bound];
                    constants_.erase(bound);
                }
            } else if (type == "import_statement") {
                const TSNode source = field(node, "source");
                const auto from = fold(source);
                if (from) {
                    const auto module = module_name(from->text);
                    for (uint32_t i = 0; i < ts_node_named_child_count(node); ++i) {
                        const TSNode clause = ts_node_named_child(node, i);
                        if (!is_type(clause, "import_clause"))
                            continue;
                        for (uint32_t j = 0; j < ts_node_named_child_count(clause); ++j) {
                            const TSNode part = ts_node_named_child(clause, j);
                            if (is_type(part, "identifier")) {
                                aliases_[std::string(text(part))] = module;
                            } else if (is_type(part, "namespace_import") &&
                                       ts_node_named_child_count(part) > 0) {
                                aliases_[std::string(text(ts_node_named_child(part, 0)))] = module;
                            } else if (is_type(part, "named_imports")) {
                                for (uint32_t k = 0; k < ts_node_named_child_count(part); ++k) {
                                    const TSNode spec = ts_node_named_child(part, k);
                                    if (!is_type(spec, "import_specifier"))
                                        continue;
                                    const TSNode alias = field(spec, "alias");
                                    const TSNode imported = field(spec, "name");
                                    aliases_[std::string(
                                        text(ts_node_is_null(alias) ? imported : alias))] =
                                        module + "." + std::string(text(imported));
                                }
                            }
                        }
                    }
                }
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

TSNode JavaScriptRules::argument(TSNode call, size_t index) const {
    const TSNode arguments = field(call, "arguments");
    if (!is_type(arguments, "arguments"))
        return TSNode{};
    size_t seen = 0;
    for (uint32_t i = 0; i < ts_node_named_child_count(arguments); ++i) {
        const TSNode child = ts_node_named_child(arguments, i);
        if (is_type(child, "comment"))
            continue;
        if (seen++ == index)
            return child;
    }
    return TSNode{};
}

std::string JavaScriptRules::qualified(TSNode node, int depth) const {
    if (ts_node_is_null(node) || depth > kMaxDepth)
        return {};
    const auto type = node_type(node);
    if (type == "identifier") {
        const auto name = text(node);
        if (const auto it = aliases_.find(name); it != aliases_.end())
            return it->second;
        return std::string(name);
    }
    if (type == "parenthesized_expression" && ts_node_named_child_count(node) == 1)
        return qualified(ts_node_named_child(node, 0), depth + 1);
    if (type == "member_expression" || type == "subscript_expression") {
        auto object = qualified(field(node, "object"), depth + 1);
        std::string property;
        if (type == "member_expression") {
            property = std::string(text(field(node, "property")));
        } else {
            const auto index = fold(field(node, "index"));
            if (!index || index->is_number || !index->exact)
                return object.empty() ? std::string() : object + "[]";
            property = index->text;
        }
        for (const std::string_view global : {"global", "globalThis", "window", "self"}) {
            if (object == global)
                return property;
        }
        if (object.empty())
            return {};
        return object + "." + property;
    }
    if (type == "call_expression") {
        const TSNode function = field(node, "function");
        const auto callee = qualified(function, depth + 1);
        if (callee == "require") {
            const auto spec = fold(argument(node, 0));
            if (spec && spec->exact && !spec->is_number)
                return module_name(spec->text);
            return {};
        }
        if (callee.empty())
            return {};
        return callee + "()";
    }
    if (type == "await_expression" && ts_node_named_child_count(node) == 1)
        return qualified(ts_node_named_child(node, 0), depth + 1);
    return {};
}

std::optional<JsValue> JavaScriptRules::evaluate_call(TSNode node, int depth) const {
    const TSNode function = field(node, "function");
    const auto name = strip_calls(qualified(function));
    const TSNode first = argument(node, 0);
    if (name == "String.fromCharCode") {
        std::string out;
        const TSNode arguments = field(node, "arguments");
        for (uint32_t i = 0; i < ts_node_named_child_count(arguments); ++i) {
            auto code = evaluate(ts_node_named_child(arguments, i), depth + 1);
            if (!code || !code->is_number || code->number < 0 || code->number >= 0x110000)
                return std::nullopt;
            append_utf8(out, static_cast<uint32_t>(code->number));
        }
        return JsValue::string(std::move(out));
    }
    if (name == "os.homedir")
        return JsValue::string("~");
    if (name == "path.join" || name == "path.resolve") {
        std::string out;
        bool exact = true;
        const TSNode arguments = field(node, "arguments");
        for (uint32_t i = 0; i < ts_node_named_child_count(arguments); ++i) {
            auto part = evaluate(ts_node_named_child(arguments, i), depth + 1);
            std::string piece =
                part && !part->is_number ? part->text : std::string(1, kUnknownPart);
            exact = exact && part && part->exact;
            if (!out.empty() && out.back() != '/')
                out.push_back('/');
            out += piece;
        }
        return JsValue::string(std::move(out), exact);
    }
    auto input = evaluate(first, depth + 1);
    if (name == "atob" && input) {
        auto decoded = decode_base64(input->text);
        if (!decoded)
            return std::nullopt;
        JsValue value = JsValue::string(std::move(*decoded), input->exact);
        value.decoders = input->decoders;
        value.decoders.push_back("base64");
        return value;
    }
    if (name == "Buffer.from" && input && !input->is_number) {
        const auto encoding = evaluate(argument(node, 1), depth + 1);
        const std::string codec = encoding ? encoding->text : "utf8";
        std::optional<std::string> decoded;
        if (codec == "base64" || codec == "base64url")
            decoded = decode_base64(input->text);
        else if (codec == "hex")
            decoded = decode_hex(input->text);
        else
            return input;
        if (!decoded)
            return std::nullopt;
        JsValue value = JsValue::string(std::move(*decoded), input->exact);
        value.decoders = input->decoders;
        value.decoders.push_back(codec == "hex" ? "hex" : "base64");
        return value;
    }
    if ((name == "zlib.inflateSync" || name == "zlib.gunzipSync" || name == "zlib.unzipSync") &&
        input) {
        auto inflated = decompress_by_magic(input->text, kMaxText);
        if (!inflated)
            return std::nullopt;
        JsValue value = JsValue::string(std::move(inflated->text), input->exact);
        value.decoders = input->decoders;
        value.decoders.push_back(inflated->codec);
        return value;
    }
    if ((name == "decodeURIComponent" || name == "unescape" || name == "String") && input)
        return input;
    // Method calls on a folded receiver: "...".split("").reverse().join("").
    if (is_type(function, "member_expression")) {
        const auto method = text(field(function, "property"));
        auto receiver = evaluate(field(function, "object"), depth + 1);
        if (!receiver)
            return std::nullopt;
        if (method == "toString" || method == "trim")
            return receiver;
        if (method == "split" && input && !input->is_number && input->text.empty() &&
            !receiver->is_array) {
            JsValue array;
            array.is_array = true;
            for (const char c : receiver->text)
                array.items.push_back(JsValue::string(std::string(1, c)));
            array.decoders = receiver->decoders;
            return array;
        }
        if (method == "reverse" && receiver->is_array) {
            std::reverse(receiver->items.begin(), receiver->items.end());
            receiver->decoders.push_back("reversed");
            return receiver;
        }
        if (method == "join" && receiver->is_array) {
            const std::string separator = input && !input->is_number ? input->text : ",";
            JsValue joined;
            joined.decoders = receiver->decoders;
            for (size_t i = 0; i < receiver->items.size(); ++i) {
                if (i > 0)
                    joined.text += separator;
                joined.text += receiver->items[i].is_number
                                   ? std::to_string(receiver->items[i].number)
                                   : receiver->items[i].text;
                joined.exact = joined.exact && receiver->items[i].exact;
                if (joined.text.size() > kMaxText)
                    return std::nullopt;
            }
            return joined;
        }
    }
    return std::nullopt;
}

std::optional<JsValue> JavaScriptRules::fold(TSNode node, bool* budget_hit) const {
    // A fold started inside another (a computed property name while
    // resolving a callee) shares the outer one's budget.
    if (folding_)
        return evaluate(node, current_depth_ + 1);
    folding_ = true;
    steps_ = 0;
    budget_hit_ = false;
    auto value = evaluate(node, 0);
    folding_ = false;
    if (budget_hit != nullptr)
        *budget_hit = budget_hit_;
    return value;
}

namespace {

// `left + right` in JavaScript, on folded operands (nullopt: unknown).
std::optional<JsValue> add(std::optional<JsValue> left, std::optional<JsValue> right,
                           bool& too_long) {
    if (left && right && left->is_number && right->is_number) {
        JsValue value;
        value.is_number = true;
        value.number = left->number + right->number;
        return value;
    }
    if (!left && !right)
        return std::nullopt;
    const bool exact =
        left && right && left->exact && right->exact && !left->is_number && !right->is_number;
    JsValue value;
    if (left && !left->is_number) {
        value = std::move(*left);
        value.is_array = false;
        value.items.clear();
    } else {
        value.text = std::string(1, kUnknownPart);
    }
    value.exact = exact;
    if (right && !right->is_number)
        value.text += right->text;
    else
        value.text.push_back(kUnknownPart);
    if (value.text.size() > kMaxText) {
        too_long = true;
        return std::nullopt;
    }
    return value;
}

}  // namespace

// a + b + c + ... parses as ((a + b) + c) + ...: walk down the left spine,
// then fold the operands left to right, so a chain of any length costs one
// level of nesting and linear time.
std::optional<JsValue> JavaScriptRules::plus_chain(TSNode node, int depth) const {
    std::vector<TSNode> operands;
    TSNode leftmost = node;
    while (is_type(leftmost, "binary_expression") &&
           node_type(field(leftmost, "operator")) == "+") {
        operands.push_back(field(leftmost, "right"));
        leftmost = field(leftmost, "left");
        if (++steps_ > kMaxSteps) {
            budget_hit_ = true;
            return std::nullopt;
        }
    }
    auto value = evaluate(leftmost, depth + 1);
    for (auto it = operands.rbegin(); it != operands.rend(); ++it) {
        if (steps_ > kMaxSteps)
            return std::nullopt;
        bool too_long = false;
        value = add(std::move(value), evaluate(*it, depth + 1), too_long);
        if (too_long) {
            budget_hit_ = true;
            return std::nullopt;
        }
    }
    return value;
}

std::optional<JsValue> JavaScriptRules::evaluate(TSNode node, int depth) const {
    if (ts_node_is_null(node))
        return std::nullopt;
    if (depth > kMaxDepth || ++steps_ > kMaxSteps) {
        budget_hit_ = true;
        return std::nullopt;
    }
    struct DepthMark {
        int& slot;
        int saved;
        ~DepthMark() { slot = saved; }
    } mark{current_depth_, current_depth_};
    current_depth_ = depth;
    const auto type = node_type(node);
    if (type == "string") {
        const auto raw = text(node);
        if (raw.size() < 2)
            return std::nullopt;
        return JsValue::string(unescape_js(raw.substr(1, raw.size() - 2)));
    }
    if (type == "template_string") {
        JsValue value;
        for (uint32_t i = 0; i < ts_node_named_child_count(node); ++i) {
            const TSNode part = ts_node_named_child(node, i);
            if (is_type(part, "template_substitution")) {
                const auto inner = ts_node_named_child_count(part) == 1
                                       ? evaluate(ts_node_named_child(part, 0), depth + 1)
                                       : std::nullopt;
                if (inner && !inner->is_number) {
                    value.text += inner->text;
                    value.exact = value.exact && inner->exact;
                } else {
                    value.text.push_back(kUnknownPart);
                    value.exact = false;
                }
            } else {
                value.text += unescape_js(text(part));
            }
        }
        return value;
    }
    if (type == "number") {
        int64_t number = 0;
        auto spelled = text(node);
        int base = 10;
        if (spelled.starts_with("0x") || spelled.starts_with("0X")) {
            base = 16;
            spelled.remove_prefix(2);
        }
        const auto [end, error] =
            std::from_chars(spelled.data(), spelled.data() + spelled.size(), number, base);
        if (error != std::errc() || end != spelled.data() + spelled.size())
            return std::nullopt;
        JsValue value;
        value.is_number = true;
        value.number = number;
        return value;
    }
    if (type == "parenthesized_expression" && ts_node_named_child_count(node) == 1)
        return evaluate(ts_node_named_child(node, 0), depth + 1);
    if (type == "array") {
        JsValue value;
        value.is_array = true;
        for (uint32_t i = 0; i < ts_node_named_child_count(node); ++i) {
            auto item = evaluate(ts_node_named_child(node, i), depth + 1);
            if (!item)
                return std::nullopt;
            value.items.push_back(std::move(*item));
        }
        return value;
    }
    if (type == "binary_expression") {
        const auto op = node_type(field(node, "operator"));
        if (op == "+")
            return plus_chain(node, depth);
        auto left = evaluate(field(node, "left"), depth + 1);
        auto right = evaluate(field(node, "right"), depth + 1);
        if (!left || !right || !left->is_number || !right->is_number)
            return std::nullopt;
        JsValue value;
        value.is_number = true;
        if (op == "^")
            value.number = left->number ^ right->number;
        else if (op == "-")
            value.number = left->number - right->number;
        else
            return std::nullopt;
        return value;
    }
    if (type == "member_expression") {
        if (qualified(node) == "process.env.HOME")
            return JsValue::string("~");
        return std::nullopt;
    }
    if (type == "call_expression")
        return evaluate_call(node, depth);
    if (type == "identifier") {
        const auto it = constants_.find(text(node));
        if (it == constants_.end())
            return std::nullopt;
        return evaluate(it->second, depth + 1);
    }
    return std::nullopt;
}

uint32_t JavaScriptRules::origins(TSNode node, const Frame& frame, int depth) const {
    if (ts_node_is_null(node) || depth > 24)
        return 0;
    const auto type = node_type(node);
    if (type == "identifier") {
        uint32_t found = 0;
        const std::string name(text(node));
        for (const ScopeId scope : {frame.scope, kModuleScope}) {
            if (const auto it = variable_origins_.find({scope, name});
                it != variable_origins_.end())
                found |= it->second;
        }
        return found;
    }
    if (type == "member_expression") {
        const auto name = qualified(node);
        if (name == "process.env")
            return kEnvAll;
        if (name.starts_with("process.env."))
            return kEnvironment;
        return origins(field(node, "object"), frame, depth + 1);
    }
    if (type == "call_expression") {
        const auto name = strip_calls(qualified(field(node, "function")));
        uint32_t found = 0;
        if (is_download(name))
            found |= kDownloaded;
        if (name == "atob" || name == "zlib.inflateSync" || name == "zlib.gunzipSync")
            found |= kDecoded;
        if (name == "Buffer.from") {
            const auto encoding = fold(argument(node, 1));
            if (encoding && (encoding->text == "base64" || encoding->text == "hex"))
                found |= kDecoded;
        }
        found |= origins(field(node, "function"), frame, depth + 1);
        found |= origins(field(node, "arguments"), frame, depth + 1);
        return found;
    }
    if (type == "string" || type == "number" || type == "comment")
        return 0;
    if (type == "arrow_function" || type == "function_expression")
        return 0;
    uint32_t found = 0;
    for (uint32_t i = 0; i < ts_node_named_child_count(node) && i < 64; ++i)
        found |= origins(ts_node_named_child(node, i), frame, depth + 1);
    return found;
}

void JavaScriptRules::visit_call(TSNode call, const Frame& frame, bool constructor) {
    const TSNode function = field(call, constructor ? "constructor" : "function");
    const auto name = strip_calls(qualified(function));
    if (name.empty())
        return;
    const TSNode first = argument(call, 0);

    if (is_exec(name) && !ts_node_is_null(first)) {
        bool budget_hit = false;
        const auto value = fold(first, &budget_hit);
        if (budget_hit)
            report_unfolded(call, first, name);
        const bool timer = name == "setTimeout" || name == "setInterval";
        const bool decoded = value && !value->is_number && !value->decoders.empty();
        if (value && !value->is_number && value->exact && !decoded) {
            reviewer_.embedded(value->text, SourceLanguage::javascript, spec_, line(call),
                               fmt::format("code string passed to {} at line {}", name, line(call)),
                               {}, false);
        } else if (!timer || (value && !value->is_number)) {
            const uint32_t from = origins(first, frame) | (decoded ? kDecoded : 0u);
            auto observation =
                make(rules::kDynamicExec, call, frame,
                     fmt::format("{} runs {}.", name,
                                 from & kDownloaded    ? "downloaded content"
                                 : from & kDecoded     ? "a decoded payload"
                                 : from & kEnvironment ? "a value from the environment"
                                                       : "a value computed at run time"));
            observation.own = {Signal::exec_data};
            if (from & kDecoded)
                observation.own.add(Signal::decode);
            if (from & kDownloaded)
                observation.own.add(Signal::download);
            if (from & kEnvironment)
                observation.own.add(Signal::environment);
            observation.corroborators = {Signal::download, Signal::decode, Signal::obfuscation};
            observation.evidence.push_back(fmt::format("argument `{}`", shorten(text(first))));
            record(frame, Signal::exec_data, call, name);
            if (decoded && spec_.decode_depth < kMaxDecodeDepth) {
                reviewer_.embedded(value->text, SourceLanguage::javascript, spec_, line(call),
                                   fmt::format("payload decoded at line {}", line(call)),
                                   {Signal::obfuscation, Signal::decode}, true);
            }
            log_.observe(std::move(observation));
        }
    }
    if (is_process(name)) {
        record(frame, Signal::process, call, name);
        bool budget_hit = false;
        const auto value = fold(first, &budget_hit);
        if (budget_hit)
            report_unfolded(call, first, name);
        if (value && !value->is_number) {
            std::string command = value->text;
            if (auto args = fold(argument(call, 1)); args && args->is_array) {
                for (const auto& item : args->items)
                    command += " " + item.text;
            }
            reviewer_.shell_fragment(command, log_, frame.scope, line(call), column_of(call),
                                     frame.trigger, spec_);
        }
    }
    if (is_network(name)) {
        record(frame, Signal::network, call, name);
        if (is_download(name))
            record(frame, Signal::download, call, name);
    }
    if (name == "atob" || name == "zlib.inflateSync" || name == "zlib.gunzipSync")
        record(frame, Signal::decode, call, name);
    if (is_sink_or_serializer(name)) {
        const uint32_t from = origins(field(call, "arguments"), frame);
        if (from & kEnvAll) {
            auto observation = make(rules::kEnvironmentDump, call, frame,
                                    fmt::format("process.env is {} with {}.",
                                                is_network(name) ? "sent" : "serialised", name));
            observation.own = {Signal::env_dump};
            if (is_network(name))
                observation.own.add(Signal::network);
            observation.corroborators = {Signal::network, Signal::exfil};
            record(frame, Signal::env_dump, call, name);
            log_.observe(std::move(observation));
        }
    }
    if (one_of(name, {"fs.writeFileSync", "fs.appendFileSync", "fs.writeFile", "fs.appendFile",
                      "fs.createWriteStream", "fs.copyFileSync", "fs.promises.writeFile",
                      "fs.promises.appendFile"})) {
        const TSNode target = name == "fs.copyFileSync" ? argument(call, 1) : first;
        const auto path = fold(target);
        if (path && !path->is_number) {
            const auto config = assistant_config(path->text);
            const auto persistence = config ? std::nullopt : persistence_target(path->text);
            if (config || persistence) {
                auto observation = make(
                    config ? rules::kAssistantConfigWrite : rules::kPersistenceWrite, call, frame,
                    fmt::format("Writes {} ({}).", config ? *config : *persistence,
                                shorten(path->text)));
                observation.own = {Signal::persistence};
                observation.corroborators = {Signal::download, Signal::exec_data, Signal::decode,
                                             Signal::assistant};
                observation.file_wide = true;
                record(frame, Signal::persistence, call, name);
                log_.observe(std::move(observation));
            }
        }
    }
    if (one_of(name, {"fs.chmodSync", "fs.chmod"})) {
        const auto mode = fold(argument(call, 1));
        if (mode && ((mode->is_number && (mode->number & 0111)) ||
                     (!mode->is_number && mode->text.find_first_of("157") != std::string::npos)))
            record(frame, Signal::make_executable, call, name);
    }
    if (one_of(name, {"dns.lookup", "dns.resolve", "dns.resolve4", "dns.resolveTxt",
                      "dns.promises.lookup", "dns.promises.resolve"})) {
        const auto host = fold(first);
        if (host && !host->exact &&
            host->text.find('.', host->text.rfind(kUnknownPart)) != std::string::npos) {
            auto observation = make(rules::kComputedDnsLookup, call, frame,
                                    fmt::format("{} resolves a name built at run time ({}).", name,
                                                shorten(host->text)));
            observation.own = {Signal::network};
            observation.corroborators = {Signal::credential, Signal::env_dump, Signal::environment};
            observation.file_wide = true;
            record(frame, Signal::exfil, call, "DNS lookup of a computed name");
            log_.observe(std::move(observation));
        }
    }
}

void JavaScriptRules::visit_text(TSNode node, const Frame& frame) {
    const auto value = fold(node);
    if (!value || value->is_number || value->text.size() < 4)
        return;
    const auto& content = value->text;
    const auto observe = [&](std::string_view rule, Signal own, SignalSet corroborators,
                             std::string message, SignalSet amplifiers = {}) {
        auto observation = make(rule, node, frame, std::move(message));
        observation.own = {own};
        observation.corroborators = corroborators;
        observation.amplifiers = amplifiers;
        observation.passive = true;
        log_.observe(std::move(observation));
    };
    if (auto what = credential_store(content)) {
        record(frame, Signal::credential, node, *what);
        observe(rules::kCredentialRead, Signal::credential, {Signal::network, Signal::exfil},
                fmt::format("Refers to {} ({}).", *what, shorten(content)));
    }
    if (auto what = exfil_endpoint(content)) {
        record(frame, Signal::exfil, node, *what);
        // Not `network`: the call that uses the endpoint is the same fact
        // (see the Python rule).
        observe(rules::kExfilEndpoint, Signal::exfil,
                {Signal::credential, Signal::env_dump, Signal::decode},
                fmt::format("Names a {} ({}).", *what, shorten(content)), {Signal::network});
    }
    if (auto what = assistant_bypass(content)) {
        record(frame, Signal::assistant, node, *what);
        observe(rules::kAssistantBypass, Signal::assistant,
                {Signal::process, Signal::credential, Signal::network, Signal::persistence},
                fmt::format("Runs an AI coding assistant with {}.", *what));
    }
    if (auto what = lolbin_download(content)) {
        record(frame, Signal::download, node, *what);
        observe(rules::kLolbinDownload, Signal::download, {Signal::process, Signal::exec_data},
                fmt::format("Uses {} to download content.", *what));
    }
    if (value->decoders.empty() && looks_encoded(content) && spec_.decode_depth < kMaxDecodeDepth) {
        if (auto unwrapped = unwrap_opaque(content, {})) {
            reviewer_.embedded(unwrapped->text, SourceLanguage::javascript, spec_, line(node),
                               fmt::format("string at line {} decoded", line(node)),
                               {Signal::obfuscation, Signal::decode}, true);
            if (spec_.decode_depth == 0) {
                record(frame, Signal::obfuscation, node, "encoded payload");
                observe(rules::kEncodedPayload, Signal::obfuscation,
                        {Signal::exec_data, Signal::decode},
                        fmt::format("A string literal unwraps through {} layer(s) into readable "
                                    "text.",
                                    unwrapped->layers.size()));
            }
        }
    }
}

void JavaScriptRules::enter(TSNode node, std::vector<Frame>& frames) {
    const uint32_t start = ts_node_start_byte(node);
    while (frames.size() > 1 && start >= frames.back().end_byte)
        frames.pop_back();
    const Frame& frame = frames.back();
    const auto type = node_type(node);
    const TSNode parent = ancestors_.empty() ? TSNode{} : ancestors_.back();

    const bool named_function =
        type == "function_declaration" || type == "method_definition" ||
        ((type == "arrow_function" || type == "function_expression") &&
         (is_type(parent, "variable_declarator") || is_type(parent, "pair") ||
          is_type(parent, "assignment_expression")));
    if (named_function && frame.scope == kModuleScope) {
        // Anonymous callbacks stay in their caller's scope: the handler that
        // evals what https.get fetched belongs to the code that fetched it.
        Frame inner;
        inner.end_byte = ts_node_end_byte(node);
        inner.scope = log_.new_scope();
        inner.trigger = Trigger::on_call;
        frames.push_back(inner);
        return;
    }
    if (type == "call_expression") {
        visit_call(node, frame, false);
        return;
    }
    if (type == "new_expression") {
        visit_call(node, frame, true);
        return;
    }
    if (type == "variable_declarator" || type == "assignment_expression" ||
        type == "augmented_assignment_expression") {
        const TSNode left = field(node, type == "variable_declarator" ? "name" : "left");
        const TSNode right = field(node, type == "variable_declarator" ? "value" : "right");
        if (is_type(left, "identifier") && !ts_node_is_null(right)) {
            const uint32_t from = origins(right, frame);
            if (from != 0)
                variable_origins_[{frame.scope, std::string(text(left))}] |= from;
        }
        return;
    }
    if (type == "string" || type == "template_string" || type == "binary_expression") {
        const auto parent_type = node_type(parent);
        if (parent_type == "binary_expression" || parent_type == "template_substitution")
            return;
        visit_text(node, frame);
    }
}

void JavaScriptRules::run() {
    collect_aliases();
    std::vector<Frame> frames;
    Frame module_frame;
    module_frame.trigger = spec_.trigger;
    frames.push_back(module_frame);
    TSTreeCursor cursor = ts_tree_cursor_new(tree_.root());
    bool descend = true;
    while (true) {
        const TSNode node = ts_tree_cursor_current_node(&cursor);
        if (descend) {
            enter(node, frames);
            if (ts_tree_cursor_goto_first_child(&cursor)) {
                ancestors_.push_back(node);
                continue;
            }
        }
        if (ts_tree_cursor_goto_next_sibling(&cursor)) {
            descend = true;
            continue;
        }
        if (!ts_tree_cursor_goto_parent(&cursor))
            break;
        ancestors_.pop_back();
        descend = false;
    }
    ts_tree_cursor_delete(&cursor);
}

}  // namespace

void review_javascript_tree(const SyntaxTree& tree, const UnitSpec& spec, ObservationLog& log,
                            Reviewer& reviewer) {
    JavaScriptRules rules(tree, spec, log, reviewer);
    rules.run();
}

}  // namespace hazmat::code
