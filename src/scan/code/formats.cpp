#include "scan/code/formats.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <toml++/toml.h>

#include <nlohmann/json.hpp>

#include "core/finding.hpp"
#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"
#include "scan/code/code_rule_ids.hpp"

namespace hazmat::code {

namespace {

using nlohmann::json;

ObservationLog::Unit unit_of(const UnitSpec& spec) {
    return {spec.location, spec.trigger, spec.role, spec.inherited};
}

Observation fixed_observation(std::string_view rule, Severity severity, uint32_t line,
                              std::string message) {
    Observation observation;
    observation.rule_id = rule;
    observation.single = severity;
    observation.fixed = true;
    observation.line = line;
    observation.column = 1;
    observation.message = std::move(message);
    return observation;
}

std::string shorten(std::string_view text, size_t limit = 160) {
    std::string out;
    for (const char c : text.substr(0, limit))
        out.push_back(c == '\n' ? ' ' : c);
    if (text.size() > limit)
        out += "...";
    return out;
}

// One-based line of the n-th occurrence of `needle` in `text` (1 if absent):
// JSON parsers do not keep positions, the text does.
uint32_t line_of_text(std::string_view text, std::string_view needle, size_t occurrence = 0) {
    size_t at = text.find(needle);
    while (at != std::string_view::npos && occurrence-- > 0)
        at = text.find(needle, at + 1);
    if (at == std::string_view::npos)
        return 1;
    return 1 + static_cast<uint32_t>(
                   std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
}

// JSON with comments and trailing commas (VS Code's JSONC), made plain.
std::string strip_jsonc(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    bool in_string = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            out.push_back(c);
            if (c == '\\' && i + 1 < text.size())
                out.push_back(text[++i]);
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
            out.push_back(c);
            continue;
        }
        if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
            while (i < text.size() && text[i] != '\n')
                ++i;
            out.push_back('\n');
            continue;
        }
        if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
            i += 2;
            while (i + 1 < text.size() && !(text[i] == '*' && text[i + 1] == '/')) {
                if (text[i] == '\n')
                    out.push_back('\n');
                ++i;
            }
            ++i;
            continue;
        }
        if (c == ',') {
            size_t next = i + 1;
            while (next < text.size() && std::isspace(static_cast<unsigned char>(text[next])))
                ++next;
            if (next < text.size() && (text[next] == '}' || text[next] == ']'))
                continue;
        }
        out.push_back(c);
    }
    return out;
}

std::optional<json> parse_json(std::string_view text, bool jsonc) {
    const std::string plain = jsonc ? strip_jsonc(text) : std::string(text);
    auto parsed = json::parse(plain, nullptr, false);
    if (parsed.is_discarded())
        return std::nullopt;
    return parsed;
}

void report_unparseable(const UnitSpec& spec, Reviewer& reviewer, std::string_view what) {
    reviewer.context().report(Finding::make(
        rules::kScanUnparseable,
        fmt::format("{} cannot be parsed, so the commands it may carry were not reviewed.", what),
        spec.location));
}

// A command given as a string or an argument array, as one shell line.
std::string command_text(const json& value) {
    if (value.is_string())
        return value.get<std::string>();
    std::string out;
    if (value.is_array()) {
        for (const auto& item : value) {
            if (!item.is_string())
                continue;
            if (!out.empty())
                out.push_back(' ');
            out += item.get<std::string>();
        }
    }
    return out;
}

}  // namespace

void report_surface(std::string_view rule_id, Severity severity, std::string message,
                    const UnitSpec& spec, Reviewer& reviewer, uint32_t line) {
    ObservationLog log;
    log.observe(fixed_observation(rule_id, severity, unit_line(spec, line), std::move(message)));
    log.emit(unit_of(spec), reviewer.context());
}

