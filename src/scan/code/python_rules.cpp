#include "scan/code/python_rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <unordered_map>

#include "scan/code/code_rule_ids.hpp"
#include "scan/code/decoders.hpp"
#include "scan/code/indicators.hpp"

namespace hazmat::code {

namespace {

// Where a value comes from, as far as the rules care.
enum Origin : uint32_t {
    kDecoded = 1u << 0,
    kDownloaded = 1u << 1,
    kEnvironment = 1u << 2,  // one variable
    kEnvAll = 1u << 3,       // the whole environment
    kCredential = 1u << 4,
    kLocalFile = 1u << 5,
};

constexpr int kMaxOriginDepth = 24;

std::string strip_calls(std::string_view name) {
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

bool one_of(std::string_view name, std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

std::string_view last_part(std::string_view name) {
    const size_t dot = name.rfind('.');
    return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

bool is_exec(std::string_view name) {
    return one_of(name, {"exec", "eval", "compile", "execfile",
                         "code.InteractiveInterpreter.runsource", "code.InteractiveConsole.push"});
}

bool is_code_object(std::string_view name) {
    // types.FunctionType over an existing code object is ordinary
    // metaprogramming; building the code object is the step that matters.
    return one_of(name, {"marshal.loads", "marshal.load", "types.CodeType"});
}

bool is_process(std::string_view name) {
    if (name.starts_with("subprocess.") || name.starts_with("os.exec") ||
        name.starts_with("os.spawn") || name.starts_with("os.popen"))
        return true;
    return one_of(
        name, {"os.system", "os.posix_spawn", "os.posix_spawnp", "os.startfile", "pty.spawn",
               "commands.getoutput", "commands.getstatusoutput", "asyncio.create_subprocess_shell",
               "asyncio.create_subprocess_exec", "platform.popen"});
}

bool is_decoder(std::string_view name) {
    return one_of(name,
                  {"base64.b64decode", "base64.standard_b64decode", "base64.urlsafe_b64decode",
                   "base64.b32decode", "base64.b16decode", "base64.b85decode", "base64.a85decode",
                   "base64.decodebytes", "base64.decodestring", "binascii.a2b_base64",
                   "binascii.unhexlify", "binascii.a2b_hex", "bytes.fromhex", "codecs.decode",
                   "zlib.decompress", "gzip.decompress", "bz2.decompress", "lzma.decompress"});
}

bool is_encoder(std::string_view name) {
    return one_of(name, {"base64.b64encode", "base64.standard_b64encode",
                         "base64.urlsafe_b64encode", "base64.b32encode", "base64.b16encode",
                         "base64.b85encode", "base64.encodebytes", "binascii.b2a_base64",
                         "binascii.hexlify", "zlib.compress", "gzip.compress", "codecs.encode"});
}

bool is_serializer(std::string_view name) {
    return is_encoder(name) ||
           one_of(name, {"json.dumps", "json.dump", "str", "repr", "pickle.dumps", "marshal.dumps",
                         "yaml.dump", "yaml.safe_dump", "urllib.parse.urlencode", "str.join",
                         "str.format", "print"}) ||
           last_part(name) == "write" || last_part(name) == "writelines";
}

constexpr std::string_view kNetworkModules[] = {
    "requests.", "urllib.request.", "urllib2.",     "urllib.urlopen", "urllib.urlretrieve",
    "httpx.",    "aiohttp.",        "http.client.", "httplib.",       "urllib3.",
    "socket.",   "smtplib.",        "ftplib.",      "telnetlib.",     "paramiko.",
    "pycurl.",   "websocket.",      "websockets.",  "wget.",          "tornado.httpclient.",
};

bool is_network(std::string_view name) {
    bool module = false;
    for (const auto prefix : kNetworkModules) {
        if (name.starts_with(prefix)) {
            module = true;
            break;
        }
    }
    if (!module)
        return false;
    // Helpers of these modules (requests.utils.*, socket.inet_aton,
    // urllib3.util.make_headers) do not talk to anyone; the calls that
    // connect, fetch or send do.
    return one_of(last_part(name), {"get",
                                    "post",
                                    "put",
                                    "patch",
                                    "delete",
                                    "head",
                                    "options",
                                    "request",
                                    "urlopen",
                                    "urlretrieve",
                                    "Request",
                                    "open",
                                    "send",
                                    "sendall",
                                    "sendto",
                                    "connect",
                                    "connect_ex",
                                    "create_connection",
                                    "socket",
                                    "Session",
                                    "session",
                                    "Client",
                                    "AsyncClient",
                                    "PoolManager",
                                    "ProxyManager",
                                    "HTTPConnection",
                                    "HTTPSConnection",
                                    "HTTPConnectionPool",
                                    "HTTPSConnectionPool",
                                    "connection_from_url",
                                    "SMTP",
                                    "SMTP_SSL",
                                    "sendmail",
                                    "FTP",
                                    "FTP_TLS",
                                    "storbinary",
                                    "retrbinary",
                                    "Telnet",
                                    "SSHClient",
                                    "exec_command",
                                    "Curl",
                                    "perform",
                                    "download",
                                    "fetch",
                                    "WebSocket",
                                    "WebSocketApp",
                                    "stream",
                                    "AsyncHTTPClient",
                                    "HTTPClient",
                                    "build_opener",
                                    "recv",
                                    "read"});
}

// Calls whose result is content fetched from a URL.
bool is_download(std::string_view name) {
    if (!is_network(name))
        return false;
    const auto method = last_part(name);
    return one_of(method, {"get", "urlopen", "urlretrieve", "request", "download", "fetch", "recv",
                           "read", "stream", "Request"});
}

bool is_write_open(std::string_view name) {
    return one_of(name, {"open", "io.open", "codecs.open", "os.open"});
}

bool is_logging_call(std::string_view name) {
    return name == "print" || name.starts_with("logging.") || name.starts_with("logger.") ||
           name.starts_with("log.") || name.starts_with("warnings.") ||
           last_part(name) == "add_argument" || last_part(name) == "info" ||
           last_part(name) == "debug" || last_part(name) == "warning" || last_part(name) == "error";
}

std::string describe_decoders(const std::vector<std::string>& decoders) {
    std::string out;
    for (size_t i = 0; i < decoders.size(); ++i) {
        if (i > 0)
            out += ", ";
        out += decoders[i];
    }
    return out;
}

std::string shorten(std::string_view text, size_t limit = 120) {
    std::string out;
    for (const char c : text.substr(0, limit)) {
        if (c == '\n' || c == '\r')
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

struct Frame {
    uint32_t end_byte = UINT32_MAX;
    ScopeId scope = kModuleScope;
    Trigger trigger = Trigger::import;
    std::string class_name;
    std::string function_name;
};

// A file written, retrieved or executed in a scope, by the names that refer
// to it: the folded path and the identifiers in the path expression.
struct FileUse {
    ScopeId scope;
    std::vector<std::string> keys;
    TSNode node;
    Trigger trigger;
    std::string what;
};

class PythonRules {
  public:
    PythonRules(const PythonModule& module, const UnitSpec& spec, ObservationLog& log,
                Reviewer& reviewer)
        : module_(module), spec_(spec), log_(log), reviewer_(reviewer) {}

    void run() {
        if (spec_.setup_py)
            find_install_commands();
        walk();
        correlate_download_execute();
    }

  private:
    uint32_t line(TSNode node) const { return unit_line(spec_, line_of(node)); }
    std::string_view text(TSNode node) const { return module_.text(node); }
    std::string name_of(TSNode expression) const {
        return strip_calls(module_.qualified_name(expression));
    }

    void record(ScopeId scope, Signal signal, TSNode at, std::string what) {
        log_.signal(scope, signal, line(at), std::move(what));
    }
    void report_unfolded(TSNode call, TSNode argument, std::string_view name) {
        reviewer_.unfolded(spec_, line(call), column_of(call),
                           fmt::format("The argument of {}()", name),
                           fmt::format("argument `{}`", shorten(text(argument))));
    }

    Observation make(std::string_view rule, Severity single, TSNode at, const Frame& frame,
                     std::string message) const {
        Observation observation;
        observation.rule_id = rule;
        observation.single = single;
        observation.scope = frame.scope;
        observation.trigger = frame.trigger;
        observation.line = line(at);
        observation.column = column_of(at);
        observation.message = std::move(message);
        return observation;
    }

    void walk();
    void enter(TSNode node, std::vector<Frame>& frames);
    void visit_call(TSNode call, const Frame& frame);
    void visit_text(TSNode node, const Frame& frame, bool in_message, bool decoded_by_call);
    void visit_assignment(TSNode left, TSNode right, const Frame& frame);

    void check_exec(TSNode call, const std::string& name, const Frame& frame);
    void check_process(TSNode call, const std::string& name, const Frame& frame);
    void check_network(TSNode call, const std::string& name, const Frame& frame);
    void check_flows(TSNode call, const std::string& name, const Frame& frame);
    void check_file_write(TSNode call, const std::string& name, const Frame& frame);
    void check_model_loading(TSNode call, const std::string& name, const Frame& frame);
    void check_dns(TSNode call, const std::string& name, const Frame& frame);
    void check_string_indicators(const LiteralValue& value, TSNode at, const Frame& frame);
    void check_opaque(const LiteralValue& value, TSNode at, const Frame& frame);

    void find_install_commands();
    void correlate_download_execute();
    bool inside_safe_fallback(TSNode call) const;

    uint32_t origins(TSNode node, ScopeId scope, int depth = 0) const;
    void collect_key_candidates();
    std::vector<std::string> keys_of(TSNode expression) const;
    std::vector<std::string> program_keys(TSNode command) const;

    const PythonModule& module_;
    const UnitSpec& spec_;
    ObservationLog& log_;
    Reviewer& reviewer_;

    std::set<std::string, std::less<>> install_classes_;
    std::set<uint32_t> docstrings_;
    std::vector<TSNode> ancestors_;
    std::map<std::pair<ScopeId, std::string>, uint32_t> variable_origins_;
    std::vector<FileUse> written_;
    std::vector<FileUse> executed_;
    std::set<ScopeId> downloading_scopes_;
    std::vector<std::string> key_candidates_;
    bool key_candidates_ready_ = false;
};

void PythonRules::find_install_commands() {
    const auto setup = find_setup_call(module_);
    if (!setup)
        return;
    const TSNode commands = PythonModule::keyword_argument(setup->call, "cmdclass", module_.tree());
    if (ts_node_is_null(commands))
        return;
    std::vector<std::string> overridden;
    if (is_type(commands, "dictionary")) {
        for (uint32_t i = 0; i < ts_node_named_child_count(commands); ++i) {
            const TSNode pair = ts_node_named_child(commands, i);
            if (!is_type(pair, "pair"))
                continue;
            const auto key = module_.evaluate(field(pair, "key"));
            const TSNode value = field(pair, "value");
            overridden.push_back(key && key->is_text() ? key->text : std::string(text(pair)));
            if (is_type(value, "identifier"))
                install_classes_.emplace(text(value));
        }
    } else {
        overridden.emplace_back(text(commands));
    }
    Frame frame;
    frame.trigger = Trigger::install;
    auto observation = make(rules::kSetupPyCommand, Severity::low, commands, frame,
                            fmt::format("setup.py replaces the setup command(s) {} with its own "
                                        "code.",
                                        describe_decoders(overridden)));
    observation.fixed = true;
    for (const auto& name : install_classes_)
        observation.evidence.push_back(fmt::format("class {} runs at install", name));
    log_.observe(std::move(observation));
}

void PythonRules::walk() {
    std::vector<Frame> frames;
    Frame module_frame;
    module_frame.trigger = spec_.trigger;
    frames.push_back(module_frame);

    TSTreeCursor cursor = ts_tree_cursor_new(module_.tree().root());
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

void PythonRules::enter(TSNode node, std::vector<Frame>& frames) {
    const uint32_t start = ts_node_start_byte(node);
    while (frames.size() > 1 && start >= frames.back().end_byte)
        frames.pop_back();
    const Frame& frame = frames.back();
    const auto type = node_type(node);

    if (type == "module" || type == "block") {
        // A lone string first in a body is a docstring: documentation, not
        // data the code uses.
        const TSNode first = ts_node_named_child(node, 0);
        if (is_type(first, "expression_statement") && ts_node_named_child_count(first) == 1 &&
            is_type(ts_node_named_child(first, 0), "string"))
            docstrings_.insert(ts_node_start_byte(ts_node_named_child(first, 0)));
        return;
    }
    if (type == "function_definition") {
        Frame inner = frame;
        inner.end_byte = ts_node_end_byte(node);
        if (frame.scope == kModuleScope) {
            // Nested functions and closures share their outer function's
            // scope: a callback that evals what its caller downloaded is
            // one piece of behaviour.
            inner.scope = log_.new_scope();
            inner.trigger =
                install_classes_.contains(frame.class_name) ? Trigger::install : Trigger::on_call;
            inner.function_name = std::string(text(field(node, "name")));
        }
        frames.push_back(std::move(inner));
        return;
    }
    if (type == "class_definition" && frame.scope == kModuleScope) {
        Frame inner = frame;
        inner.end_byte = ts_node_end_byte(node);
        inner.class_name = std::string(text(field(node, "name")));
        frames.push_back(std::move(inner));
        return;
    }
    if (type == "if_statement" && frame.scope == kModuleScope &&
        (frame.trigger == Trigger::import)) {
        const auto condition = text(field(node, "condition"));
        if (condition.find("__name__") != std::string_view::npos &&
            condition.find("__main__") != std::string_view::npos) {
            Frame inner = frame;
            inner.end_byte = ts_node_end_byte(node);
            inner.trigger = Trigger::script;
            frames.push_back(std::move(inner));
        }
        return;
    }
    if (type == "call") {
        visit_call(node, frame);
        return;
    }
    if (type == "assignment") {
        visit_assignment(field(node, "left"), field(node, "right"), frame);
        return;
    }
    if (type == "as_pattern" && ts_node_named_child_count(node) >= 2) {
        // with urlopen(url) as response: ...
        const TSNode target = field(node, "alias");
        if (!ts_node_is_null(target) && ts_node_named_child_count(target) == 1)
            visit_assignment(ts_node_named_child(target, 0), ts_node_named_child(node, 0), frame);
        return;
    }
    if (type == "string" || type == "concatenated_string" || type == "binary_operator") {
        const TSNode parent = ancestors_.empty() ? TSNode{} : ancestors_.back();
        const auto parent_type = node_type(parent);
        // Fold the outermost expression only; its parts are covered by it.
        if (parent_type == "concatenated_string" || parent_type == "binary_operator")
            return;
        if (type == "string" && docstrings_.contains(start))
            return;
        bool in_message = false;
        bool decoded_by_call = false;
        if (parent_type == "argument_list" && ancestors_.size() >= 2) {
            const auto callee = name_of(field(ancestors_[ancestors_.size() - 2], "function"));
            in_message = is_logging_call(callee);
            // The call decodes it; the exec rule reviews what comes out.
            decoded_by_call = is_decoder(callee);
        } else if (parent_type == "keyword_argument") {
            const auto keyword = text(field(parent, "name"));
            in_message = keyword == "help" || keyword == "description" || keyword == "msg";
        }
        visit_text(node, frame, in_message, decoded_by_call);
    }
}

void PythonRules::visit_assignment(TSNode left, TSNode right, const Frame& frame) {
    if (ts_node_is_null(left) || ts_node_is_null(right))
        return;
    const uint32_t value_origins = origins(right, frame.scope);
    if (value_origins == 0)
        return;
    if (is_type(left, "identifier")) {
        variable_origins_[{frame.scope, std::string(text(left))}] |= value_origins;
        return;
    }
    if (is_type(left, "pattern_list") || is_type(left, "tuple_pattern")) {
        for (uint32_t i = 0; i < ts_node_named_child_count(left); ++i) {
            const TSNode target = ts_node_named_child(left, i);
            if (is_type(target, "identifier"))
                variable_origins_[{frame.scope, std::string(text(target))}] |= value_origins;
        }
    }
}

// LIMITATION: data flow is per function and flow-insensitive; a value that
// travels through an attribute, a container or another function loses its
// origin.
uint32_t PythonRules::origins(TSNode node, ScopeId scope, int depth) const {
    if (ts_node_is_null(node) || depth > kMaxOriginDepth)
        return 0;
    const auto type = node_type(node);
    if (type == "identifier") {
        const std::string name(text(node));
        uint32_t found = 0;
        if (const auto it = variable_origins_.find({scope, name}); it != variable_origins_.end())
            found |= it->second;
        if (scope != kModuleScope) {
            if (const auto it = variable_origins_.find({kModuleScope, name});
                it != variable_origins_.end())
                found |= it->second;
        }
        return found;
    }
    if (type == "attribute") {
        const auto name = name_of(node);
        if (name == "os.environ" || name == "os.environb")
            return kEnvAll;
        return origins(field(node, "object"), scope, depth + 1);
    }
    if (type == "subscript") {
        const auto container = name_of(field(node, "value"));
        if (container == "os.environ" || container == "os.environb")
            return kEnvironment;
        return origins(field(node, "value"), scope, depth + 1);
    }
    if (type == "call") {
        const TSNode function = field(node, "function");
        const auto name = name_of(function);
        uint32_t found = 0;
        if (is_download(name))
            found |= kDownloaded;
        if (is_decoder(name))
            found |= kDecoded;
        if (name == "os.getenv" || name == "os.environ.get" || name == "os.getenvb")
            return kEnvironment;
        if (name == "open" || name == "io.open" || name == "codecs.open" ||
            last_part(name) == "read_text" || last_part(name) == "read_bytes") {
            const auto path = module_.evaluate(PythonModule::positional_argument(node, 0));
            found |=
                path && path->is_text() && credential_store(path->text) ? kCredential : kLocalFile;
        }
        if (is_type(function, "attribute"))
            found |= origins(field(function, "object"), scope, depth + 1);
        found |= origins(field(node, "arguments"), scope, depth + 1);
        return found;
    }
    if (type == "keyword_argument" && text(field(node, "name")) == "env")
        return 0;
    if (type == "string" || type == "comment" || type == "integer" || type == "float")
        return type == "string" && ts_node_named_child_count(node) > 2
                   ? [&] {
                         uint32_t found = 0;
                         for (uint32_t i = 0; i < ts_node_named_child_count(node); ++i) {
                             const TSNode child = ts_node_named_child(node, i);
                             if (is_type(child, "interpolation"))
                                 found |= origins(child, scope, depth + 1);
                         }
                         return found;
                     }()
                   : 0u;
    uint32_t found = 0;
    const uint32_t count = ts_node_named_child_count(node);
    for (uint32_t i = 0; i < count && i < 64; ++i)
        found |= origins(ts_node_named_child(node, i), scope, depth + 1);
    return found;
}

std::vector<std::string> PythonRules::keys_of(TSNode expression) const {
    std::vector<std::string> keys;
    if (auto value = module_.evaluate(expression)) {
        if (value->is_text())
            keys.push_back(value->text);
        for (const auto& item : value->items) {
            if (item.is_text())
                keys.push_back(item.text);
        }
    }
    // Identifiers inside the expression (dest, path, self.binary).
    TSTreeCursor cursor = ts_tree_cursor_new(expression);
    bool descend = true;
    size_t visited = 0;
    while (visited++ < 256) {
        const TSNode node = ts_tree_cursor_current_node(&cursor);
        if (descend && (is_type(node, "identifier") || is_type(node, "attribute"))) {
            keys.emplace_back(text(node));
        }
        if (descend && !is_type(node, "attribute") && ts_tree_cursor_goto_first_child(&cursor))
            continue;
        if (ts_tree_cursor_goto_next_sibling(&cursor)) {
            descend = true;
            continue;
        }
        if (!ts_tree_cursor_goto_parent(&cursor) ||
            ts_node_eq(ts_tree_cursor_current_node(&cursor), expression))
            break;
        descend = false;
    }
    ts_tree_cursor_delete(&cursor);
    return keys;
}

bool is_interpreter(std::string_view program) {
    const auto name = program.substr(program.rfind('/') + 1);
    return one_of(name, {"sh", "bash", "zsh", "dash", "python", "python3", "python2", "perl",
                         "node", "ruby", "pwsh", "powershell", "cmd", "cmd.exe"});
}

// What a command runs: its program, or the script an interpreter is given.
// Extracting or hashing a downloaded archive (tar, sha256sum) runs nothing
// that was downloaded.
std::vector<std::string> PythonRules::program_keys(TSNode command) const {
    std::vector<std::string> keys;
    const auto value = module_.evaluate(command);
    std::vector<std::string> words;
    if (value && value->is_sequence()) {
        for (const auto& item : value->items)
            words.push_back(item.is_text() ? item.text : std::string());
    } else if (value && value->is_text()) {
        size_t start = 0;
        while (start < value->text.size() && words.size() < 8) {
            const size_t end = value->text.find_first_of(" \t", start);
            if (end != start)
                words.push_back(value->text.substr(start, end - start));
            if (end == std::string::npos)
                break;
            start = end + 1;
        }
    }
    const bool interpreted = !words.empty() && is_interpreter(words[0]);
    for (size_t i = 0; i < words.size() && i < (interpreted ? 3u : 1u); ++i) {
        if (!words[i].empty() && !words[i].starts_with('-'))
            keys.push_back(words[i]);
    }
    // Names: the first list element (and the interpreter's script), or the
    // whole expression when it is not a list.
    if (is_type(command, "list") || is_type(command, "tuple")) {
        const uint32_t count = ts_node_named_child_count(command);
        for (uint32_t i = 0; i < count && i < (interpreted ? 3u : 1u); ++i) {
            for (auto& key : keys_of(ts_node_named_child(command, i)))
                keys.push_back(std::move(key));
        }
    } else if (!value || !value->exact) {
        for (auto& key : keys_of(command))
            keys.push_back(std::move(key));
    }
    return keys;
}

void PythonRules::visit_call(TSNode call, const Frame& frame) {
    const TSNode function = field(call, "function");
    const std::string name = name_of(function);
    if (name.empty())
        return;

    if (module_.resolved_indirectly(function) &&
        (is_exec(name) || is_process(name) || is_code_object(name) || name == "open" ||
         is_network(name))) {
        auto observation = make(rules::kBuiltinsIndirection, Severity::medium, call, frame,
                                fmt::format("{} is reached through __import__, getattr or the "
                                            "builtins mapping instead of being named.",
                                            name));
        observation.own = {Signal::obfuscation};
        observation.corroborators = {Signal::exec_data, Signal::process, Signal::decode,
                                     Signal::network};
        observation.evidence.push_back(fmt::format("spelled `{}`", shorten(text(function))));
        record(frame.scope, Signal::obfuscation, call, fmt::format("indirect {}", name));
        log_.observe(std::move(observation));
    }

    if (is_exec(name) || is_code_object(name))
        check_exec(call, name, frame);
    if (is_process(name))
        check_process(call, name, frame);
    if (is_network(name))
        check_network(call, name, frame);
    if (is_decoder(name))
        record(frame.scope, Signal::decode, call, name);
    if (name == "os.getenv" || name == "os.environ.get")
        record(frame.scope, Signal::environment, call, name);
    check_flows(call, name, frame);
    check_file_write(call, name, frame);
    check_model_loading(call, name, frame);
    check_dns(call, name, frame);
}

void PythonRules::check_exec(TSNode call, const std::string& name, const Frame& frame) {
    const TSNode argument = PythonModule::positional_argument(call, 0);
    if (ts_node_is_null(argument))
        return;
    bool budget_hit = false;
    const auto value = module_.evaluate(argument, &budget_hit);
    if (budget_hit)
        report_unfolded(call, argument, name);
    const bool decoded = value && value->is_text() && !value->decoders.empty();

    // Code given as a literal is reviewed like the rest of the file.
    if (value && value->is_text() && value->exact && !decoded) {
        if (!is_code_object(name))
            reviewer_.embedded(value->text, SourceLanguage::python, spec_, line(call),
                               fmt::format("code string passed to {} at line {}", name, line(call)),
                               {}, false);
        return;
    }

    const uint32_t from = origins(argument, frame.scope) | (decoded ? kDecoded : 0u);
    Observation observation =
        make(is_code_object(name) ? rules::kCodeObject : rules::kDynamicExec,
             from == kLocalFile ? Severity::low : Severity::medium, call, frame,
             fmt::format("{}() runs {}.", name,
                         from & kDownloaded    ? "content downloaded from the network"
                         : from & kDecoded     ? "a decoded or decompressed payload"
                         : from & kEnvironment ? "a value taken from the environment"
                         : from & kLocalFile   ? "the contents of a file"
                                               : "a value computed at run time"));
    observation.own = {Signal::exec_data};
    if (from & kDecoded)
        observation.own.add(Signal::decode);
    if (from & kDownloaded)
        observation.own.add(Signal::download);
    observation.corroborators = {Signal::download, Signal::decode, Signal::obfuscation};
    observation.evidence.push_back(fmt::format("argument `{}`", shorten(text(argument))));
    record(frame.scope, Signal::exec_data, call, name);

    if (decoded) {
        const uint32_t reached =
            reviewer_.embedded(value->text, SourceLanguage::python, spec_, line(call),
                               fmt::format("payload decoded at line {} ({})", line(call),
                                           describe_decoders(value->decoders)),
                               {Signal::obfuscation, Signal::decode}, true);
        // Inside a payload, an exec of the next layer is only wrapping; the
        // outermost one reports the whole onion.
        if (spec_.decode_depth > 0)
            return;
        const uint32_t layers = std::max<uint32_t>(reached, 1);
        observation.evidence.push_back(fmt::format(
            "payload decoded through {}, {} nested layer{} in all; its content is reported at "
            "the decoded location",
            describe_decoders(value->decoders), layers, layers == 1 ? "" : "s"));
        auto payload = make(rules::kEncodedPayload, Severity::medium, call, frame,
                            fmt::format("An encoded payload ({} nested layer{}) is unwrapped "
                                        "and executed.",
                                        layers, layers == 1 ? "" : "s"));
        payload.own = {Signal::obfuscation, Signal::decode};
        payload.evidence.push_back(
            fmt::format("first layers: {}", describe_decoders(value->decoders)));
        log_.observe(std::move(payload));
    }
    log_.observe(std::move(observation));
}

void PythonRules::check_process(TSNode call, const std::string& name, const Frame& frame) {
    record(frame.scope, Signal::process, call, name);
    const TSNode argument = PythonModule::positional_argument(call, 0);
    if (ts_node_is_null(argument))
        return;
    executed_.push_back({frame.scope, program_keys(argument), call, frame.trigger, name});
    if (spec_.setup_py && frame.scope == kModuleScope) {
        auto observation = make(rules::kSetupPyTopLevel, Severity::low, call, frame,
                                fmt::format("setup.py calls {} in its top-level code.", name));
        observation.fixed = true;
        log_.observe(std::move(observation));
    }
    bool budget_hit = false;
    const auto value = module_.evaluate(argument, &budget_hit);
    if (budget_hit)
        report_unfolded(call, argument, name);
    if (!value)
        return;
    std::string command;
    if (value->is_text()) {
        command = value->text;
    } else if (value->is_sequence()) {
        for (const auto& item : value->items) {
            if (!item.is_text())
                continue;
            if (!command.empty())
                command.push_back(' ');
            command += item.text;
        }
        // ["sh", "-c", "..."] and ["bash", "-c", ...] carry a script.
        if (value->items.size() >= 3 && value->items[1].is_text() && value->items[1].text == "-c" &&
            value->items[2].is_text())
            command = value->items[2].text;
    }
    if (!command.empty())
        reviewer_.shell_fragment(command, log_, frame.scope, line(call), column_of(call),
                                 frame.trigger, spec_);
}

void PythonRules::check_network(TSNode call, const std::string& name, const Frame& frame) {
    record(frame.scope, Signal::network, call, name);
    if (is_download(name)) {
        record(frame.scope, Signal::download, call, name);
        downloading_scopes_.insert(frame.scope);
    }
    if (last_part(name) == "urlretrieve") {
        const TSNode destination = PythonModule::positional_argument(call, 1);
        if (!ts_node_is_null(destination))
            written_.push_back({frame.scope, keys_of(destination), call, frame.trigger, name});
    }
    if (spec_.setup_py && frame.scope == kModuleScope) {
        auto observation = make(rules::kSetupPyTopLevel, Severity::low, call, frame,
                                fmt::format("setup.py calls {} in its top-level code.", name));
        observation.fixed = true;
        log_.observe(std::move(observation));
    }
}

void PythonRules::check_flows(TSNode call, const std::string& name, const Frame& frame) {
    const bool sink = is_network(name);
    if (!sink && !is_serializer(name))
        return;
    const uint32_t from = origins(field(call, "arguments"), frame.scope);
    if (from & kEnvAll) {
        auto observation = make(rules::kEnvironmentDump, Severity::medium, call, frame,
                                sink ? fmt::format("The whole environment is sent with {}.", name)
                                     : fmt::format("The whole environment is serialised with "
                                                   "{}.",
                                                   name));
        observation.own = {Signal::env_dump};
        if (sink)
            observation.own.add(Signal::network);
        observation.corroborators = {Signal::network, Signal::exfil};
        record(frame.scope, Signal::env_dump, call, name);
        log_.observe(std::move(observation));
    }
    if (sink && (from & kCredential)) {
        auto observation = make(rules::kCredentialRead, Severity::medium, call, frame,
                                fmt::format("Credential file contents are sent with {}.", name));
        observation.own = {Signal::credential, Signal::network};
        observation.corroborators = {Signal::exfil};
        log_.observe(std::move(observation));
    }
}

void PythonRules::check_file_write(TSNode call, const std::string& name, const Frame& frame) {
    TSNode path{};
    const TSNode function = field(call, "function");
    const auto method = last_part(name);
    if (is_write_open(name)) {
        const auto mode = module_.evaluate(PythonModule::positional_argument(call, 1));
        const auto keyword_mode =
            module_.evaluate(PythonModule::keyword_argument(call, "mode", module_.tree()));
        const auto& chosen = mode ? mode : keyword_mode;
        if (!chosen || !chosen->is_text() ||
            chosen->text.find_first_of("wax+") == std::string::npos)
            return;
        path = PythonModule::positional_argument(call, 0);
    } else if ((method == "write_text" || method == "write_bytes" || method == "symlink_to") &&
               is_type(function, "attribute")) {
        path = field(function, "object");
    } else if (one_of(name, {"shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.move",
                             "os.rename", "os.replace", "os.symlink", "os.link"})) {
        path = PythonModule::positional_argument(call, 1);
    } else if (one_of(name, {"os.chmod", "os.fchmod", "os.lchmod"}) || method == "chmod") {
        const TSNode target = name == "os.chmod" || name == "os.lchmod"
                                  ? PythonModule::positional_argument(call, 0)
                                  : field(function, "object");
        const auto mode = module_.evaluate(
            PythonModule::positional_argument(call, name.starts_with("os.") ? 1 : 0));
        const auto spelled = text(field(call, "arguments"));
        const bool executable =
            (mode && mode->kind == LiteralValue::Kind::integer && (mode->integer & 0111) != 0) ||
            spelled.find("S_IX") != std::string_view::npos ||
            spelled.find("S_IEXEC") != std::string_view::npos ||
            spelled.find("S_IRWXU") != std::string_view::npos;
        if (executable && !ts_node_is_null(target)) {
            record(frame.scope, Signal::make_executable, call, name);
            executed_.push_back({frame.scope, keys_of(target), call, frame.trigger, name});
        }
        return;
    } else {
        return;
    }
    if (ts_node_is_null(path))
        return;
    written_.push_back({frame.scope, keys_of(path), call, frame.trigger, name});
    const auto target = module_.evaluate(path);
    if (!target || !target->is_text())
        return;
    if (auto what = assistant_config(target->text)) {
        auto observation = make(rules::kAssistantConfigWrite, Severity::medium, call, frame,
                                fmt::format("Writes {} ({}).", *what, shorten(target->text)));
        observation.own = {Signal::persistence};
        observation.corroborators = {Signal::download, Signal::exec_data, Signal::decode,
                                     Signal::assistant, Signal::obfuscation};
        observation.file_wide = true;
        record(frame.scope, Signal::persistence, call, *what);
        log_.observe(std::move(observation));
    } else if (auto what = persistence_target(target->text)) {
        auto observation = make(rules::kPersistenceWrite, Severity::medium, call, frame,
                                fmt::format("Writes a {} ({}).", *what, shorten(target->text)));
        observation.own = {Signal::persistence};
        observation.corroborators = {Signal::download, Signal::exec_data, Signal::decode,
                                     Signal::process, Signal::obfuscation};
        observation.file_wide = true;
        record(frame.scope, Signal::persistence, call, *what);
        log_.observe(std::move(observation));
    }
}

bool PythonRules::inside_safe_fallback(TSNode call) const {
    // torch.load(..., weights_only=True) in a try body, and this load in one
    // of its except handlers.
    for (size_t i = ancestors_.size(); i-- > 1;) {
        if (!is_type(ancestors_[i], "except_clause"))
            continue;
        const TSNode attempt = ancestors_[i - 1];
        if (!is_type(attempt, "try_statement"))
            continue;
        const TSNode body = field(attempt, "body");
        const uint32_t start = ts_node_start_byte(body);
        const uint32_t end = ts_node_end_byte(body);
        for (const TSNode load : module_.calls_to("torch.load")) {
            if (ts_node_start_byte(load) < start || ts_node_end_byte(load) > end)
                continue;
            const auto safe = module_.evaluate(
                PythonModule::keyword_argument(load, "weights_only", module_.tree()));
            if (safe && safe->kind == LiteralValue::Kind::boolean && safe->boolean)
                return true;
        }
        (void)call;
    }
    return false;
}

void PythonRules::check_model_loading(TSNode call, const std::string& name, const Frame& frame) {
    const auto keyword = [&](std::string_view key) {
        return module_.evaluate(PythonModule::keyword_argument(call, key, module_.tree()));
    };
    const auto is_false = [](const std::optional<LiteralValue>& v) {
        return v && v->kind == LiteralValue::Kind::boolean && !v->boolean;
    };
    const auto is_true = [](const std::optional<LiteralValue>& v) {
        return v && v->kind == LiteralValue::Kind::boolean && v->boolean;
    };
    const auto fixed = [&](std::string_view rule, Severity severity, std::string message) {
        auto observation = make(rule, severity, call, frame, std::move(message));
        observation.fixed = true;
        observation.evidence.push_back(fmt::format("call `{}`", shorten(text(call))));
        log_.observe(std::move(observation));
    };
    const auto method = last_part(name);

    if (name == "torch.load") {
        const TSNode weights_only =
            PythonModule::keyword_argument(call, "weights_only", module_.tree());
        const auto value = module_.evaluate(weights_only);
        if (is_true(value))
            return;
        const bool unsafe = ts_node_is_null(weights_only) || is_false(value);
        if (unsafe && inside_safe_fallback(call)) {
            fixed(rules::kUnsafeLoadFallback, Severity::high,
                  "torch.load retries without weights_only=True after the safe load failed.");
            return;
        }
        if (ts_node_is_null(weights_only))
            fixed(rules::kTorchLoadUnsafe, Severity::medium,
                  "torch.load is called without weights_only=True; before PyTorch 2.6 this "
                  "unpickles arbitrary objects.");
        else if (is_false(value))
            fixed(rules::kTorchLoadUnsafe, Severity::medium,
                  "torch.load is called with weights_only=False, which unpickles arbitrary "
                  "objects.");
        return;
    }
    if (one_of(name,
               {"pickle.load", "pickle.loads", "cPickle.load", "cPickle.loads", "_pickle.load",
                "_pickle.loads", "dill.load", "dill.loads", "cloudpickle.load", "cloudpickle.loads",
                "pandas.read_pickle", "pickle.Unpickler", "dill.Unpickler", "shelve.open"})) {
        if (inside_safe_fallback(call)) {
            fixed(rules::kUnsafeLoadFallback, Severity::high,
                  fmt::format("{} is the fallback after a weights_only=True load failed.", name));
            return;
        }
        fixed(rules::kPickleLoad, Severity::medium,
              fmt::format("{} unpickles its input, which runs any code the data carries.", name));
        return;
    }
    if (one_of(name, {"joblib.load", "sklearn.externals.joblib.load"})) {
        fixed(rules::kJoblibLoad, Severity::medium,
              "joblib.load unpickles the file, which runs any code it carries.");
        return;
    }
    if (one_of(name, {"numpy.load", "np.load"})) {
        if (is_true(keyword("allow_pickle")))
            fixed(rules::kNumpyAllowPickle, Severity::medium,
                  "numpy.load is called with allow_pickle=True.");
        return;
    }
    if (one_of(name, {"yaml.load", "yaml.load_all"})) {
        TSNode loader = PythonModule::keyword_argument(call, "Loader", module_.tree());
        if (ts_node_is_null(loader))
            loader = PythonModule::positional_argument(call, 1);
        const auto loader_name = name_of(loader);
        if (!one_of(last_part(loader_name),
                    {"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"}))
            fixed(rules::kYamlUnsafeLoad, Severity::medium,
                  fmt::format("{} is called with {}.", name,
                              loader_name.empty() ? "no Loader" : "Loader=" + loader_name));
        return;
    }
    if (one_of(name, {"yaml.unsafe_load", "yaml.unsafe_load_all"})) {
        fixed(rules::kYamlUnsafeLoad, Severity::medium,
              fmt::format("{} constructs arbitrary Python objects.", name));
        return;
    }
    if (method == "load_model" && is_false(keyword("safe_mode"))) {
        fixed(rules::kKerasUnsafeMode, Severity::medium,
              fmt::format("{} is called with safe_mode=False.", name));
        return;
    }
    if (is_true(keyword("trust_remote_code"))) {
        fixed(rules::kTrustRemoteCode, Severity::medium,
              fmt::format("{} is called with trust_remote_code=True.", name));
    }
    if (name == "torch.hub.load") {
        fixed(rules::kTorchHubLoad, Severity::medium,
              "torch.hub.load imports hubconf.py from a GitHub repository.");
        return;
    }
    if (method == "from_pretrained" ||
        one_of(name, {"huggingface_hub.hf_hub_download", "huggingface_hub.snapshot_download",
                      "hf_hub_download", "snapshot_download", "datasets.load_dataset",
                      "transformers.pipeline"})) {
        if (!ts_node_is_null(PythonModule::keyword_argument(call, "revision", module_.tree())))
            return;
        TSNode repository = PythonModule::keyword_argument(call, "repo_id", module_.tree());
        if (ts_node_is_null(repository))
            repository = PythonModule::keyword_argument(call, "model", module_.tree());
        if (ts_node_is_null(repository))
            repository = PythonModule::positional_argument(call, 0);
        const auto id = module_.evaluate(repository);
        // Only hub ids ("org/name") are downloads; a local directory is not.
        if (!id || !id->is_text() || !id->exact || id->text.empty() || id->text[0] == '.' ||
            id->text[0] == '/' || id->text[0] == '~' ||
            std::count(id->text.begin(), id->text.end(), '/') != 1)
            return;
        fixed(rules::kUnpinnedHubDownload, Severity::low,
              fmt::format("{} fetches '{}' without pinning a revision.", name, id->text));
    }
}

void PythonRules::check_dns(TSNode call, const std::string& name, const Frame& frame) {
    if (!one_of(name, {"socket.gethostbyname", "socket.gethostbyname_ex", "socket.getaddrinfo",
                       "dns.resolver.resolve", "dns.resolver.query",
                       "dns.resolver.Resolver.resolve", "dns.resolver.Resolver.query"}))
        return;
    const auto host = module_.evaluate(PythonModule::positional_argument(call, 0));
    // Data encoded into a subdomain of a fixed domain: "{data}.example".
    if (!host || !host->is_text() || host->exact)
        return;
    const size_t hole = host->text.rfind(kUnknownPart);
    if (hole == std::string::npos || host->text.find('.', hole) == std::string::npos)
        return;
    auto observation =
        make(rules::kComputedDnsLookup, Severity::medium, call, frame,
             fmt::format("{} resolves a name built at run time ({}).", name, shorten(host->text)));
    observation.own = {Signal::network};
    observation.corroborators = {Signal::credential, Signal::env_dump, Signal::environment};
    observation.file_wide = true;
    record(frame.scope, Signal::exfil, call, "DNS lookup of a computed name");
    log_.observe(std::move(observation));
}

void PythonRules::visit_text(TSNode node, const Frame& frame, bool in_message,
                             bool decoded_by_call) {
    const auto value = module_.evaluate(node);
    if (!value || !value->is_text())
        return;
    if (!in_message)
        check_string_indicators(*value, node, frame);
    if (!decoded_by_call)
        check_opaque(*value, node, frame);
}

void PythonRules::check_string_indicators(const LiteralValue& value, TSNode at,
                                          const Frame& frame) {
    const auto& text_value = value.text;
    if (text_value.size() < 4)
        return;
    if (auto what = credential_store(text_value)) {
        auto observation = make(rules::kCredentialRead, Severity::medium, at, frame,
                                fmt::format("Refers to {} ({}).", *what, shorten(text_value)));
        observation.own = {Signal::credential};
        observation.corroborators = {Signal::network, Signal::exfil};
        observation.passive = true;
        record(frame.scope, Signal::credential, at, *what);
        log_.observe(std::move(observation));
    }
    if (auto what = exfil_endpoint(text_value)) {
        auto observation = make(rules::kExfilEndpoint, Severity::medium, at, frame,
                                fmt::format("Names a {} ({}).", *what, shorten(text_value)));
        observation.own = {Signal::exfil};
        // Not `network`: an endpoint is only ever used by a network call, so
        // the call that posts to the webhook is the same fact, not a second
        // one (a Slack notifier in a training script). What makes it worse is
        // something worth stealing or a payload that hides it; then the
        // network call is what sends it.
        observation.corroborators = {Signal::credential, Signal::env_dump, Signal::decode};
        observation.amplifiers = {Signal::network};
        observation.passive = true;
        record(frame.scope, Signal::exfil, at, *what);
        log_.observe(std::move(observation));
    }
    if (auto what = assistant_bypass(text_value)) {
        auto observation = make(rules::kAssistantBypass, Severity::medium, at, frame,
                                fmt::format("Runs an AI coding assistant with {}.", *what));
        observation.own = {Signal::assistant};
        observation.corroborators = {Signal::process, Signal::credential, Signal::network,
                                     Signal::exfil, Signal::persistence};
        observation.file_wide = true;
        record(frame.scope, Signal::assistant, at, *what);
        log_.observe(std::move(observation));
    }
    if (auto what = lolbin_download(text_value)) {
        auto observation = make(rules::kLolbinDownload, Severity::medium, at, frame,
                                fmt::format("Uses {} to download content.", *what));
        observation.own = {Signal::download};
        observation.corroborators = {Signal::process, Signal::exec_data};
        record(frame.scope, Signal::download, at, *what);
        log_.observe(std::move(observation));
    }
}

void PythonRules::check_opaque(const LiteralValue& value, TSNode at, const Frame& frame) {
    if (!value.decoders.empty() || value.text.size() < 64)
        return;
    if (looks_encoded(value.text) && spec_.decode_depth < kMaxDecodeDepth) {
        if (!key_candidates_ready_) {
            collect_key_candidates();
            key_candidates_ready_ = true;
        }
        if (auto unwrapped = unwrap_opaque(value.text, key_candidates_)) {
            const uint32_t reached =
                reviewer_.embedded(unwrapped->text, SourceLanguage::python, spec_, line(at),
                                   fmt::format("string at line {} decoded ({})", line(at),
                                               describe_decoders(unwrapped->layers)),
                                   {Signal::obfuscation, Signal::decode}, true);
            if (spec_.decode_depth > 0)
                return;
            const uint32_t layers =
                static_cast<uint32_t>(unwrapped->layers.size()) +
                (reached > spec_.decode_depth + 1 ? reached - spec_.decode_depth - 1 : 0);
            auto observation =
                make(rules::kEncodedPayload, Severity::medium, at, frame,
                     fmt::format("A string literal unwraps through {} decoding layer{} into "
                                 "readable text.",
                                 layers, layers == 1 ? "" : "s"));
            observation.own = {Signal::obfuscation};
            observation.corroborators = {Signal::exec_data, Signal::decode};
            observation.file_wide = true;
            observation.evidence.push_back(
                fmt::format("first layers: {}", describe_decoders(unwrapped->layers)));
            record(frame.scope, Signal::obfuscation, at, "encoded payload");
            log_.observe(std::move(observation));
            return;
        }
    }
    if (value.text.size() >= 1024 && looks_packed(value.text)) {
        auto observation =
            make(rules::kOpaqueBlob, Severity::low, at, frame,
                 fmt::format("A {}-byte high-entropy string literal that does not decode to "
                             "text.",
                             value.text.size()));
        observation.fixed = true;
        log_.observe(std::move(observation));
    }
}

void PythonRules::collect_key_candidates() {
    // Short string constants are the likely keys of an XOR layer.
    TSTreeCursor cursor = ts_tree_cursor_new(module_.tree().root());
    bool descend = true;
    while (key_candidates_.size() < 64) {
        const TSNode node = ts_tree_cursor_current_node(&cursor);
        if (descend && is_type(node, "string")) {
            const auto value = module_.evaluate(node);
            if (value && value->exact && value->text.size() >= 2 && value->text.size() <= 16)
                key_candidates_.push_back(value->text);
        }
        if (descend && ts_tree_cursor_goto_first_child(&cursor))
            continue;
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

void PythonRules::correlate_download_execute() {
    // A file that a downloading scope wrote or retrieved, and that the same
    // scope then marks executable or runs.
    std::set<std::pair<ScopeId, uint32_t>> reported;
    for (const auto& run : executed_) {
        if (!downloading_scopes_.contains(run.scope))
            continue;
        const FileUse* match = nullptr;
        for (const auto& file : written_) {
            if (file.scope != run.scope)
                continue;
            for (const auto& key : file.keys) {
                if (key.size() < 2)
                    continue;
                for (const auto& candidate : run.keys) {
                    if (candidate == key ||
                        (key.size() >= 4 && candidate.find(key) != std::string::npos)) {
                        match = &file;
                        break;
                    }
                }
                if (match)
                    break;
            }
            if (match)
                break;
        }
        if (match == nullptr || !reported.insert({run.scope, line(match->node)}).second)
            continue;
        Frame frame;
        frame.scope = run.scope;
        frame.trigger = run.trigger;
        auto observation =
            make(rules::kDownloadExecute, Severity::medium, match->node, frame,
                 fmt::format("Content fetched from the network is written to disk and then "
                             "run or made executable ({} at line {}).",
                             run.what, line(run.node)));
        observation.own = {Signal::download, run.what.find("chmod") != std::string::npos
                                                 ? Signal::make_executable
                                                 : Signal::process};
        observation.corroborators = {Signal::make_executable, Signal::process};
        observation.evidence.push_back(
            fmt::format("written by {} at line {}", match->what, line(match->node)));
        observation.evidence.push_back(
            fmt::format("executed by {} at line {}", run.what, line(run.node)));
        log_.observe(std::move(observation));
    }
}

}  // namespace

void review_python_module(const PythonModule& module, const UnitSpec& spec, ObservationLog& log,
                          Reviewer& reviewer) {
    PythonRules rules(module, spec, log, reviewer);
    rules.run();
}

}  // namespace hazmat::code
