#include "scan/deps/install_commands.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>

#include "scan/deps/json_document.hpp"
#include "scan/deps/parsers.hpp"
#include "scan/deps/python_requirement.hpp"
#include "scan/deps/shell_words.hpp"
#include "scan/deps/text.hpp"

namespace hazmat::deps {

namespace {

// A command line to examine, with the file line where each of its
// characters came from (continuations join several lines into one).
struct CommandText {
    std::string text;
    std::vector<std::pair<size_t, uint32_t>> line_starts;  // (offset in text, file line)

    uint32_t line_at(size_t offset) const {
        uint32_t line = line_starts.empty() ? 0 : line_starts.front().second;
        for (const auto& [start, number] : line_starts) {
            if (start > offset)
                break;
            line = number;
        }
        return line;
    }
};

CommandText single(std::string_view text, uint32_t line) {
    return {std::string(text), {{0, line}}};
}

bool ends_with_continuation(std::string_view line) {
    size_t backslashes = 0;
    while (backslashes < line.size() && line[line.size() - 1 - backslashes] == '\\')
        ++backslashes;
    return backslashes % 2 == 1;
}

// Joins backslash-continued lines of a shell script or Dockerfile.
std::vector<CommandText> logical_lines(const std::vector<Line>& lines, bool skip_comments) {
    std::vector<CommandText> result;
    CommandText current;
    bool continuing = false;
    for (const auto& line : lines) {
        const auto trimmed = trim(line.text);
        // Dockerfiles allow comment lines inside a continued RUN instruction.
        if (skip_comments && trimmed.starts_with('#'))
            continue;
        if (!continuing)
            current = CommandText{};
        current.line_starts.emplace_back(current.text.size(), line.number);
        if (ends_with_continuation(line.text)) {
            current.text += line.text.substr(0, line.text.size() - 1);
            current.text += ' ';
            continuing = true;
            continue;
        }
        current.text += line.text;
        continuing = false;
        result.push_back(std::move(current));
    }
    if (continuing)
        result.push_back(std::move(current));
    return result;
}

bool is_pip(std::string_view word) {
    return word == "pip" || word == "pip3" ||
           (word.starts_with("pip3.") && word.size() <= 7 &&
            std::all_of(word.begin() + 5, word.end(), [](char c) { return c >= '0' && c <= '9'; }));
}

bool is_python(std::string_view word) {
    return word == "python" || word == "python3" ||
           (word.starts_with("python3.") && word.size() <= 10 &&
            std::all_of(word.begin() + 8, word.end(), [](char c) { return c >= '0' && c <= '9'; }));
}

enum class Installer { none, pip, poetry_add, npm };

// Options of `pip install` (and of pip itself) that take a value.
bool pip_option_takes_value(std::string_view option) {
    static constexpr std::string_view kWithValue[] = {
        "-r",
        "--requirement",
        "-c",
        "--constraint",
        "-e",
        "--editable",
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "--trusted-host",
        "-t",
        "--target",
        "--prefix",
        "--root",
        "--platform",
        "--python-version",
        "--implementation",
        "--abi",
        "--upgrade-strategy",
        "--src",
        "--progress-bar",
        "--log",
        "--proxy",
        "--retries",
        "--timeout",
        "--cache-dir",
        "--exists-action",
        "--cert",
        "--client-cert",
        "--global-option",
        "-C",
        "--config-settings",
        "--no-binary",
        "--only-binary",
        "--report",
        "--python",
        "--keyring-provider",
        "--root-user-action",
        "--use-feature",
        "--use-deprecated",
        "--index",
        "--default-index",
        "--group",
        "--extra",
        "--optional",
        "--source",
        "--with",
        "--dev-group",
    };
    return std::find(std::begin(kWithValue), std::end(kWithValue), option) != std::end(kWithValue);
}

bool npm_option_takes_value(std::string_view option) {
    static constexpr std::string_view kWithValue[] = {
        "--registry", "--prefix",  "--tag",    "-w",           "--workspace",
        "--omit",     "--include", "--cache",  "--userconfig", "--save-prefix",
        "--loglevel", "--scope",   "--filter", "-F",           "--dir",
        "-C",
    };
    return std::find(std::begin(kWithValue), std::end(kWithValue), option) != std::end(kWithValue);
}

class CommandReader {
  public:
    explicit CommandReader(Manifest& manifest) : manifest_(manifest) {}