void review_pth(std::string_view text, const UnitSpec& spec, Reviewer& reviewer) {
    // site.py executes a .pth line that starts with "import" followed by a
    // space or tab; every other line is a path. Keep line numbers by
    // blanking the path lines.
    std::string code;
    uint32_t first_import = 0;
    std::string first_text;
    uint32_t line = 1;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos)
            end = text.size();
        const auto content = text.substr(start, end - start);
        if (content.starts_with("import ") || content.starts_with("import\t")) {
            code += content;
            if (first_import == 0) {
                first_import = line;
                first_text = std::string(content);
            }
        }
        code.push_back('\n');
        start = end + 1;
        ++line;
    }
    if (first_import == 0)
        return;
    report_surface(rules::kPthExecutes, Severity::medium,
                   fmt::format("site runs `{}` at every interpreter start.", shorten(first_text)),
                   spec, reviewer, first_import);
    reviewer.python(code, spec);
}

void review_notebook(std::string_view text, const UnitSpec& spec, Reviewer& reviewer) {
    const auto notebook = parse_json(text, false);
    if (!notebook || !notebook->is_object()) {
        report_unparseable(spec, reviewer, "The notebook");
        return;
    }
    const auto cells = notebook->find("cells");
    if (cells == notebook->end() || !cells->is_array())
        return;
    size_t index = 0;
    for (const auto& cell : *cells) {
        ++index;
        if (!cell.is_object() || cell.value("cell_type", "") != "code")
            continue;
        std::string source;
        const auto found = cell.find("source");
        if (found == cell.end())
            continue;
        if (found->is_string()) {
            source = found->get<std::string>();
        } else if (found->is_array()) {
            for (const auto& part : *found) {
                if (part.is_string())
                    source += part.get<std::string>();
            }
        }
        UnitSpec cell_spec = spec;
        cell_spec.location =
            spec.location.child(LocationPart::Kind::embedded, fmt::format("cell {}", index));

        const auto first_line = std::string_view(source).substr(0, source.find('\n'));
        if (first_line.starts_with("%%bash") || first_line.starts_with("%%sh") ||
            first_line.starts_with("%%script bash") || first_line.starts_with("%%script sh") ||
            first_line.starts_with("%%shell")) {
            std::string body = source;
            body.replace(0, first_line.size(), std::string());
            reviewer.shell(body, cell_spec);
            continue;
        }
        if (first_line.starts_with("%%"))
            continue;

        // Python and IPython shell escapes, line for line.
        std::string python;
        std::string shell;
        bool any_shell = false;
        size_t start = 0;
        while (start <= source.size()) {
            size_t end = source.find('\n', start);
            if (end == std::string::npos)
                end = source.size();
            const auto line = std::string_view(source).substr(start, end - start);
            const size_t indent = line.find_first_not_of(" \t");
            const auto body =
                indent == std::string_view::npos ? std::string_view() : line.substr(indent);
            const size_t bang = line.find("= !");
            if (body.starts_with("!")) {
                shell += body.substr(1);
                any_shell = true;
            } else if (body.starts_with("%system ") || body.starts_with("%sx ")) {
                shell += body.substr(body.find(' ') + 1);
                any_shell = true;
            } else if (bang != std::string_view::npos && !body.starts_with("#")) {
                shell += line.substr(bang + 3);
                any_shell = true;
            } else if (!body.starts_with("%")) {
                python += line;
            }
            python.push_back('\n');
            shell.push_back('\n');
            if (end == source.size())
                break;
            start = end + 1;
        }
        reviewer.python(python, cell_spec);
        if (any_shell)
            reviewer.shell(shell, cell_spec);
    }
}

