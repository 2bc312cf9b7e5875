#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <functional>
#include <set>

#include "scan/deps/install_commands.hpp"
#include "scan/deps/json_document.hpp"
#include "scan/deps/parsers.hpp"
#include "scan/deps/python_requirement.hpp"
#include "scan/deps/semver.hpp"
#include "scan/deps/text.hpp"

// package.json, package-lock.json (v1 to v3), yarn.lock (v1 and berry),
// pnpm-lock.yaml and .npmrc.
namespace hazmat::deps {

namespace {

using nlohmann::json;

// "@scope/name@range" and "name@range": the version part starts at the
// last '@' that does not open a scope.
std::pair<std::string_view, std::string_view> split_name_at(std::string_view text) {
    const auto at = text.rfind('@');
    if (at == std::string_view::npos || at == 0)
        return {text, {}};
    return {text.substr(0, at), text.substr(at + 1)};
}

// Lockfile keys and resolutions ("name@range", "@scope/name@npm:1.0",
// "alias@npm:real@^1"): the name ends at the first '@' after a scope's.
std::pair<std::string_view, std::string_view> split_key(std::string_view text) {
    const auto at = text.find('@', 1);
    if (at == std::string_view::npos)
        return {text, {}};
    return {text.substr(0, at), text.substr(at + 1)};
}

bool is_hosted_git_shorthand(std::string_view spec) {
    // "user/repo" or "user/repo#ref": GitHub shorthand, as npm reads it.
    const auto hash = spec.find('#');
    const auto path = spec.substr(0, hash);
    const auto slash = path.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 >= path.size())
        return false;
    if (path.find('/', slash + 1) != std::string_view::npos)
        return false;
    return !path.starts_with('@') && !path.starts_with('.') &&
           path.find(':') == std::string_view::npos &&
           path.find_first_of(" <>=^~*") == std::string_view::npos;
}

bool is_git_url(std::string_view spec) {
    for (const std::string_view prefix :
         {"git+", "git://", "github:", "gitlab:", "bitbucket:", "gist:"}) {
        if (istarts_with(spec, prefix))
            return true;
    }
    if (!istarts_with(spec, "http://") && !istarts_with(spec, "https://"))
        return false;
    const auto path = spec.substr(0, spec.find('#'));
    if (lower(path).ends_with(".git"))
        return true;
    // A repository page on a known forge, not a tarball on it.
    for (const std::string_view host : {"://github.com/", "://gitlab.com/", "://bitbucket.org/"}) {
        if (path.find(host) != std::string_view::npos && !lower(path).ends_with(".tgz") &&
            !lower(path).ends_with(".tar.gz") && path.find("/archive/") == std::string_view::npos &&
            path.find("/tarball/") == std::string_view::npos)
            return true;
    }
    return false;
}

std::string host_of(std::string_view url) {
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos)
        return {};
    auto rest = url.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const auto at = rest.rfind('@'); at != std::string_view::npos)
        rest = rest.substr(at + 1);
    return lower(rest);
}

// Where a lockfile says a package was downloaded from.
void apply_resolved(std::string_view resolved, Dependency& dependency) {
    if (resolved.empty())
        return;
    if (is_git_url(resolved)) {
        dependency.source = SourceKind::git;
        dependency.url = std::string(resolved);
        if (const auto hash = resolved.find('#'); hash != std::string_view::npos)
            dependency.git_ref = std::string(resolved.substr(hash + 1));
        return;
    }
    if (istarts_with(resolved, "file:") || istarts_with(resolved, "link:")) {
        dependency.source = SourceKind::path;
        dependency.url = std::string(resolved);
        return;
    }
    // Registries serve tarballs at <registry>/<name>/-/<file>.tgz; anything
    // else is a tarball from wherever the URL points.
    // The registry is kept with its scheme (without any credentials in the
    // URL): a download over plain HTTP can be replaced on the way.
    if (resolved.find("/-/") != std::string_view::npos) {
        const auto scheme = resolved.find("://");
        dependency.index = scheme == std::string_view::npos
                               ? std::string()
                               : lower(resolved.substr(0, scheme + 3)) + host_of(resolved);
        return;
    }
    dependency.source = SourceKind::url;
    dependency.url = std::string(resolved);
}

Dependency npm_entry(std::string_view name) {
    Dependency dependency;
    dependency.ecosystem = Ecosystem::npm;
    dependency.name = std::string(name);
    dependency.normalized = normalize_name(Ecosystem::npm, name);
    return dependency;
}

