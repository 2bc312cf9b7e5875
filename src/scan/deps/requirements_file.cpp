#include "scan/deps/requirements_file.hpp"

#include <fmt/format.h>

#include <set>

#include "scan/deps/python_requirement.hpp"
#include "scan/deps/shell_words.hpp"
#include "scan/deps/text.hpp"

namespace hazmat::deps {

namespace {

constexpr size_t kMaxIncludeDepth = 16;

enum class Action {
    index_url,
    extra_index_url,
    find_links,
    trusted_host,
    requirement,
    constraint,
    editable,
    hash,
    accepted,  // understood and irrelevant to what gets installed from where
};

struct OptionSpec {
    std::string_view short_name;  // "-r", or empty
    std::string_view long_name;   // "--requirement"
    bool takes_value;
    Action action;
    bool per_requirement;  // allowed after a requirement on the same line
};

// The options pip accepts in requirements files.
constexpr OptionSpec kOptions[] = {
    {"-i", "--index-url", true, Action::index_url, false},
    {"", "--extra-index-url", true, Action::extra_index_url, false},
    {"", "--no-index", false, Action::accepted, false},
    {"-c", "--constraint", true, Action::constraint, false},
    {"-r", "--requirement", true, Action::requirement, false},
    {"-e", "--editable", true, Action::editable, false},
    {"-f", "--find-links", true, Action::find_links, false},
    {"", "--no-binary", true, Action::accepted, false},
    {"", "--only-binary", true, Action::accepted, false},
    {"", "--prefer-binary", false, Action::accepted, false},
    {"", "--require-hashes", false, Action::accepted, false},
    {"", "--pre", false, Action::accepted, false},
    {"", "--trusted-host", true, Action::trusted_host, false},
    {"", "--use-feature", true, Action::accepted, false},
    {"", "--hash", true, Action::hash, true},
    {"", "--global-option", true, Action::accepted, true},
    {"", "--install-option", true, Action::accepted, true},
    {"-C", "--config-settings", true, Action::accepted, true},
};

const OptionSpec* find_option(std::string_view name) {
    for (const auto& option : kOptions) {
        if (name == option.long_name || (!option.short_name.empty() && name == option.short_name))
            return &option;
    }
    return nullptr;
}

struct ParsedOption {
    const OptionSpec* spec;
    std::string value;
};

// Reads "--name=value", "--name value", "-rvalue" and "-r value" forms.
Result<std::vector<ParsedOption>> parse_options(const std::vector<ShellWord>& words) {
    std::vector<ParsedOption> options;
    for (size_t i = 0; i < words.size(); ++i) {
        std::string_view word = words[i].text;
        std::string_view name = word;
        std::optional<std::string> value;
        if (word.starts_with("--")) {
            if (const auto equals = word.find('='); equals != std::string_view::npos) {
                name = word.substr(0, equals);
                value = std::string(word.substr(equals + 1));
            }
        } else if (word.starts_with('-') && word.size() > 2) {
            name = word.substr(0, 2);
            value = std::string(word.substr(2));
        } else if (!word.starts_with('-')) {
            return Error{fmt::format("unexpected '{}'", word)};
        }
        const auto* spec = find_option(name);
        if (spec == nullptr)
            return Error{fmt::format("pip does not accept the option '{}' here", name)};
        if (spec->takes_value && !value) {
            if (i + 1 >= words.size())
                return Error{fmt::format("option '{}' needs a value", name)};
            value = words[++i].text;
        } else if (!spec->takes_value && value) {
            return Error{fmt::format("option '{}' takes no value", name)};
        }
        options.push_back({spec, value.value_or("")});
    }
    return options;
}

// pip splits a line at the first space-separated token that starts with
// '-': the part before is the requirement, the rest its options.
std::pair<std::string_view, std::string_view> split_requirement_options(std::string_view line) {
    size_t position = 0;
    while (position < line.size()) {
        const bool token_start = position == 0 || line[position - 1] == ' ';
        if (token_start && line[position] == '-')
            return {trim(line.substr(0, position)), line.substr(position)};
        ++position;
    }
    return {trim(line), {}};
}

Result<Dependency> requirement_from(std::string_view text) {
    return python_requirement_or_reference(text);
}

void add_index(Manifest& manifest, PackageIndex::Role role, std::string url, uint32_t line) {
    PackageIndex index;
    index.ecosystem = Ecosystem::pypi;
    index.role = role;
    index.url = std::move(url);
    // pip collects candidates from every index and find-links location and
    // installs the highest version, whichever index it came from.
    index.merged = role == PackageIndex::Role::extra || role == PackageIndex::Role::find_links;
    index.verify_tls = role != PackageIndex::Role::trusted_host;
    index.line = line;
    manifest.indexes.push_back(std::move(index));
}

void issue(Manifest& manifest, uint32_t line, std::string message) {
    manifest.issues.push_back({line, std::move(message), {}});
}

void apply_option_line(const std::vector<ParsedOption>& options, uint32_t line,
                       Manifest& manifest) {
    for (const auto& option : options) {
        switch (option.spec->action) {
            case Action::index_url:
                add_index(manifest, PackageIndex::Role::primary, option.value, line);
                break;
            case Action::extra_index_url:
                add_index(manifest, PackageIndex::Role::extra, option.value, line);
                break;
            case Action::find_links:
                add_index(manifest, PackageIndex::Role::find_links, option.value, line);
                break;
            case Action::trusted_host:
                add_index(manifest, PackageIndex::Role::trusted_host, option.value, line);
                break;
            case Action::requirement:
            case Action::constraint:
                manifest.includes.push_back(
                    {option.value, line, option.spec->action == Action::constraint, false, {}, {}});
                break;
            case Action::editable: {
                auto dependency = requirement_from(option.value);
                if (!dependency) {
                    issue(manifest, line, dependency.error().message);
                    break;
                }
                dependency->line = line;
                manifest.dependencies.push_back(std::move(dependency).value());
                break;
            }
            case Action::hash:
                issue(manifest, line, "'--hash' without a requirement on the same line");
                break;
            case Action::accepted:
                break;
        }
    }
}

// pip: a line ending in a backslash continues on the next one, unless it
// is a comment; the joined line keeps the number of its first line.
std::vector<Line> join_continuations(const std::vector<Line>& lines, std::string& storage) {
    // `storage` owns joined text; reserve so views into it stay valid.
    size_t total = 0;
    for (const auto& line : lines)
        total += line.text.size();
    storage.reserve(total + lines.size() + 1);
    std::vector<Line> joined;
    std::optional<uint32_t> first;
    size_t start = 0;
    for (const auto& line : lines) {
        const bool comment = trim_left(line.text).starts_with('#');
        if (line.text.ends_with('\\') && !comment) {
            if (!first) {
                first = line.number;
                start = storage.size();
            }
            auto piece = line.text;
            while (piece.ends_with('\\'))
                piece.remove_suffix(1);
            storage += piece;
            continue;
        }
        if (first) {
            storage += comment ? std::string(" ") + std::string(line.text) : std::string(line.text);
            joined.push_back({*first, std::string_view(storage).substr(start)});
            first.reset();
            continue;
        }
        joined.push_back(line);
    }
    if (first)
        joined.push_back({*first, std::string_view(storage).substr(start)});
    return joined;
}

// "#" starts a comment at the start of a line or after whitespace.
std::string_view strip_comment(std::string_view line) {
    for (size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '#' && (i == 0 || is_space(line[i - 1])))
            return trim(line.substr(0, i));
    }
    return trim(line);
}

class RequirementsParser {
  public:
    RequirementsParser(const IncludeResolver* resolver, Manifest& manifest)
        : resolver_(resolver), manifest_(manifest) {}