namespace {

struct Instruction {
    std::string keyword;  // upper case
    std::string_view arguments;
    uint32_t line = 0;  // of the keyword
    // Heredoc bodies (RUN <<EOF ... EOF), with the line each starts on.
    std::vector<std::pair<std::string_view, uint32_t>> heredocs;
};

std::vector<Instruction> parse_dockerfile(std::string_view text) {
    char escape = '\\';
    std::vector<Instruction> instructions;
    size_t pos = 0;
    uint32_t line = 1;
    bool leading_directives = true;
    const auto next_line = [&](size_t from) {
        const size_t end = text.find('\n', from);
        return end == std::string_view::npos ? text.size() : end;
    };
    while (pos < text.size()) {
        const size_t end = next_line(pos);
        const auto content = text.substr(pos, end - pos);
        const size_t first = content.find_first_not_of(" \t\r");
        if (first == std::string_view::npos || content[first] == '#') {
            if (leading_directives && first != std::string_view::npos &&
                content.find("escape=`") != std::string_view::npos)
                escape = '`';
            pos = end + 1;
            ++line;
            continue;
        }
        leading_directives = false;
        Instruction instruction;
        instruction.line = line;
        const size_t keyword_end = content.find_first_of(" \t", first);
        for (const char c : content.substr(first, keyword_end - first))
            instruction.keyword.push_back(static_cast<char>(std::toupper(static_cast<uint8_t>(c))));
        // Continuation lines: the logical line ends at a line not ending in
        // the escape character.
        const size_t arguments_start =
            keyword_end == std::string_view::npos ? end : pos + keyword_end + 1;
        size_t logical_end = end;
        uint32_t lines = 1;
        while (true) {
            const auto current = text.substr(pos, logical_end - pos);
            const size_t last = current.find_last_not_of(" \t\r");
            if (last == std::string_view::npos || current[last] != escape ||
                logical_end >= text.size())
                break;
            pos = logical_end + 1;
            logical_end = next_line(pos);
            ++lines;
        }
        instruction.arguments = arguments_start < logical_end
                                    ? text.substr(arguments_start, logical_end - arguments_start)
                                    : std::string_view();
        line += lines;
        pos = logical_end + 1;
        // Heredocs: <<EOF or <<-"EOF" introduce bodies that follow.
        for (size_t marker = instruction.arguments.find("<<"); marker != std::string_view::npos;
             marker = instruction.arguments.find("<<", marker + 2)) {
            auto rest = instruction.arguments.substr(marker + 2);
            if (rest.starts_with('-'))
                rest.remove_prefix(1);
            size_t word_end = 0;
            while (word_end < rest.size() &&
                   (std::isalnum(static_cast<uint8_t>(rest[word_end])) || rest[word_end] == '_' ||
                    rest[word_end] == '"' || rest[word_end] == '\''))
                ++word_end;
            std::string delimiter;
            for (const char c : rest.substr(0, word_end)) {
                if (c != '"' && c != '\'')
                    delimiter.push_back(c);
            }
            if (delimiter.empty())
                continue;
            const size_t body_start = pos;
            const uint32_t body_line = line;
            while (pos < text.size()) {
                const size_t body_end = next_line(pos);
                auto body_line_text = text.substr(pos, body_end - pos);
                while (!body_line_text.empty() && (body_line_text.back() == '\r'))
                    body_line_text.remove_suffix(1);
                const size_t trimmed = body_line_text.find_first_not_of('\t');
                pos = body_end + 1;
                ++line;
                if (trimmed != std::string_view::npos &&
                    body_line_text.substr(trimmed) == delimiter) {
                    instruction.heredocs.emplace_back(
                        text.substr(body_start, body_end - body_start - body_line_text.size()),
                        body_line);
                    break;
                }
            }
        }
        instructions.push_back(std::move(instruction));
    }
    return instructions;
}

bool names_secret(std::string_view name) {
    std::string upper;
    for (const char c : name)
        upper.push_back(static_cast<char>(std::toupper(static_cast<uint8_t>(c))));
    if (upper == "GPG_KEY" || upper.ends_with("_FINGERPRINT") || upper.ends_with("_KEY_ID") ||
        upper.ends_with("_KEYRING") || upper.ends_with("_FILE") || upper.ends_with("_PATH"))
        return false;
    for (const std::string_view word :
         {"PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "ACCESS_KEY", "PRIVATE_KEY",
          "CREDENTIAL", "AUTH_KEY"}) {
        if (upper.find(word) != std::string::npos)
            return true;
    }
    return false;
}

// A flag or a number (TOKENIZERS_PARALLELISM=false, TOKEN_LIMIT=4096) is a
// setting, whatever its name says; a secret is neither.
bool is_plain_setting(std::string_view value) {
    std::string lower;
    for (const char c : value)
        lower.push_back(static_cast<char>(std::tolower(static_cast<uint8_t>(c))));
    if (lower.size() >= 2 && (lower.front() == '"' || lower.front() == '\'') &&
        lower.back() == lower.front())
        lower = lower.substr(1, lower.size() - 2);
    if (lower == "true" || lower == "false" || lower == "yes" || lower == "no" || lower == "on" ||
        lower == "off" || lower == "none" || lower == "null")
        return true;
    return !lower.empty() && lower.size() <= 12 &&
           lower.find_first_not_of("0123456789.") == std::string::npos;
}

// NAME=value pairs of an ENV or ARG instruction (and ENV's legacy
// "NAME value" form).
std::vector<std::pair<std::string, std::string>> assignments(std::string_view arguments,
                                                             bool legacy_form) {
    std::vector<std::pair<std::string, std::string>> pairs;
    const size_t equals = arguments.find('=');
    const size_t space = arguments.find_first_of(" \t");
    if (legacy_form && space != std::string_view::npos &&
        (equals == std::string_view::npos || space < equals)) {
        auto value = arguments.substr(space + 1);
        const size_t start = value.find_first_not_of(" \t");
        value = start == std::string_view::npos ? std::string_view() : value.substr(start);
        pairs.emplace_back(std::string(arguments.substr(0, space)), std::string(value));
        return pairs;
    }
    size_t pos = 0;
    while (pos < arguments.size()) {
        while (pos < arguments.size() && std::isspace(static_cast<uint8_t>(arguments[pos])))
            ++pos;
        const size_t name_end = arguments.find_first_of("= \t\\", pos);
        if (name_end == std::string_view::npos || arguments[name_end] != '=') {
            const size_t skip = arguments.find_first_of(" \t", pos);
            if (skip == std::string_view::npos)
                break;
            pos = skip;
            continue;
        }
        std::string name(arguments.substr(pos, name_end - pos));
        std::string value;
        size_t i = name_end + 1;
        char quote = 0;
        for (; i < arguments.size(); ++i) {
            const char c = arguments[i];
            if (quote == 0 && (c == '"' || c == '\'')) {
                quote = c;
                continue;
            }
            if (quote != 0 && c == quote) {
                quote = 0;
                continue;
            }
            if (quote == 0 && std::isspace(static_cast<uint8_t>(c)))
                break;
            value.push_back(c);
        }
        pairs.emplace_back(std::move(name), std::move(value));
        pos = i;
    }
    return pairs;
}

}  // namespace