    void read(const CommandText& command) {
        auto words = split_shell_words(command.text);
        if (!words) {
            spdlog::debug("line {}: {}", command.line_at(0), words.error().message);
            return;
        }
        const auto& w = *words;
        bool command_start = true;
        for (size_t i = 0; i < w.size(); ++i) {
            if (w[i].is_operator) {
                command_start = true;
                continue;
            }
            // Only a word in command position runs a program: "echo pip
            // install x" installs nothing.
            if (!command_start)
                continue;
            if (is_command_prefix(w[i].text))
                continue;
            command_start = false;
            size_t next = i;
            const auto installer = recognise(w, i, next);
            if (installer == Installer::none)
                continue;
            i = read_arguments(w, next, installer, command) - 1;
        }
    }

  private:
    // Words that run the next word as a command (or set its environment),
    // and Docker's RUN instruction.
    static bool is_command_prefix(std::string_view word) {
        static constexpr std::string_view kPrefixes[] = {"sudo",  "env",  "exec",    "time",
                                                         "nohup", "nice", "command", "RUN",
                                                         "run",   "-E",   "-H",      "--"};
        if (std::find(std::begin(kPrefixes), std::end(kPrefixes), word) != std::end(kPrefixes))
            return true;
        // VAR=value assignments before a command.
        const auto equals = word.find('=');
        return equals != std::string_view::npos && equals > 0 &&
               std::all_of(
                   word.begin(), word.begin() + static_cast<std::ptrdiff_t>(equals),
                   [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
    }

    static std::string_view word_at(const std::vector<ShellWord>& words, size_t i) {
        return i < words.size() && !words[i].is_operator ? std::string_view(words[i].text)
                                                         : std::string_view();
    }

    // Whether words[i...] start an install command; `next` receives the
    // index of its first argument.
    static Installer recognise(const std::vector<ShellWord>& words, size_t i, size_t& next) {
        const auto program = base_name(words[i].text);
        size_t j = i + 1;
        if (is_python(program) && word_at(words, j) == "-m" && is_pip(word_at(words, j + 1)))
            j += 2;
        else if (program == "uv" && word_at(words, j) == "pip")
            j += 1;
        else if (program == "uv" || program == "poetry" || program == "pdm") {
            if (word_at(words, j) == "add") {
                next = j + 1;
                return program == "uv" ? Installer::pip : Installer::poetry_add;
            }
            return Installer::none;
        } else if (program == "pipx") {
            if (word_at(words, j) != "install")
                return Installer::none;
            next = j + 1;
            return Installer::pip;
        } else if (program == "npm" || program == "pnpm" || program == "yarn" || program == "bun") {
            static constexpr std::string_view kNpmInstall[] = {
                "install", "i", "add", "isntall", "in", "ins", "inst", "insta", "instal"};
            auto sub = word_at(words, j);
            if (program == "yarn" && sub == "global")
                sub = word_at(words, ++j);
            if (std::find(std::begin(kNpmInstall), std::end(kNpmInstall), sub) ==
                std::end(kNpmInstall))
                return Installer::none;
            next = j + 1;
            return Installer::npm;
        } else if (!is_pip(program)) {
            return Installer::none;
        }
        // pip's own options may precede the subcommand ("pip -q install").
        while (word_at(words, j).starts_with('-')) {
            const auto option = word_at(words, j);
            j += (pip_option_takes_value(option) && option.find('=') == std::string_view::npos) ? 2
                                                                                                : 1;
        }
        if (word_at(words, j) != "install")
            return Installer::none;
        next = j + 1;
        return Installer::pip;
    }

    size_t read_arguments(const std::vector<ShellWord>& words, size_t i, Installer installer,
                          const CommandText& command) {
        for (; i < words.size() && !words[i].is_operator; ++i) {
            const std::string_view word = words[i].text;
            const uint32_t line = command.line_at(words[i].offset);
            if (word.starts_with('-')) {
                i = read_option(words, i, installer, line);
                continue;
            }
            add_package(word, installer, line);
        }
        return i;
    }

    size_t read_option(const std::vector<ShellWord>& words, size_t i, Installer installer,
                       uint32_t line) {
        std::string_view option = words[i].text;
        std::string value;
        bool has_value = false;
        if (const auto equals = option.find('='); equals != std::string_view::npos) {
            value = std::string(option.substr(equals + 1));
            option = option.substr(0, equals);
            has_value = true;
        }
        const bool takes_value = installer == Installer::npm ? npm_option_takes_value(option)
                                                             : pip_option_takes_value(option);
        if (!takes_value)
            return i;
        if (!has_value && i + 1 < words.size() && !words[i + 1].is_operator) {
            value = words[++i].text;
            has_value = true;
        }
        if (!has_value)
            return i;
        if (option == "--registry")
            add_index(Ecosystem::npm, PackageIndex::Role::primary, value, line);
        else if (option == "-i" || option == "--index-url" || option == "--default-index")
            add_index(Ecosystem::pypi, PackageIndex::Role::primary, value, line);
        else if (option == "--extra-index-url" || option == "--index")
            add_index(Ecosystem::pypi, PackageIndex::Role::extra, value, line);
        else if (option == "-f" || option == "--find-links")
            add_index(Ecosystem::pypi, PackageIndex::Role::find_links, value, line);
        else if (option == "--trusted-host")
            add_index(Ecosystem::pypi, PackageIndex::Role::trusted_host, value, line);
        else if ((option == "-e" || option == "--editable") && installer == Installer::pip)
            add_package(value, installer, line);
        return i;
    }

    void add_index(Ecosystem ecosystem, PackageIndex::Role role, std::string url, uint32_t line) {
        PackageIndex index;
        index.ecosystem = ecosystem;
        index.role = role;
        index.url = std::move(url);
        // pip merges every index it is given; so does uv with --index and
        // --extra-index-url when they are searched for the same package.
        index.merged = role == PackageIndex::Role::extra || role == PackageIndex::Role::find_links;
        index.verify_tls = role != PackageIndex::Role::trusted_host;
        index.line = line;
        manifest_.indexes.push_back(std::move(index));
    }

    static bool is_local_project(std::string_view word) {
        const auto lowered = lower(word);
        const bool archive = lowered.ends_with(".whl") || lowered.ends_with(".tar.gz") ||
                             lowered.ends_with(".zip") || lowered.ends_with(".tgz");
        return !archive &&
               (word == "." || word == ".." || word.starts_with("./") || word.starts_with("../") ||
                word.starts_with("/") || word.starts_with(".["));
    }

    void add_package(std::string_view word, Installer installer, uint32_t line) {
        // A variable or command substitution cannot be known without running
        // the command.
        if (word.empty() || word.find('$') != std::string_view::npos || is_local_project(word))
            return;
        std::optional<Dependency> dependency;
        if (installer == Installer::npm) {
            dependency = npm_package(word);
        } else if (installer == Installer::poetry_add && !looks_like_url(word) &&
                   word.find('@') != std::string_view::npos) {
            // Poetry spells "name@^1.2".
            const auto at = word.find('@');
            auto parsed = python_dependency(word.substr(0, at));
            if (parsed) {
                parsed->requirement = std::string(word.substr(at + 1));
                dependency = std::move(parsed).value();
            }
        } else {
            auto parsed = python_requirement_or_reference(word);
            if (parsed)
                dependency = std::move(parsed).value();
            else
                spdlog::debug("line {}: '{}' is not a requirement: {}", line, word,
                              parsed.error().message);
        }
        if (!dependency || dependency->name.empty())
            return;
        dependency->line = line;
        dependency->group = "install-command";
        manifest_.dependencies.push_back(std::move(*dependency));
    }

    static Dependency npm_package(std::string_view spec) {
        const bool named = !spec.starts_with("github:") && !spec.starts_with("git") &&
                           spec.find("://") == std::string_view::npos &&
                           !spec.starts_with("file:") && spec.find('/') == std::string_view::npos;
        const bool scoped = spec.starts_with('@');
        if (named || scoped) {
            const auto at = spec.rfind('@');
            if (at == std::string_view::npos || at == 0)
                return npm_dependency(spec, "");
            return npm_dependency(spec.substr(0, at), spec.substr(at + 1));
        }
        // "github:user/repo#ref", a URL or "user/repo": named after the repository.
        auto name = base_name(spec.substr(0, spec.find('#')));
        if (name.ends_with(".git"))
            name.remove_suffix(4);
        if (name.ends_with(".tgz"))
            name.remove_suffix(4);
        return npm_dependency(name, spec);
    }

    Manifest& manifest_;
};

// A documentation line that shows a command: "$ pip install x", "> npm i
// x", or a line that starts with an installer.
std::optional<std::string_view> prompt_command(std::string_view line) {
    auto text = trim(line);
    for (const std::string_view prompt : {"$ ", "> ", "% ", "!", "%"}) {
        if (text.starts_with(prompt)) {
            text = trim(text.substr(prompt.size()));
            break;
        }
    }
    for (const std::string_view start : {"pip", "python", "uv ", "poetry ", "pdm ", "pipx ", "npm ",
                                         "pnpm ", "yarn ", "bun ", "sudo "}) {
        if (text.starts_with(start))
            return text;
    }
    return std::nullopt;
}

void read_markdown(const std::vector<Line>& lines, CommandReader& reader,
                   const std::function<uint32_t(uint32_t)>& to_file_line) {
    bool in_fence = false;
    std::string fence;
    std::vector<Line> block;
    const auto flush_block = [&] {
        for (auto command : logical_lines(block, false)) {
            for (auto& [offset, number] : command.line_starts)
                number = to_file_line(number);
            reader.read(command);
        }
        block.clear();
    };
    for (const auto& line : lines) {
        const auto trimmed = trim(line.text);
        if (trimmed.starts_with("```") || trimmed.starts_with("~~~")) {
            if (!in_fence) {
                in_fence = true;
                fence = std::string(trimmed.substr(0, 3));
            } else if (trimmed.starts_with(fence)) {
                in_fence = false;
                flush_block();
            }
            continue;
        }
        if (in_fence) {
            // Shell prompts shown in front of commands are not part of them.
            auto text = line.text;
            const auto start = text.size() - trim_left(text).size();
            for (const std::string_view prompt : {"$ ", "% "}) {
                if (text.substr(start).starts_with(prompt))
                    text = text.substr(start + prompt.size());
            }
            block.push_back({line.number, text});
            continue;
        }
        // Inline code spans: "Run `pip install x` first."
        size_t start = line.text.find('`');
        bool spans = false;
        while (start != std::string_view::npos) {
            const auto end = line.text.find('`', start + 1);
            if (end == std::string_view::npos)
                break;
            const auto span = line.text.substr(start + 1, end - start - 1);
            if (const auto command = prompt_command(span)) {
                reader.read(single(*command, to_file_line(line.number)));
                spans = true;
            }
            start = line.text.find('`', end + 1);
        }
        if (spans)
            continue;
        if (const auto command = prompt_command(line.text))
            reader.read(single(*command, to_file_line(line.number)));
    }
    if (in_fence)
        flush_block();
}

// RUN ["pip", "install", "x"]: the exec form is a JSON array of words.
bool read_exec_form(const CommandText& command, CommandReader& reader) {
    const auto trimmed = trim(command.text);
    if (!istarts_with(trimmed, "run"))
        return false;
    const auto rest = trim(trimmed.substr(3));
    if (!rest.starts_with('['))
        return false;
    const auto array = nlohmann::json::parse(rest, nullptr, false);
    if (!array.is_array())
        return false;
    CommandText joined = command;
    joined.text.clear();
    for (const auto& word : array) {
        if (!word.is_string())
            return false;
        // Quote each word so the shell split gives exactly these words back.
        std::string quoted = "'";
        for (const char c : word.get<std::string>())
            quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
        joined.text += quoted + "' ";
    }
    reader.read(joined);
    return true;
}

void read_notebook(std::string_view text, CommandReader& reader, Manifest& manifest) {
    auto document = JsonDocument::parse(text);
    if (!document) {
        manifest.issues.push_back(
            {0, fmt::format("notebook is not valid JSON: {}", document.error().message), {}});
        return;
    }
    const auto& root = document->root();
    const auto cells = root.is_object() ? root.find("cells") : root.end();
    if (!root.is_object() || cells == root.end() || !cells->is_array())
        return;
    for (const auto& cell : *cells) {
        if (!cell.is_object())
            continue;
        const auto source = cell.find("source");
        if (source == cell.end())
            continue;
        // Lines of the cell and the notebook line each comes from.
        std::string joined;
        std::vector<uint32_t> file_lines;
        if (source->is_array()) {
            for (size_t i = 0; i < source->size(); ++i) {
                if (!(*source)[i].is_string())
                    continue;
                const auto piece = (*source)[i].get<std::string>();
                const auto first = document->line_of(*source, i);
                for (size_t k = 0; k < std::max<size_t>(1, split_lines(piece).size()); ++k)
                    file_lines.push_back(first);
                joined += piece;
                if (!piece.ends_with('\n'))
                    joined += '\n';
            }
        } else if (source->is_string()) {
            joined = source->get<std::string>();
            file_lines.assign(split_lines(joined).size(), document->line_of(cell, "source"));
        }
        const auto to_file_line = [&](uint32_t cell_line) {
            return cell_line >= 1 && cell_line <= file_lines.size() ? file_lines[cell_line - 1]
                                                                    : 0u;
        };
        const auto lines = split_lines(joined);
        const auto type = cell.value("cell_type", "");
        if (type == "markdown") {
            read_markdown(lines, reader, to_file_line);
            continue;
        }
        if (type != "code")
            continue;
        const bool shell_cell = !lines.empty() && (trim(lines.front().text).starts_with("%%bash") ||
                                                   trim(lines.front().text).starts_with("%%sh"));
        for (const auto& line : lines) {
            const auto trimmed = trim(line.text);
            if (shell_cell || trimmed.starts_with('!') || trimmed.starts_with('%'))
                if (const auto command = prompt_command(trimmed); command || shell_cell)
                    reader.read(single(command.value_or(trimmed), to_file_line(line.number)));
        }
    }
}

}  // namespace

Manifest extract_install_commands(std::string_view text, CommandSource source) {
    Manifest manifest;
    CommandReader reader(manifest);
    switch (source) {
        case CommandSource::shell:
            manifest.format = "shell script";
            for (const auto& command : logical_lines(split_lines(text), false))
                reader.read(command);
            break;
        case CommandSource::dockerfile:
            manifest.format = "Dockerfile";
            for (const auto& command : logical_lines(split_lines(text), true)) {
                if (!read_exec_form(command, reader))
                    reader.read(command);
            }
            break;
        case CommandSource::markdown:
            manifest.format = "documentation";
            manifest.documentation = true;
            read_markdown(split_lines(text), reader, [](uint32_t line) { return line; });
            break;
        case CommandSource::notebook:
            manifest.format = "notebook";
            manifest.documentation = true;
            read_notebook(text, reader, manifest);
            break;
    }
    return manifest;
}

}  // namespace hazmat::deps