    void parse_file(std::string_view text, std::string_view display, std::string identity,
                    size_t depth) {
        visited_.insert(std::move(identity));
        Manifest local;
        std::string storage;
        for (const auto& line : join_continuations(split_lines(text), storage))
            parse_requirements_line(line.text, line.number, local);
        absorb(local, depth == 0 ? std::string() : std::string(display));
        for (const auto& include : local.includes)
            follow(include, display, depth);
    }

  private:
    // Moves one file's results into the combined manifest, naming the file
    // for everything that came from an included one.
    void absorb(Manifest& local, const std::string& file) {
        for (auto& dependency : local.dependencies) {
            dependency.file = file;
            manifest_.dependencies.push_back(std::move(dependency));
        }
        for (auto& index : local.indexes) {
            index.file = file;
            manifest_.indexes.push_back(std::move(index));
        }
        for (auto& problem : local.issues) {
            problem.file = file;
            manifest_.issues.push_back(std::move(problem));
        }
    }

    void follow(Include include, std::string_view from, size_t depth) {
        include.file = depth == 0 ? std::string() : std::string(from);
        const auto record = [&](std::string reason) {
            include.not_followed_because = std::move(reason);
            manifest_.includes.push_back(include);
        };
        if (resolver_ == nullptr)
            return record("included files are not available here");
        if (depth + 1 >= kMaxIncludeDepth)
            return record(fmt::format("includes nest deeper than {} levels", kMaxIncludeDepth));
        auto resolved = resolver_->resolve(from, include.path);
        if (!resolved)
            return record(resolved.error().message);
        if (visited_.contains(resolved->identity)) {
            include.followed = true;
            manifest_.includes.push_back(include);
            return;  // already read: a cycle or a diamond
        }
        include.followed = true;
        manifest_.includes.push_back(include);
        parse_file(resolved->text, resolved->display, resolved->identity, depth + 1);
    }

    const IncludeResolver* resolver_;
    Manifest& manifest_;
    std::set<std::string, std::less<>> visited_;
};

}  // namespace

void parse_requirements_line(std::string_view raw, uint32_t line_number, Manifest& manifest) {
    const auto line = strip_comment(raw);
    if (line.empty())
        return;
    const auto [requirement, option_text] = split_requirement_options(line);

    auto words = split_shell_words(option_text, {.operators = false, .comments = false});
    if (!words)
        return issue(manifest, line_number, words.error().message);
    auto options = parse_options(*words);
    if (!options)
        return issue(manifest, line_number, options.error().message);

    if (requirement.empty())
        return apply_option_line(*options, line_number, manifest);

    if (requirement.find("${") != std::string_view::npos)
        return issue(manifest, line_number,
                     fmt::format("'{}' depends on an environment variable; what it installs "
                                 "cannot be known from the file",
                                 requirement));
    auto dependency = requirement_from(requirement);
    if (!dependency)
        return issue(manifest, line_number, dependency.error().message);
    for (const auto& option : *options) {
        if (!option.spec->per_requirement)
            return issue(
                manifest, line_number,
                fmt::format("option '{}' cannot follow a requirement", option.spec->long_name));
        if (option.spec->action == Action::hash)
            dependency->hashed = true;
    }
    dependency->line = line_number;
    manifest.dependencies.push_back(std::move(dependency).value());
}

Manifest parse_requirements(std::string_view text, std::string_view display,
                            const IncludeResolver* resolver) {
    Manifest manifest;
    manifest.format = "requirements file";
    RequirementsParser parser(resolver, manifest);
    parser.parse_file(text, display, resolver ? resolver->identity(display) : std::string(display),
                      0);
    return manifest;
}

}  // namespace hazmat::deps