void review_dockerfile(std::string_view text, const UnitSpec& spec, Reviewer& reviewer) {
    ObservationLog log;
    for (const auto& instruction : parse_dockerfile(text)) {
        const auto& keyword = instruction.keyword;
        auto arguments = instruction.arguments;
        // Flags (--mount=..., --checksum=...) come first.
        std::string flags;
        while (arguments.starts_with("--")) {
            const size_t end = arguments.find_first_of(" \t");
            flags += std::string(arguments.substr(0, end)) + " ";
            arguments =
                end == std::string_view::npos ? std::string_view() : arguments.substr(end + 1);
            const size_t next = arguments.find_first_not_of(" \t");
            arguments =
                next == std::string_view::npos ? std::string_view() : arguments.substr(next);
        }
        const uint32_t line = unit_line(spec, instruction.line);
        if (keyword == "RUN" || keyword == "CMD" || keyword == "ENTRYPOINT") {
            std::string script;
            if (arguments.starts_with('[')) {
                if (auto array = parse_json(arguments, false); array && array->is_array()) {
                    script = command_text(*array);
                    if (array->size() >= 3 && (*array)[1] == "-c" && (*array)[2].is_string())
                        script = (*array)[2].get<std::string>();
                }
                if (!script.empty())
                    reviewer.shell_fragment(
                        script, log, kModuleScope, line, 1,
                        keyword == "RUN" ? Trigger::image_build : Trigger::script, spec);
            } else if (!arguments.empty()) {
                UnitSpec run_spec = spec;
                run_spec.line_offset = spec.line_offset + instruction.line - 1;
                run_spec.trigger = keyword == "RUN" ? Trigger::image_build : Trigger::script;
                reviewer.shell(arguments, run_spec);
            }
            for (const auto& [body, body_line] : instruction.heredocs) {
                UnitSpec body_spec = spec;
                body_spec.line_offset = spec.line_offset + body_line - 1;
                reviewer.shell(body, body_spec);
            }
            continue;
        }
        if (keyword == "ADD") {
            const bool remote = arguments.find("http://") != std::string_view::npos ||
                                arguments.find("https://") != std::string_view::npos ||
                                arguments.find("git@") != std::string_view::npos;
            if (remote && flags.find("--checksum") == std::string::npos) {
                log.observe(fixed_observation(
                    rules::kDockerAddUrl, Severity::low, line,
                    fmt::format("ADD {} downloads at build time without a checksum.",
                                shorten(arguments))));
            }
            continue;
        }
        if (keyword == "ENV" || keyword == "ARG") {
            for (const auto& [name, value] : assignments(arguments, keyword == "ENV")) {
                if (value.empty() || value.starts_with('$') || is_plain_setting(value) ||
                    !names_secret(name))
                    continue;
                auto observation = fixed_observation(
                    rules::kDockerSecret, Severity::medium, line,
                    fmt::format("{} sets {} to a literal value that is stored in the image.",
                                keyword, name));
                observation.evidence.push_back(
                    fmt::format("{} characters, value not shown", value.size()));
                log.observe(std::move(observation));
            }
        }
    }
    log.emit(unit_of(spec), reviewer.context());
}