void duplicate_issues(const JsonDocument& document, Manifest& manifest) {
    for (const auto& duplicate : document.duplicates())
        manifest.issues.push_back(
            {duplicate.line,
             fmt::format("key '{}' appears twice; tools disagree on which entry counts",
                         duplicate.key),
             {}});
}

std::optional<JsonDocument> parse_json(std::string_view text, Manifest& manifest) {
    auto document = JsonDocument::parse(text);
    if (!document) {
        manifest.issues.push_back(
            {0, fmt::format("not valid JSON: {}", document.error().message), {}});
        return std::nullopt;
    }
    duplicate_issues(*document, manifest);
    if (!document->root().is_object()) {
        manifest.issues.push_back({1, "the top level is not an object", {}});
        return std::nullopt;
    }
    return std::move(document).value();
}

// ---- package-lock.json ----

// What a lockfile entry says, however the lockfile version spells it.
struct LockEntry {
    std::string name;
    uint32_t line = 0;
    std::string version;
    std::string resolved;
    std::string real_name;  // "name" inside the entry: an alias's target
    bool integrity = false;
    bool dev = false;
    bool optional = false;
    bool link = false;
};

Dependency lock_dependency(const LockEntry& entry) {
    auto dependency = npm_entry(entry.name);
    dependency.line = entry.line;
    dependency.locked = true;
    if (entry.link) {
        // A link to a folder of the same repository (a workspace member).
        dependency.source = SourceKind::workspace;
        dependency.url = entry.resolved;
        return dependency;
    }
    // Version 1 lockfiles put the source in "version" for non-registry entries.
    if (semver::parse_version(entry.version)) {
        dependency.pinned = entry.version;
    } else if (entry.version.starts_with("npm:")) {
        const auto [target, exact] = split_name_at(std::string_view(entry.version).substr(4));
        dependency.source = SourceKind::alias;
        dependency.alias_of = std::string(target);
        dependency.pinned = std::string(exact);
    } else {
        apply_resolved(entry.version, dependency);
    }
    apply_resolved(entry.resolved, dependency);
    if (!entry.real_name.empty() && entry.real_name != entry.name) {
        dependency.source = SourceKind::alias;
        dependency.alias_of = entry.real_name;
    }
    dependency.hashed = entry.integrity;
    dependency.requirement = dependency.pinned.value_or("");
    if (entry.dev)
        dependency.group = "dev";
    else if (entry.optional)
        dependency.group = "optional";
    return dependency;
}

// Reads package-lock.json (v1 "dependencies" trees, v2/v3 "packages" maps)
// as a stream of JSON events: lockfiles of large monorepos run to tens of
// megabytes, and only a handful of fields per entry matter.
class PackageLockReader {
  public:
    PackageLockReader(const uint32_t& line, Manifest& manifest)
        : line_(line), manifest_(manifest) {}

    bool null() { return true; }
    bool boolean(bool value) {
        if (auto* entry = current_entry()) {
            const auto& key = frames_.back().key;
            if (key == "dev")
                entry->dev = value;
            else if (key == "optional")
                entry->optional = value;
            else if (key == "link")
                entry->link = value;
        }
        return true;
    }
    bool number_integer(json::number_integer_t value) { return number(value); }
    bool number_unsigned(json::number_unsigned_t value) {
        return number(static_cast<int64_t>(value));
    }
    bool number_float(json::number_float_t, const json::string_t&) { return true; }
    bool binary(json::binary_t&) { return true; }
    bool string(json::string_t& value) {
        if (auto* entry = current_entry()) {
            const auto& key = frames_.back().key;
            if (key == "version")
                entry->version = std::move(value);
            else if (key == "resolved")
                entry->resolved = std::move(value);
            else if (key == "name")
                entry->real_name = std::move(value);
            else if (key == "integrity")
                entry->integrity = true;
        }
        return true;
    }
    bool key(json::string_t& key) {
        auto& frame = frames_.back();
        frame.key = std::move(key);
        frame.key_line = line_;
        if (frame.kind == Kind::packages && !frame.seen.insert(frame.key).second)
            manifest_.issues.push_back(
                {line_,
                 fmt::format("key '{}' appears twice; tools disagree on which entry counts",
                             frame.key),
                 {}});
        return true;
    }
    bool start_object(std::size_t) {
        const Kind kind = frames_.empty() ? Kind::root : child_kind(frames_.back());
        if (kind == Kind::package_entry || kind == Kind::dependency_entry) {
            const auto& parent = frames_.back();
            LockEntry entry;
            entry.line = parent.key_line;
            entry.name = parent.key;
            if (kind == Kind::package_entry) {
                // "node_modules/a/node_modules/@s/b" is @s/b; "" is the
                // project itself and other paths are workspace folders.
                const auto marker = parent.key.rfind("node_modules/");
                entry.name =
                    marker == std::string::npos ? std::string() : parent.key.substr(marker + 13);
            }
            entries_.push_back(std::move(entry));
        }
        frames_.push_back({kind, {}, 0, {}});
        return true;
    }
    bool end_object() {
        const Kind kind = frames_.back().kind;
        frames_.pop_back();
        if (kind == Kind::package_entry || kind == Kind::dependency_entry) {
            auto entry = std::move(entries_.back());
            entries_.pop_back();
            if (!entry.name.empty())
                (kind == Kind::package_entry ? packages_ : tree_).push_back(lock_dependency(entry));
        }
        return true;
    }
    bool start_array(std::size_t) {
        frames_.push_back({Kind::ignored, {}, 0, {}});
        return true;
    }
    bool end_array() {
        frames_.pop_back();
        return true;
    }
    bool parse_error(std::size_t position, const std::string&,
                     const nlohmann::detail::exception& e) {
        error_position = position;
        error = e.what();
        return false;
    }

