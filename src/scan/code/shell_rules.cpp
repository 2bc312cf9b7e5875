#include "scan/code/shell_rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "scan/code/code_rule_ids.hpp"
#include "scan/code/decoders.hpp"
#include "scan/code/indicators.hpp"

namespace hazmat::code {

namespace {

bool one_of(std::string_view name, std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

bool is_downloader(std::string_view name) {
    return one_of(name, {"curl", "wget", "fetch", "aria2c", "iwr", "invoke-webrequest",
                         "Invoke-WebRequest", "lwp-download", "GET"});
}

bool is_interpreter(std::string_view name) {
    return one_of(name, {"sh",     "bash",       "zsh",     "dash",   "ksh",  "ash",  "fish",
                         "python", "python2",    "python3", "perl",   "ruby", "node", "php",
                         "pwsh",   "powershell", "iex",     "source", ".",    "eval", "osascript"});
}

bool is_sender(std::string_view name) {
    return one_of(name, {"curl", "wget", "nc", "ncat", "netcat", "socat", "telnet", "ssh", "scp",
                         "ftp", "sftp", "rsync", "openssl"});
}

std::string shorten(std::string_view text, size_t limit = 120) {
    std::string out;
    for (const char c : text.substr(0, limit))
        out.push_back(c == '\n' ? ' ' : c);
    if (text.size() > limit)
        out += "...";
    return out;
}

// Text of a word with its quotes removed; expansions stay as written.
std::string unquote(std::string_view word) {
    std::string out;
    char quote = 0;
    for (const char c : word) {
        if (quote == 0 && (c == '"' || c == '\'')) {
            quote = c;
            continue;
        }
        if (c == quote) {
            quote = 0;
            continue;
        }
        out.push_back(c);
    }
    return out;
}

std::string base_name(std::string_view path) {
    const size_t slash = path.rfind('/');
    return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

struct Command {
    TSNode node{};
    std::string name;                // program, after sudo/env/nohup prefixes
    std::vector<std::string> words;  // arguments, unquoted
    std::vector<TSNode> argument_nodes;
};

class ShellRules {
  public:
    ShellRules(const SyntaxTree& tree, const UnitSpec& spec, const ShellPlacement& where,
               ObservationLog& log, Reviewer& reviewer)
        : tree_(tree), spec_(spec), where_(where), log_(log), reviewer_(reviewer) {}

    void run();

  private:
    uint32_t line(TSNode node) const {
        return where_.fixed_position ? where_.fixed_position->first
                                     : unit_line(spec_, line_of(node));
    }
    uint32_t column(TSNode node) const {
        return where_.fixed_position ? where_.fixed_position->second : column_of(node);
    }
    std::string_view text(TSNode node) const { return tree_.text(node); }

    Observation make(std::string_view rule, TSNode at, std::string message) const {
        Observation observation;
        observation.rule_id = rule;
        observation.single = Severity::medium;
        observation.scope = where_.scope;
        observation.trigger = where_.trigger;
        observation.line = line(at);
        observation.column = column(at);
        observation.message = std::move(message);
        return observation;
    }
    void record(Signal signal, TSNode at, std::string what) {
        log_.signal(where_.scope, signal, line(at), std::move(what));
    }

    Command read_command(TSNode node) const;
    void visit_command(const Command& command);
    void visit_pipeline(TSNode pipeline);
    void visit_redirect(TSNode redirect);
    void check_words(const Command& command);
    bool contains_download(TSNode node) const;
    void correlate();

    const SyntaxTree& tree_;
    const UnitSpec& spec_;
    const ShellPlacement& where_;
    ObservationLog& log_;
    Reviewer& reviewer_;

    struct FileUse {
        std::string path;
        TSNode node;
        std::string what;
    };
    std::vector<FileUse> downloaded_;
    std::vector<FileUse> executed_;
};

Command ShellRules::read_command(TSNode node) const {
    Command command;
    command.node = node;
    const TSNode name = field(node, "name");
    std::vector<std::string> words;
    if (!ts_node_is_null(name))
        words.push_back(unquote(text(name)));
    const uint32_t count = ts_node_named_child_count(node);
    for (uint32_t i = 0; i < count; ++i) {
        const TSNode child = ts_node_named_child(node, i);
        if (ts_node_eq(child, name) || is_type(child, "variable_assignment") ||
            is_type(child, "file_redirect") || is_type(child, "herestring_redirect"))
            continue;
        words.push_back(unquote(text(child)));
        command.argument_nodes.push_back(child);
    }
    // sudo -E bash, env X=1 python, nohup sh ...: the program is the first
    // word after the prefix and its options.
    size_t first = 0;
    while (first < words.size()) {
        const auto program = base_name(words[first]);
        // A prefix with nothing after it is the program itself (`env | curl`).
        if (first + 1 == words.size() ||
            !one_of(program, {"sudo", "env", "nohup", "exec", "time", "command", "doas", "nice",
                              "stdbuf", "timeout"}))
            break;
        ++first;
        while (first < words.size() &&
               (words[first].starts_with('-') || words[first].find('=') != std::string::npos ||
                (program == "timeout" && std::isdigit(static_cast<unsigned char>(
                                             words[first].empty() ? 'x' : words[first][0])))))
            ++first;
    }
    if (first < words.size()) {
        command.name = base_name(words[first]);
        command.words.assign(words.begin() + static_cast<long>(first) + 1, words.end());
    }
    return command;
}

bool ShellRules::contains_download(TSNode node) const {
    TSTreeCursor cursor = ts_tree_cursor_new(node);
    bool found = false;
    bool descend = true;
    size_t visited = 0;
    while (!found && visited++ < 4096) {
        const TSNode current = ts_tree_cursor_current_node(&cursor);
        if (descend && is_type(current, "command")) {
            const auto command = read_command(current);
            found = is_downloader(command.name);
        }
        if (descend && ts_tree_cursor_goto_first_child(&cursor))
            continue;
        if (ts_tree_cursor_goto_next_sibling(&cursor)) {
            descend = true;
            continue;
        }
        if (!ts_tree_cursor_goto_parent(&cursor) ||
            ts_node_eq(ts_tree_cursor_current_node(&cursor), node))
            break;
        descend = false;
    }
    ts_tree_cursor_delete(&cursor);
    return found;
}

void ShellRules::visit_pipeline(TSNode pipeline) {
    std::vector<Command> stages;
    const uint32_t count = ts_node_named_child_count(pipeline);
    for (uint32_t i = 0; i < count; ++i) {
        TSNode stage = ts_node_named_child(pipeline, i);
        if (is_type(stage, "redirected_statement"))
            stage = field(stage, "body");
        if (is_type(stage, "command"))
            stages.push_back(read_command(stage));
    }
    bool downloaded = false;
    bool decoded = false;
    bool environment = false;
    bool credential = false;
    const Command* source = nullptr;
    for (const auto& stage : stages) {
        const auto& name = stage.name;
        const bool decoding =
            (name == "base64" && std::any_of(stage.words.begin(), stage.words.end(),
                                             [](const std::string& w) {
                                                 return w == "-d" || w == "--decode" || w == "-D";
                                             })) ||
            (name == "xxd" &&
             std::find(stage.words.begin(), stage.words.end(), "-r") != stage.words.end()) ||
            name == "gunzip" || name == "zcat" || name == "rev" ||
            (name == "openssl" &&
             std::find(stage.words.begin(), stage.words.end(), "-d") != stage.words.end());
        if (is_interpreter(name) && (downloaded || decoded)) {
            if (downloaded) {
                auto observation = make(rules::kPipeToInterpreter, pipeline,
                                        fmt::format("Downloaded content is piped into {}: `{}`.",
                                                    name, shorten(text(pipeline))));
                observation.own = {Signal::download, Signal::process};
                observation.corroborators = {Signal::decode, Signal::obfuscation};
                record(Signal::process, pipeline, name);
                log_.observe(std::move(observation));
            }
            if (decoded) {
                auto observation = make(rules::kDynamicExec, pipeline,
                                        fmt::format("A decoded payload is piped into {}: `{}`.",
                                                    name, shorten(text(pipeline))));
                observation.own = {Signal::decode, Signal::exec_data};
                observation.corroborators = {Signal::download, Signal::obfuscation};
                record(Signal::exec_data, pipeline, name);
                log_.observe(std::move(observation));
                // echo <base64> | base64 -d | sh: review what runs.
                if (source != nullptr && (source->name == "echo" || source->name == "printf") &&
                    !source->words.empty() && spec_.decode_depth < kMaxDecodeDepth) {
                    const auto& literal = source->words.back();
                    if (auto unwrapped = unwrap_opaque(literal, {})) {
                        reviewer_.embedded(
                            unwrapped->text, SourceLanguage::bash, spec_, line(pipeline),
                            fmt::format("payload decoded at line {}", line(pipeline)),
                            {Signal::obfuscation, Signal::decode}, true);
                    }
                }
            }
            break;
        }
        if (is_sender(name) && (environment || credential) && &stage != &stages.front()) {
            auto observation =
                make(environment ? rules::kEnvironmentDump : rules::kCredentialRead, pipeline,
                     fmt::format("{} is piped to {}: `{}`.",
                                 environment ? "The whole environment" : "A credential file", name,
                                 shorten(text(pipeline))));
            observation.own = {environment ? Signal::env_dump : Signal::credential,
                               Signal::network};
            observation.corroborators = {Signal::exfil};
            observation.file_wide = true;
            log_.observe(std::move(observation));
        }
        if (is_downloader(name))
            downloaded = true;
        if (decoding)
            decoded = true;
        if (name == "env" || name == "printenv" || (name == "set" && stage.words.empty()) ||
            (name == "export" && stage.words.size() == 1 && stage.words[0] == "-p")) {
            environment = true;
            record(Signal::env_dump, stage.node, name);
        }
        if (std::any_of(stage.words.begin(), stage.words.end(),
                        [](const std::string& w) { return credential_store(w).has_value(); }))
            credential = true;
        if (source == nullptr)
            source = &stage;
    }
}

void ShellRules::visit_redirect(TSNode redirect) {
    const auto spelled = text(redirect);
    const TSNode destination = field(redirect, "destination");
    if (ts_node_is_null(destination) || spelled.find('>') == std::string_view::npos)
        return;
    const auto path = unquote(text(destination));
    if (auto what = assistant_config(path)) {
        auto observation = make(rules::kAssistantConfigWrite, redirect,
                                fmt::format("Writes {} ({}).", *what, shorten(path)));
        observation.own = {Signal::persistence};
        observation.corroborators = {Signal::download, Signal::exec_data, Signal::decode,
                                     Signal::assistant};
        observation.file_wide = true;
        record(Signal::persistence, redirect, *what);
        log_.observe(std::move(observation));
    } else if (auto what = persistence_target(path)) {
        auto observation = make(rules::kPersistenceWrite, redirect,
                                fmt::format("Writes a {} ({}).", *what, shorten(path)));
        observation.own = {Signal::persistence};
        observation.corroborators = {Signal::download, Signal::exec_data, Signal::decode,
                                     Signal::obfuscation};
        observation.file_wide = true;
        record(Signal::persistence, redirect, *what);
        log_.observe(std::move(observation));
    }
}

void ShellRules::check_words(const Command& command) {
    std::string line_text = command.name;
    for (const auto& word : command.words) {
        line_text.push_back(' ');
        line_text += word;
    }
    for (const auto& word : command.words) {
        if (auto what = credential_store(word)) {
            auto observation =
                make(rules::kCredentialRead, command.node,
                     fmt::format("{} reads {} ({}).", command.name, *what, shorten(word)));
            observation.own = {Signal::credential};
            if (is_sender(command.name))
                observation.own.add(Signal::network);
            observation.corroborators = {Signal::network, Signal::exfil};
            observation.file_wide = true;
            record(Signal::credential, command.node, *what);
            log_.observe(std::move(observation));
            break;
        }
    }
    for (const auto& word : command.words) {
        if (auto what = exfil_endpoint(word)) {
            auto observation = make(rules::kExfilEndpoint, command.node,
                                    fmt::format("{} talks to a {}.", command.name, *what));
            observation.own = {Signal::exfil};
            observation.corroborators = {Signal::credential, Signal::env_dump};
            observation.file_wide = true;
            record(Signal::exfil, command.node, *what);
            log_.observe(std::move(observation));
            break;
        }
    }
    if (auto what = assistant_bypass(line_text)) {
        auto observation = make(rules::kAssistantBypass, command.node,
                                fmt::format("Runs an AI coding assistant with {}.", *what));
        observation.own = {Signal::assistant};
        observation.corroborators = {Signal::credential, Signal::network, Signal::exfil,
                                     Signal::persistence};
        observation.file_wide = true;
        record(Signal::assistant, command.node, *what);
        log_.observe(std::move(observation));
    }
    if (auto what = lolbin_download(line_text)) {
        auto observation = make(rules::kLolbinDownload, command.node,
                                fmt::format("Uses {} to download content.", *what));
        observation.own = {Signal::download};
        observation.corroborators = {Signal::process, Signal::exec_data};
        record(Signal::download, command.node, *what);
        log_.observe(std::move(observation));
    }
    const bool lists =
        std::find(command.words.begin(), command.words.end(), "-l") != command.words.end();
    if ((command.name == "crontab" && !lists) ||
        (command.name == "systemctl" &&
         std::find(command.words.begin(), command.words.end(), "enable") != command.words.end())) {
        auto observation =
            make(rules::kPersistenceWrite, command.node,
                 fmt::format("Installs a {} entry: `{}`.", command.name, shorten(line_text)));
        observation.own = {Signal::persistence};
        observation.corroborators = {Signal::download, Signal::exec_data, Signal::decode};
        observation.file_wide = true;
        record(Signal::persistence, command.node, command.name);
        log_.observe(std::move(observation));
    }
}

void ShellRules::visit_command(const Command& command) {
    if (command.name.empty())
        return;
    const auto& name = command.name;
    if (is_downloader(name)) {
        record(Signal::network, command.node, name);
        record(Signal::download, command.node, name);
        for (size_t i = 0; i < command.words.size(); ++i) {
            const auto& word = command.words[i];
            const bool output_flag =
                word == "-o" || word == "-O" || word == "--output" || word == "--output-document";
            if (output_flag && i + 1 < command.words.size() && command.words[i + 1] != "-")
                downloaded_.push_back({command.words[i + 1], command.node, name});
            if (word.starts_with("--output=") || word.starts_with("--output-document="))
                downloaded_.push_back({word.substr(word.find('=') + 1), command.node, name});
        }
    }
    if (name == "chmod" &&
        std::any_of(command.words.begin(), command.words.end(), [](const std::string& w) {
            return w.find("+x") != std::string::npos || w == "755" || w == "777" || w == "700" ||
                   w == "0755" || w == "0777";
        })) {
        record(Signal::make_executable, command.node, "chmod");
        for (const auto& word : command.words)
            executed_.push_back({word, command.node, "chmod"});
    } else {
        executed_.push_back({command.name, command.node, "running it"});
        record(Signal::process, command.node, name);
    }
    if (name == "eval" || ((name == "sh" || name == "bash" || name == "zsh" || name == "python" ||
                            name == "python3" || name == "source" || name == ".") &&
                           !command.argument_nodes.empty())) {
        for (const TSNode argument : command.argument_nodes) {
            if (!contains_download(argument))
                continue;
            auto observation = make(rules::kPipeToInterpreter, command.node,
                                    fmt::format("Downloaded content is run by {}: `{}`.", name,
                                                shorten(text(command.node))));
            observation.own = {Signal::download, Signal::process};
            log_.observe(std::move(observation));
            break;
        }
    }
    check_words(command);
}

void ShellRules::correlate() {
    std::set<uint32_t> reported;
    for (const auto& file : downloaded_) {
        const auto target = base_name(file.path);
        if (target.empty())
            continue;
        for (const auto& run : executed_) {
            if (base_name(run.path) != target || ts_node_eq(run.node, file.node))
                continue;
            if (!reported.insert(line(file.node)).second)
                break;
            auto observation =
                make(rules::kDownloadExecute, file.node,
                     fmt::format("{} downloads {} and the script then {}.", file.what, file.path,
                                 run.what == "chmod" ? "makes it executable" : "runs it"));
            observation.own = {Signal::download,
                               run.what == "chmod" ? Signal::make_executable : Signal::process};
            observation.corroborators = {Signal::make_executable, Signal::process};
            observation.evidence.push_back(
                fmt::format("`{}` at line {}", shorten(text(run.node)), line(run.node)));
            log_.observe(std::move(observation));
            break;
        }
    }
}

void ShellRules::run() {
    TSTreeCursor cursor = ts_tree_cursor_new(tree_.root());
    bool descend = true;
    while (true) {
        const TSNode node = ts_tree_cursor_current_node(&cursor);
        if (descend) {
            const auto type = node_type(node);
            if (type == "pipeline")
                visit_pipeline(node);
            else if (type == "command")
                visit_command(read_command(node));
            else if (type == "file_redirect")
                visit_redirect(node);
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
    correlate();
}

}  // namespace

void review_shell_tree(const SyntaxTree& tree, const UnitSpec& spec, const ShellPlacement& where,
                       ObservationLog& log, Reviewer& reviewer) {
    ShellRules rules(tree, spec, where, log, reviewer);
    rules.run();
}

}  // namespace hazmat::code