void review_package_json(std::string_view text, const UnitSpec& spec, Reviewer& reviewer) {
    const auto manifest = parse_json(text, false);
    if (!manifest || !manifest->is_object()) {
        spdlog::debug("{}: not a JSON object; npm would refuse it", spec.location.to_display());
        return;
    }
    const auto scripts = manifest->find("scripts");
    if (scripts == manifest->end() || !scripts->is_object())
        return;
    ObservationLog log;
    // Scripts npm runs by itself on install (prepare also runs for git
    // dependencies; prepublish ran on install before npm 5).
    for (const std::string_view hook : {"preinstall", "install", "postinstall", "prepare",
                                        "prepublish", "preuninstall", "postuninstall"}) {
        const auto script = scripts->find(std::string(hook));
        if (script == scripts->end() || !script->is_string())
            continue;
        const auto command = script->get<std::string>();
        const uint32_t line = unit_line(spec, line_of_text(text, fmt::format("\"{}\"", hook)));
        auto observation =
            fixed_observation(rules::kNpmLifecycleScript, Severity::low, line,
                              fmt::format("npm runs the {} script `{}`.", hook, shorten(command)));
        log.observe(std::move(observation));
        // LIMITATION: a script that runs a file (`node setup.js`) is not
        // linked to that file's review, which treats its module-level code
        // as import time rather than install time.
        reviewer.shell_fragment(command, log, kModuleScope, line, 1, Trigger::install, spec);
    }
    log.emit(unit_of(spec), reviewer.context());
}

void review_pyproject(std::string_view text, const UnitSpec& spec, Reviewer& reviewer) {
    toml::table table;
    try {
        table = toml::parse(text);
    } catch (const toml::parse_error&) {
        report_unparseable(spec, reviewer, "pyproject.toml");
        return;
    }
    const auto* backend_path = table.at_path("build-system.backend-path").node();
    if (backend_path == nullptr)
        return;
    const auto backend = table.at_path("build-system.build-backend").value_or(std::string("?"));
    const uint32_t line = static_cast<uint32_t>(backend_path->source().begin.line);
    report_surface(rules::kInTreeBuildBackend, Severity::low,
                   fmt::format("pip builds the project with its own backend {} from the "
                               "project's tree.",
                               backend),
                   spec, reviewer, line);
}