    // v2 and v3 lockfiles also carry the v1 tree for old npm versions; the
    // "packages" map is the one npm 7 and later install from.
    void finish(Manifest& manifest) {
        manifest.format = fmt::format("package-lock.json v{}", version_);
        manifest.dependencies = saw_packages_ ? std::move(packages_) : std::move(tree_);
    }

    std::size_t error_position = 0;
    std::string error;

  private:
    enum class Kind { root, packages, dependencies, package_entry, dependency_entry, ignored };
    struct Frame {
        Kind kind;
        std::string key;
        uint32_t key_line;
        std::set<std::string, std::less<>> seen;
    };

    Kind child_kind(const Frame& parent) {
        switch (parent.kind) {
            case Kind::root:
                if (parent.key == "packages") {
                    saw_packages_ = true;
                    return Kind::packages;
                }
                return parent.key == "dependencies" ? Kind::dependencies : Kind::ignored;
            case Kind::packages:
                return Kind::package_entry;
            case Kind::dependencies:
                return Kind::dependency_entry;
            case Kind::dependency_entry:
                return parent.key == "dependencies" ? Kind::dependencies : Kind::ignored;
            default:
                return Kind::ignored;
        }
    }

    LockEntry* current_entry() {
        const auto kind = frames_.back().kind;
        if (kind != Kind::package_entry && kind != Kind::dependency_entry)
            return nullptr;
        return &entries_.back();
    }

    bool number(int64_t value) {
        if (frames_.size() == 1 && frames_.back().key == "lockfileVersion")
            version_ = value;
        return true;
    }

    const uint32_t& line_;
    Manifest& manifest_;
    std::vector<Frame> frames_;
    std::vector<LockEntry> entries_;
    std::vector<Dependency> packages_;
    std::vector<Dependency> tree_;
    bool saw_packages_ = false;
    int64_t version_ = 1;
};

// ---- yarn.lock v1 ----

std::string unquote(std::string_view text) {
    text = trim(text);
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
        return std::string(text.substr(1, text.size() - 2));
    return std::string(text);
}

struct YarnEntry {
    std::vector<std::string> keys;
    uint32_t line = 0;
    std::string version, resolved;
    bool integrity = false;
};

void add_yarn_entry(const YarnEntry& entry, Manifest& manifest) {
    if (entry.keys.empty())
        return;
    const auto [name, range] = split_key(entry.keys.front());
    auto dependency = npm_entry(name);
    dependency.line = entry.line;
    dependency.locked = true;
    if (!entry.version.empty())
        dependency.pinned = entry.version;
    dependency.requirement = entry.version;
    // An alias key ("name@npm:real@^1") installs another package.
    if (range.starts_with("npm:")) {
        dependency.source = SourceKind::alias;
        dependency.alias_of = std::string(split_name_at(range.substr(4)).first);
    }
    apply_resolved(entry.resolved, dependency);
    dependency.hashed = entry.integrity || entry.resolved.find('#') != std::string::npos;
    manifest.dependencies.push_back(std::move(dependency));
}

