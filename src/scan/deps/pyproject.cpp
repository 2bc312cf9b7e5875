#include <fmt/format.h>

#include "scan/deps/parsers.hpp"
#include "scan/deps/pep440.hpp"
#include "scan/deps/python_requirement.hpp"
#include "scan/deps/text.hpp"
#include "scan/deps/toml_support.hpp"

namespace hazmat::deps {

namespace {

using namespace toml_support;

void read_pep621(const toml::table& root, Manifest& manifest) {
    if (const auto* project = table_at(root, {"project"})) {
        if (const auto* dependencies = array_at(*project, "dependencies"))
            add_requirements(*dependencies, "", "project.dependencies", manifest);
        if (const auto* optional = table_at(*project, {"optional-dependencies"})) {
            for (const auto& [extra, node] : *optional) {
                if (const auto* array = node.as_array())
                    add_requirements(*array, fmt::format("optional:{}", extra.str()),
                                     fmt::format("project.optional-dependencies.{}", extra.str()),
                                     manifest);
            }
        }
    }
    if (const auto* build = table_at(root, {"build-system"})) {
        if (const auto* requires_ = array_at(*build, "requires"))
            add_requirements(*requires_, "build-system", "build-system.requires", manifest);
    }
    // PEP 735 dependency groups.
    if (const auto* groups = table_at(root, {"dependency-groups"})) {
        for (const auto& [group, node] : *groups) {
            if (const auto* array = node.as_array())
                add_requirements(*array, fmt::format("group:{}", group.str()),
                                 fmt::format("dependency-groups.{}", group.str()), manifest);
        }
    }
}

// One entry of a Poetry dependency table: "^1.2", or a table with
// version, git/branch/tag/rev, url, path, source, extras ...
void add_poetry_dependency(std::string_view name, const toml::node& value, std::string_view group,
                           Manifest& manifest) {
    if (iequals(name, "python"))
        return;  // the interpreter, not a package
    Dependency dependency;
    dependency.ecosystem = Ecosystem::pypi;
    dependency.name = std::string(name);
    dependency.normalized = normalize_name(Ecosystem::pypi, name);
    dependency.group = std::string(group);
    dependency.line = line_of(value);
    if (const auto* text = value.as_string()) {
        dependency.requirement = text->get();
    } else if (const auto* table = value.as_table()) {
        dependency.requirement = string_at(*table, "version").value_or("");
        if (const auto git = string_at(*table, "git")) {
            dependency.source = SourceKind::git;
            dependency.url = *git;
            for (const auto key : {"rev", "tag", "branch"}) {
                if (const auto ref = string_at(*table, key)) {
                    dependency.git_ref = *ref;
                    break;
                }
            }
        } else if (const auto url = string_at(*table, "url")) {
            dependency.source = SourceKind::url;
            dependency.url = *url;
        } else if (const auto path = string_at(*table, "path")) {
            dependency.source = SourceKind::path;
            dependency.url = *path;
        }
        dependency.index = string_at(*table, "source").value_or("");
    } else if (value.is_array()) {
        // Multiple-constraint form: one entry per environment marker.
        for (const auto& element : *value.as_array())
            add_poetry_dependency(name, element, group, manifest);
        return;
    } else {
        manifest.issues.push_back(
            {dependency.line,
             fmt::format("Poetry dependency '{}' has an unexpected value", name),
             {}});
        return;
    }
    if (const auto pep440 = poetry_constraint_as_pep440(dependency.requirement)) {
        if (pep440->starts_with("==") && pep440->find('*') == std::string::npos &&
            pep440->find(',') == std::string::npos)
            dependency.pinned = pep440->substr(2);
    }
    manifest.dependencies.push_back(std::move(dependency));
}

void add_poetry_table(const toml::table* table, std::string_view group, Manifest& manifest) {
    if (table == nullptr)
        return;
    for (const auto& [name, value] : *table)
        add_poetry_dependency(name.str(), value, group, manifest);
}

void read_poetry(const toml::table& root, Manifest& manifest) {
    const auto* poetry = table_at(root, {"tool", "poetry"});
    if (poetry == nullptr)
        return;
    add_poetry_table(table_at(*poetry, {"dependencies"}), "", manifest);
    add_poetry_table(table_at(*poetry, {"dev-dependencies"}), "dev", manifest);
    if (const auto* groups = table_at(*poetry, {"group"})) {
        for (const auto& [group, node] : *groups) {
            if (const auto* table = node.as_table())
                add_poetry_table(table_at(*table, {"dependencies"}),
                                 fmt::format("group:{}", group.str()), manifest);
        }
    }
    const auto* sources = array_at(*poetry, "source");
    if (sources == nullptr)
        return;
    for (const auto& node : *sources) {
        const auto* source = node.as_table();
        if (source == nullptr)
            continue;
        PackageIndex index;
        index.ecosystem = Ecosystem::pypi;
        index.name = string_at(*source, "name").value_or("");
        index.url = string_at(*source, "url").value_or("");
        index.line = line_of(node);
        auto priority = string_at(*source, "priority").value_or("");
        if (priority.empty())
            priority = bool_at(*source, "default").value_or(false)     ? "default"
                       : bool_at(*source, "secondary").value_or(false) ? "secondary"
                                                                       : "primary";
        // A supplemental or secondary source is searched after PyPI: a
        // public package of the same name wins over the private one.
        index.merged = priority == "supplemental" || priority == "secondary";
        index.role = index.merged ? PackageIndex::Role::extra : PackageIndex::Role::primary;
        if (priority == "explicit")
            index.role = PackageIndex::Role::scoped;
        if (!index.url.empty())
            manifest.indexes.push_back(std::move(index));
    }
}

void read_pdm(const toml::table& root, Manifest& manifest) {
    const auto* pdm = table_at(root, {"tool", "pdm"});
    if (pdm == nullptr)
        return;
    if (const auto* dev = table_at(*pdm, {"dev-dependencies"})) {
        for (const auto& [group, node] : *dev) {
            if (const auto* array = node.as_array())
                add_requirements(*array, fmt::format("dev:{}", group.str()),
                                 fmt::format("tool.pdm.dev-dependencies.{}", group.str()),
                                 manifest);
        }
    }
    // PDM collects candidates from every source unless told to respect
    // their order, so any extra source can be shadowed from PyPI.
    const auto* resolution = table_at(*pdm, {"resolution"});
    const bool ordered = resolution && bool_at(*resolution, "respect-source-order").value_or(false);
    if (const auto* sources = array_at(*pdm, "source")) {
        for (const auto& node : *sources) {
            const auto* source = node.as_table();
            if (source == nullptr)
                continue;
            PackageIndex index;
            index.ecosystem = Ecosystem::pypi;
            index.name = string_at(*source, "name").value_or("");
            index.url = string_at(*source, "url").value_or("");
            index.verify_tls = bool_at(*source, "verify_ssl").value_or(true);
            index.line = line_of(node);
            const bool find_links = string_at(*source, "type").value_or("index") == "find_links";
            const bool replaces_pypi = index.name == "pypi";
            index.role = find_links      ? PackageIndex::Role::find_links
                         : replaces_pypi ? PackageIndex::Role::primary
                                         : PackageIndex::Role::extra;
            index.merged = !replaces_pypi && !ordered;
            if (!index.url.empty())
                manifest.indexes.push_back(std::move(index));
        }
    }
}

void read_hatch(const toml::table& root, Manifest& manifest) {
    const auto* envs = table_at(root, {"tool", "hatch", "envs"});
    if (envs == nullptr)
        return;
    for (const auto& [env, node] : *envs) {
        const auto* table = node.as_table();
        if (table == nullptr)
            continue;
        for (const auto key : {"dependencies", "extra-dependencies"}) {
            if (const auto* array = array_at(*table, key))
                add_requirements(*array, fmt::format("hatch:{}", env.str()),
                                 fmt::format("tool.hatch.envs.{}.{}", env.str(), key), manifest);
        }
    }
}

void add_uv_index(std::string url, PackageIndex::Role role, bool merged, uint32_t line,
                  Manifest& manifest) {
    PackageIndex index;
    index.ecosystem = Ecosystem::pypi;
    index.role = role;
    index.url = std::move(url);
    index.merged = merged;
    index.line = line;
    manifest.indexes.push_back(std::move(index));
}

// `[tool.uv.sources]` says where one package comes from (Git, URL, path
// or a named index); it applies to the dependency of that name.
void apply_uv_source(std::string_view name, const toml::table& source, uint32_t line,
                     Manifest& manifest) {
    Dependency origin;
    origin.ecosystem = Ecosystem::pypi;
    origin.name = std::string(name);
    origin.normalized = normalize_name(Ecosystem::pypi, name);
    origin.line = line;
    origin.group = "uv-source";
    if (const auto git = string_at(source, "git")) {
        origin.source = SourceKind::git;
        origin.url = *git;
        for (const auto key : {"rev", "tag", "branch"}) {
            if (const auto ref = string_at(source, key)) {
                origin.git_ref = *ref;
                break;
            }
        }
    } else if (const auto url = string_at(source, "url")) {
        origin.source = SourceKind::url;
        origin.url = *url;
    } else if (const auto path = string_at(source, "path")) {
        origin.source = SourceKind::path;
        origin.url = *path;
    } else if (bool_at(source, "workspace").value_or(false)) {
        origin.source = SourceKind::workspace;
    } else if (const auto index = string_at(source, "index")) {
        origin.index = *index;
    } else {
        return;
    }
    bool applied = false;
    for (auto& dependency : manifest.dependencies) {
        if (dependency.normalized != origin.normalized)
            continue;
        dependency.source = origin.source;
        dependency.url = origin.url;
        dependency.git_ref = origin.git_ref;
        dependency.index = origin.index;
        applied = true;
    }
    if (!applied)
        manifest.dependencies.push_back(std::move(origin));
}

void read_uv(const toml::table& root, Manifest& manifest) {
    const auto* uv = table_at(root, {"tool", "uv"});
    if (uv == nullptr)
        return;
    for (const auto key :
         {"dev-dependencies", "constraint-dependencies", "override-dependencies"}) {
        if (const auto* array = array_at(*uv, key))
            add_requirements(*array, key == std::string_view("dev-dependencies") ? "dev" : key,
                             fmt::format("tool.uv.{}", key), manifest);
    }
    // uv's default strategy takes each package from the first index that
    // has it; the "unsafe" strategies merge indexes like pip does.
    const auto strategy = string_at(*uv, "index-strategy").value_or("first-index");
    const bool merged = strategy != "first-index";
    if (merged)
        manifest.merge_settings.emplace_back(line_of(*uv->get("index-strategy")),
                                             fmt::format("index-strategy = \"{}\"", strategy));
    if (const auto url = string_at(*uv, "index-url"))
        add_uv_index(*url, PackageIndex::Role::primary, false, line_of(*uv->get("index-url")),
                     manifest);
    for (const auto key : {"extra-index-url", "find-links"}) {
        if (const auto* array = array_at(*uv, key)) {
            for (const auto& element : *array) {
                if (const auto* text = element.as_string())
                    add_uv_index(text->get(),
                                 key == std::string_view("find-links")
                                     ? PackageIndex::Role::find_links
                                     : PackageIndex::Role::extra,
                                 merged, line_of(element), manifest);
            }
        }
    }
    if (const auto* indexes = array_at(*uv, "index")) {
        for (const auto& node : *indexes) {
            const auto* index = node.as_table();
            if (index == nullptr)
                continue;
            const auto url = string_at(*index, "url").value_or("");
            const auto role =
                bool_at(*index, "default").value_or(false)    ? PackageIndex::Role::primary
                : bool_at(*index, "explicit").value_or(false) ? PackageIndex::Role::scoped
                                                              : PackageIndex::Role::extra;
            add_uv_index(url, role, merged && role == PackageIndex::Role::extra, line_of(node),
                         manifest);
            manifest.indexes.back().name = string_at(*index, "name").value_or("");
        }
    }
    if (const auto* sources = table_at(*uv, {"sources"})) {
        for (const auto& [name, node] : *sources) {
            if (const auto* table = node.as_table()) {
                apply_uv_source(name.str(), *table, line_of(node), manifest);
            } else if (const auto* array = node.as_array()) {
                for (const auto& element : *array) {
                    if (const auto* table = element.as_table())
                        apply_uv_source(name.str(), *table, line_of(element), manifest);
                }
            }
        }
    }
}

}  // namespace

Manifest parse_pyproject(std::string_view text) {
    Manifest manifest;
    manifest.format = "pyproject.toml";
    const auto root = toml_support::parse(text, manifest);
    if (!root)
        return manifest;
    read_pep621(*root, manifest);
    read_poetry(*root, manifest);
    read_pdm(*root, manifest);
    read_hatch(*root, manifest);
    read_uv(*root, manifest);
    return manifest;
}

std::optional<std::string> poetry_constraint_as_pep440(std::string_view constraint) {
    // LIMITATION: Poetry "||" unions have no PEP 440 form; the vulnerability
    // check treats such a constraint as admitting any version.
    constraint = trim(constraint);
    if (constraint.empty() || constraint == "*")
        return std::string();
    if (constraint.find("||") != std::string_view::npos ||
        constraint.find('|') != std::string_view::npos)
        return std::nullopt;
    const bool caret = constraint.starts_with('^');
    const bool tilde = constraint.starts_with('~') && !constraint.starts_with("~=");
    if (caret || tilde) {
        const auto version = trim(constraint.substr(1));
        auto parsed = pep440::parse_version(version);
        if (!parsed || parsed->release.empty())
            return std::nullopt;
        auto upper = parsed->release;
        if (caret) {
            // Bump the left-most non-zero part (or the last given one).
            size_t position = 0;
            while (position + 1 < upper.size() && upper[position] == 0)
                ++position;
            upper.resize(position + 1);
        } else {
            upper.resize(upper.size() == 1 ? 1 : 2);
        }
        ++upper.back();
        std::string bound;
        for (size_t i = 0; i < upper.size(); ++i)
            bound += fmt::format("{}{}", i == 0 ? "" : ".", upper[i]);
        return fmt::format(">={},<{}", version, bound);
    }
    // A bare version means exactly that version.
    const auto first = constraint.front();
    if ((first >= '0' && first <= '9') || first == 'v') {
        if (constraint.find(',') == std::string_view::npos &&
            constraint.find(' ') == std::string_view::npos)
            return fmt::format("=={}", constraint);
    }
    // Poetry also separates constraints with spaces.
    std::string joined;
    for (size_t i = 0; i < constraint.size(); ++i) {
        const char c = constraint[i];
        if (is_space(c)) {
            const bool between =
                !joined.empty() && joined.back() != ',' && i + 1 < constraint.size() &&
                !is_space(constraint[i + 1]) && constraint[i + 1] != ',' &&
                (constraint[i + 1] == '<' || constraint[i + 1] == '>' || constraint[i + 1] == '=' ||
                 constraint[i + 1] == '!' || constraint[i + 1] == '~');
            if (between)
                joined += ',';
            continue;
        }
        joined += c;
    }
    return joined;
}

}  // namespace hazmat::deps