void review_vscode_tasks(std::string_view text, const UnitSpec& spec, Reviewer& reviewer) {
    const auto tasks_file = parse_json(text, true);
    if (!tasks_file || !tasks_file->is_object()) {
        report_unparseable(spec, reviewer, "tasks.json");
        return;
    }
    const auto tasks = tasks_file->find("tasks");
    if (tasks == tasks_file->end() || !tasks->is_array())
        return;
    ObservationLog log;
    size_t occurrence = 0;
    for (const auto& task : *tasks) {
        if (!task.is_object())
            continue;
        const auto options = task.find("runOptions");
        if (options == task.end() || !options->is_object() ||
            options->value("runOn", "") != "folderOpen")
            continue;
        std::string command = command_text(task.value("command", json()));
        const auto args = task.find("args");
        if (args != task.end())
            command += " " + command_text(*args);
        const uint32_t line = unit_line(spec, line_of_text(text, "folderOpen", occurrence++));
        log.observe(fixed_observation(rules::kEditorFolderOpenTask, Severity::medium, line,
                                      fmt::format("Task '{}' runs `{}` when the folder is opened.",
                                                  task.value("label", "?"), shorten(command))));
        reviewer.shell_fragment(command, log, kModuleScope, line, 1, Trigger::folder_open, spec);
    }
    log.emit(unit_of(spec), reviewer.context());
}

void review_devcontainer(std::string_view text, const UnitSpec& spec, Reviewer& reviewer) {
    const auto config = parse_json(text, true);
    if (!config || !config->is_object()) {
        report_unparseable(spec, reviewer, "devcontainer.json");
        return;
    }
    ObservationLog log;
    for (const std::string_view key :
         {"initializeCommand", "onCreateCommand", "updateContentCommand", "postCreateCommand",
          "postStartCommand", "postAttachCommand"}) {
        const auto value = config->find(std::string(key));
        if (value == config->end())
            continue;
        std::vector<std::string> commands;
        if (value->is_object()) {
            for (const auto& [name, command] : value->items())
                commands.push_back(command_text(command));
        } else {
            commands.push_back(command_text(*value));
        }
        const uint32_t line = unit_line(spec, line_of_text(text, fmt::format("\"{}\"", key)));
        const bool on_host = key == "initializeCommand";
        for (const auto& command : commands) {
            if (command.empty())
                continue;
            log.observe(fixed_observation(
                rules::kDevcontainerCommand, on_host ? Severity::medium : Severity::low, line,
                fmt::format("{} runs `{}`{}.", key, shorten(command),
                            on_host ? " on the host, outside the container" : "")));
            reviewer.shell_fragment(command, log, kModuleScope, line, 1, Trigger::container, spec);
        }
    }
    log.emit(unit_of(spec), reviewer.context());
}

namespace {

// The text of a balanced "(...)" starting at `open`.
std::string_view balanced(std::string_view text, size_t open) {
    int depth = 0;
    for (size_t i = open; i < text.size(); ++i) {
        if (text[i] == '(')
            ++depth;
        else if (text[i] == ')' && --depth == 0)
            return text.substr(open + 1, i - open - 1);
    }
    return text.substr(open + 1);
}

bool mentions_fetcher(std::string_view text) {
    for (const std::string_view tool :
         {"curl ", "wget ", "Invoke-WebRequest", "curl\t", "wget\t"}) {
        if (text.find(tool) != std::string_view::npos)
            return true;
    }
    return false;
}

}  // namespace

void review_makefile(std::string_view text, const UnitSpec& spec, Reviewer& reviewer) {
    // Recipe lines (tab-indented) are shell; $(shell ...) runs while make
    // reads the file, even for `make -n`.
    std::string recipes;
    ObservationLog log;
    uint32_t line = 1;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos)
            end = text.size();
        auto content = text.substr(start, end - start);
        if (content.starts_with('\t')) {
            content.remove_prefix(1);
            while (!content.empty() &&
                   (content[0] == '@' || content[0] == '-' || content[0] == '+'))
                content.remove_prefix(1);
            recipes += content;
        } else {
            for (size_t at = content.find("$(shell"); at != std::string_view::npos;
                 at = content.find("$(shell", at + 1)) {
                const auto command = balanced(content, at + 1).substr(5);
                if (mentions_fetcher(command)) {
                    log.observe(fixed_observation(
                        rules::kBuildFileFetches, Severity::low, unit_line(spec, line),
                        fmt::format("$(shell {}) fetches while make reads the file.",
                                    shorten(command))));
                }
                reviewer.shell_fragment(command, log, kModuleScope, unit_line(spec, line),
                                        static_cast<uint32_t>(at + 1), Trigger::build, spec);
            }
        }
        recipes.push_back('\n');
        if (end == text.size())
            break;
        start = end + 1;
        ++line;
    }
    log.emit(unit_of(spec), reviewer.context());
    reviewer.shell(recipes, spec);
}