Manifest parse_yarn_v1(std::string_view text) {
    Manifest manifest;
    manifest.format = "yarn.lock v1";
    manifest.lockfile = true;
    YarnEntry entry;
    for (const auto& line : split_lines(text)) {
        const auto trimmed = trim(line.text);
        if (trimmed.empty() || trimmed.starts_with('#'))
            continue;
        const bool top_level = !is_space(line.text.front());
        if (top_level) {
            add_yarn_entry(entry, manifest);
            entry = YarnEntry{};
            entry.line = line.number;
            if (!trimmed.ends_with(':')) {
                manifest.issues.push_back(
                    {line.number, fmt::format("'{}' is not an entry header", trimmed), {}});
                continue;
            }
            std::string_view keys = trimmed.substr(0, trimmed.size() - 1);
            while (!keys.empty()) {
                const auto comma = keys.find(',');
                entry.keys.push_back(unquote(keys.substr(0, comma)));
                if (comma == std::string_view::npos)
                    break;
                keys.remove_prefix(comma + 1);
            }
            continue;
        }
        // Fields of the entry are indented by two spaces; deeper lines
        // belong to its "dependencies:" lists.
        const size_t indent = line.text.size() - trim_left(line.text).size();
        if (indent != 2 || entry.keys.empty())
            continue;
        const auto space = trimmed.find(' ');
        const auto key = trimmed.substr(0, space);
        const auto value =
            space == std::string_view::npos ? std::string() : unquote(trimmed.substr(space + 1));
        if (key == "version")
            entry.version = value;
        else if (key == "resolved")
            entry.resolved = value;
        else if (key == "integrity")
            entry.integrity = true;
    }
    add_yarn_entry(entry, manifest);
    return manifest;
}

// ---- YAML lockfiles (yarn berry, pnpm) ----

std::optional<YAML::Node> load_yaml(std::string_view text, Manifest& manifest) {
    try {
        return YAML::Load(std::string(text));
    } catch (const YAML::Exception& error) {
        manifest.issues.push_back({static_cast<uint32_t>(error.mark.line + 1),
                                   fmt::format("not valid YAML: {}", error.msg),
                                   {}});
        return std::nullopt;
    }
}

uint32_t yaml_line(const YAML::Node& node) {
    return static_cast<uint32_t>(node.Mark().line + 1);
}

std::string scalar_at(const YAML::Node& map, std::string_view key) {
    if (!map.IsMap())
        return {};
    const auto value = map[std::string(key)];
    return value && value.IsScalar() ? value.Scalar() : std::string();
}

// Berry resolutions name a protocol: "lodash@npm:4.17.21",
// "x@https://github.com/u/r.git#commit=abc", "y@workspace:packages/y".
void apply_berry_resolution(std::string_view resolution, Dependency& dependency) {
    const auto reference = split_key(resolution).second;
    if (reference.starts_with("npm:") || reference.starts_with("patch:"))
        return;
    if (reference.starts_with("workspace:")) {
        dependency.source = SourceKind::workspace;
        return;
    }
    if (reference.starts_with("file:") || reference.starts_with("link:") ||
        reference.starts_with("portal:")) {
        dependency.source = SourceKind::path;
        dependency.url = std::string(reference);
        return;
    }
    if (is_git_url(reference)) {
        dependency.source = SourceKind::git;
        dependency.url = std::string(reference);
        if (const auto commit = reference.find("commit="); commit != std::string_view::npos)
            dependency.git_ref = std::string(reference.substr(commit + 7));
        return;
    }
    dependency.source = SourceKind::url;
    dependency.url = std::string(reference);
}

Manifest parse_yarn_berry(std::string_view text) {
    Manifest manifest;
    manifest.format = "yarn.lock (berry)";
    manifest.lockfile = true;
    const auto root = load_yaml(text, manifest);
    if (!root || !root->IsMap())
        return manifest;
    for (const auto& item : *root) {
        const auto key = item.first.Scalar();
        if (key == "__metadata" || !item.second.IsMap())
            continue;
        const auto first_key = trim(std::string_view(key).substr(0, key.find(',')));
        const auto name = split_key(first_key).first;
        auto dependency = npm_entry(name);
        dependency.line = yaml_line(item.first);
        dependency.locked = true;
        const auto version = scalar_at(item.second, "version");
        if (!version.empty())
            dependency.pinned = version;
        dependency.requirement = version;
        const auto resolution = scalar_at(item.second, "resolution");
        apply_berry_resolution(resolution, dependency);
        const auto resolved_name = split_key(resolution).first;
        if (!resolved_name.empty() && resolved_name != name) {
            dependency.source = SourceKind::alias;
            dependency.alias_of = std::string(resolved_name);
        }
        dependency.hashed = !scalar_at(item.second, "checksum").empty();
        manifest.dependencies.push_back(std::move(dependency));
    }
    return manifest;
}

// pnpm package keys: "/name/1.2.3" (v5), "/name@1.2.3(peer@1)" (v6),
// "name@1.2.3" (v9), with peer suffixes in parentheses or after '_'.
std::pair<std::string, std::string> pnpm_name_version(std::string_view key) {
    if (key.starts_with('/'))
        key.remove_prefix(1);
    if (const auto paren = key.find('('); paren != std::string_view::npos)
        key = key.substr(0, paren);
    const auto at = key.rfind('@');
    if (at != std::string_view::npos && at > 0)
        return {std::string(key.substr(0, at)), std::string(key.substr(at + 1))};
    const auto slash = key.rfind('/');
    if (slash == std::string_view::npos)
        return {std::string(key), {}};
    auto version = key.substr(slash + 1);
    if (const auto underscore = version.find('_'); underscore != std::string_view::npos)
        version = version.substr(0, underscore);
    return {std::string(key.substr(0, slash)), std::string(version)};
}

}  // namespace

Dependency npm_dependency(std::string_view name, std::string_view spec) {
    auto dependency = npm_entry(name);
    spec = trim(spec);
    dependency.requirement = std::string(spec);
    if (spec.starts_with("npm:")) {
        const auto [target, range] = split_name_at(spec.substr(4));
        dependency.source = SourceKind::alias;
        dependency.alias_of = std::string(target);
        dependency.requirement = std::string(range);
        return dependency;
    }
    if (spec.starts_with("workspace:")) {
        dependency.source = SourceKind::workspace;
        return dependency;
    }
    if (spec.starts_with("file:") || spec.starts_with("link:") || spec.starts_with("portal:") ||
        spec.starts_with("./") || spec.starts_with("../") || spec.starts_with("/") ||
        spec.starts_with("~/")) {
        dependency.source = SourceKind::path;
        dependency.url = std::string(spec);
        return dependency;
    }
    if (is_git_url(spec) || is_hosted_git_shorthand(spec)) {
        dependency.source = SourceKind::git;
        dependency.url = std::string(spec);
        if (const auto hash = spec.find('#'); hash != std::string_view::npos)
            dependency.git_ref = std::string(spec.substr(hash + 1));
        return dependency;
    }
    if (istarts_with(spec, "http://") || istarts_with(spec, "https://")) {
        dependency.source = SourceKind::url;
        dependency.url = std::string(spec);
        return dependency;
    }
    if (const auto range = semver::parse_range(spec)) {
        if (const auto pinned = range->pinned())
            dependency.pinned = pinned->to_string();
    }
    return dependency;
}

Manifest parse_package_json(std::string_view text) {
    Manifest manifest;
    manifest.format = "package.json";
    const auto document = parse_json(text, manifest);
    if (!document)
        return manifest;
    const auto& root = document->root();
    static constexpr std::pair<std::string_view, std::string_view> kSections[] = {
        {"dependencies", ""},
        {"devDependencies", "dev"},
        {"optionalDependencies", "optional"},
        {"peerDependencies", "peer"},
        {"overrides", "override"},
        {"resolutions", "override"},
    };
    for (const auto& [section, group] : kSections) {
        const auto entries = root.find(section);
        if (entries == root.end())
            continue;
        if (!entries->is_object()) {
            manifest.issues.push_back({document->line_of(root, section),
                                       fmt::format("'{}' is not an object", section),
                                       {}});
            continue;
        }
        for (const auto& [name, spec] : entries->items()) {
            if (!spec.is_string())
                continue;  // nested override objects
            // Yarn resolutions may name a path ("a/**/b"); the last name counts.
            const auto package = group == "override" && name.find("/**/") != std::string::npos
                                     ? name.substr(name.rfind("/**/") + 4)
                                     : name;
            auto dependency = npm_dependency(package, spec.get<std::string>());
            dependency.group = std::string(group);
            dependency.line = document->line_of(*entries, name);
            manifest.dependencies.push_back(std::move(dependency));
        }
    }
    // Scripts that install more packages ("postinstall": "pip install x").
    if (const auto scripts = root.find("scripts"); scripts != root.end() && scripts->is_object()) {
        for (const auto& [name, command] : scripts->items()) {
            if (!command.is_string())
                continue;
            auto extracted =
                extract_install_commands(command.get<std::string>(), CommandSource::shell);
            const auto line = document->line_of(*scripts, name);
            for (auto& dependency : extracted.dependencies) {
                dependency.line = line;
                dependency.group = fmt::format("script:{}", name);
                manifest.dependencies.push_back(std::move(dependency));
            }
            for (auto& index : extracted.indexes) {
                index.line = line;
                manifest.indexes.push_back(std::move(index));
            }
        }
    }
    return manifest;
}