void review_cmake(std::string_view text, const UnitSpec& spec, Reviewer& reviewer) {
    ObservationLog log;
    for (const std::string_view command : {"execute_process(", "EXECUTE_PROCESS("}) {
        for (size_t at = text.find(command); at != std::string_view::npos;
             at = text.find(command, at + 1)) {
            const auto body = balanced(text, at + command.size() - 1);
            const uint32_t line =
                unit_line(spec, 1 + static_cast<uint32_t>(std::count(
                                        text.begin(), text.begin() + static_cast<long>(at), '\n')));
            if (mentions_fetcher(body)) {
                log.observe(fixed_observation(
                    rules::kBuildFileFetches, Severity::low, line,
                    fmt::format("execute_process fetches at configure time: {}.", shorten(body))));
            }
            std::string script(body);
            for (const std::string_view keyword :
                 {"COMMAND", "WORKING_DIRECTORY", "OUTPUT_VARIABLE", "RESULT_VARIABLE"}) {
                for (size_t k = script.find(keyword); k != std::string::npos;
                     k = script.find(keyword, k + 1))
                    script.replace(k, keyword.size(), keyword == "COMMAND" ? ";" : " ");
            }
            reviewer.shell_fragment(script, log, kModuleScope, line, 1, Trigger::build, spec);
        }
    }
    for (const std::string_view command : {"file(DOWNLOAD", "FILE(DOWNLOAD"}) {
        for (size_t at = text.find(command); at != std::string_view::npos;
             at = text.find(command, at + 1)) {
            const uint32_t line =
                unit_line(spec, 1 + static_cast<uint32_t>(std::count(
                                        text.begin(), text.begin() + static_cast<long>(at), '\n')));
            const auto body = balanced(text, at + 4);
            if (body.find("EXPECTED_HASH") != std::string_view::npos ||
                body.find("EXPECTED_MD5") != std::string_view::npos)
                continue;
            log.observe(fixed_observation(
                rules::kBuildFileFetches, Severity::low, line,
                fmt::format("file(DOWNLOAD) fetches without EXPECTED_HASH: {}.", shorten(body))));
        }
    }
    log.emit(unit_of(spec), reviewer.context());
}

void review_binding_gyp(std::string_view text, const UnitSpec& spec, Reviewer& reviewer) {
    ObservationLog log;
    bool expansions = false;
    for (const std::string_view marker : {"<!(", "<!@("}) {
        for (size_t at = text.find(marker); at != std::string_view::npos;
             at = text.find(marker, at + 1)) {
            expansions = true;
            const uint32_t line =
                unit_line(spec, 1 + static_cast<uint32_t>(std::count(
                                        text.begin(), text.begin() + static_cast<long>(at), '\n')));
            const auto command = balanced(text, at + marker.size() - 1);
            log.observe(fixed_observation(
                rules::kBindingGyp, Severity::medium, line,
                fmt::format("node-gyp runs `{}` while configuring the build.", shorten(command))));
            reviewer.shell_fragment(command, log, kModuleScope, line, 1, Trigger::install, spec);
        }
    }
    // gyp files are Python literals: either quote style is valid.
    const std::string_view actions =
        text.find("'actions'") != std::string_view::npos ? "'actions'" : "\"actions\"";
    if (!expansions && text.find(actions) != std::string_view::npos) {
        log.observe(fixed_observation(rules::kBindingGyp, Severity::low,
                                      unit_line(spec, line_of_text(text, actions)),
                                      "binding.gyp declares build actions that run commands."));
    }
    log.emit(unit_of(spec), reviewer.context());
}

}  // namespace hazmat::code