Manifest parse_package_lock(std::string_view text) {
    Manifest manifest;
    manifest.lockfile = true;
    manifest.format = "package-lock.json";
    uint32_t line = 1;
    PackageLockReader reader(line, manifest);
    const LineCountingIterator begin(text.data(), &line);
    const LineCountingIterator end(text.data() + text.size(), &line);
    if (!json::sax_parse(begin, end, &reader)) {
        manifest.issues.push_back(
            {line_of_offset(text, reader.error_position),
             fmt::format("not valid JSON: line {}: {}", line_of_offset(text, reader.error_position),
                         reader.error),
             {}});
        return manifest;
    }
    reader.finish(manifest);
    return manifest;
}

Manifest parse_yarn_lock(std::string_view text) {
    // Berry lockfiles are YAML and start with a __metadata block.
    if (text.find("\n__metadata:") != std::string_view::npos || text.starts_with("__metadata:"))
        return parse_yarn_berry(text);
    return parse_yarn_v1(text);
}

Manifest parse_pnpm_lock(std::string_view text) {
    Manifest manifest;
    manifest.format = "pnpm-lock.yaml";
    manifest.lockfile = true;
    const auto root = load_yaml(text, manifest);
    if (!root || !root->IsMap())
        return manifest;
    const auto packages = (*root)["packages"];
    if (!packages || !packages.IsMap())
        return manifest;
    for (const auto& item : packages) {
        const auto [name, version] = pnpm_name_version(item.first.Scalar());
        auto dependency = npm_entry(name);
        dependency.line = yaml_line(item.first);
        dependency.locked = true;
        if (semver::parse_version(version))
            dependency.pinned = version;
        dependency.requirement = version;
        const auto& entry = item.second;
        if (entry.IsMap()) {
            const auto resolution = entry["resolution"];
            dependency.hashed = !scalar_at(resolution, "integrity").empty();
            if (const auto tarball = scalar_at(resolution, "tarball"); !tarball.empty())
                apply_resolved(tarball, dependency);
            if (const auto repo = scalar_at(resolution, "repo"); !repo.empty()) {
                dependency.source = SourceKind::git;
                dependency.url = repo;
                dependency.git_ref = scalar_at(resolution, "commit");
            }
            if (scalar_at(resolution, "type") == "directory")
                dependency.source = SourceKind::path;
            if (scalar_at(entry, "dev") == "true")
                dependency.group = "dev";
        }
        manifest.dependencies.push_back(std::move(dependency));
    }
    return manifest;
}

Manifest parse_npmrc(std::string_view text) {
    Manifest manifest;
    manifest.format = ".npmrc";
    for (const auto& line : split_lines(text)) {
        const auto trimmed = trim(line.text);
        if (trimmed.empty() || trimmed.starts_with('#') || trimmed.starts_with(';'))
            continue;
        const auto equals = trimmed.find('=');
        if (equals == std::string_view::npos)
            continue;
        const auto key = trim(trimmed.substr(0, equals));
        const auto value = unquote(trimmed.substr(equals + 1));
        PackageIndex index;
        index.ecosystem = Ecosystem::npm;
        index.line = line.number;
        if (key == "registry") {
            index.role = PackageIndex::Role::primary;
            index.url = value;
        } else if (key.starts_with('@') && key.ends_with(":registry")) {
            index.role = PackageIndex::Role::scoped;
            index.name = std::string(key.substr(0, key.size() - 9));
            index.url = value;
        } else if (key == "strict-ssl" && iequals(value, "false")) {
            index.role = PackageIndex::Role::trusted_host;
            index.url = "every registry (strict-ssl=false)";
            index.verify_tls = false;
        } else {
            continue;
        }
        manifest.indexes.push_back(std::move(index));
    }
    return manifest;
}

}  // namespace hazmat::deps
