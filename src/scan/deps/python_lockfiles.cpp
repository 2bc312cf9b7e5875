#include <fmt/format.h>

#include <map>

#include "scan/deps/json_document.hpp"
#include "scan/deps/parsers.hpp"
#include "scan/deps/pep440.hpp"
#include "scan/deps/python_requirement.hpp"
#include "scan/deps/text.hpp"
#include "scan/deps/toml_support.hpp"

// Pipfile, Pipfile.lock and the TOML lockfiles of Poetry, PDM and uv.
namespace hazmat::deps {

namespace {

using namespace toml_support;
using nlohmann::json;

Dependency python_entry(std::string_view name, uint32_t line) {
    Dependency dependency;
    dependency.ecosystem = Ecosystem::pypi;
    dependency.name = std::string(name);
    dependency.normalized = normalize_name(Ecosystem::pypi, name);
    dependency.line = line;
    return dependency;
}

void set_pin_from_requirement(Dependency& dependency) {
    if (const auto specifiers = pep440::parse_specifiers(dependency.requirement)) {
        if (const auto pinned = specifiers->pinned())
            dependency.pinned = pinned->to_string();
    }
}

// ---- Pipfile ----

void add_pipfile_section(const toml::table* section, std::string_view group, Manifest& manifest) {
    if (section == nullptr)
        return;
    for (const auto& [name, value] : *section) {
        auto dependency = python_entry(name.str(), line_of(value));
        dependency.group = std::string(group);
        if (const auto* text = value.as_string()) {
            dependency.requirement = text->get() == "*" ? "*" : text->get();
        } else if (const auto* table = value.as_table()) {
            dependency.requirement = string_at(*table, "version").value_or("");
            dependency.index = string_at(*table, "index").value_or("");
            if (const auto git = string_at(*table, "git")) {
                dependency.source = SourceKind::git;
                dependency.url = *git;
                dependency.git_ref = string_at(*table, "ref").value_or("");
            } else if (const auto file = string_at(*table, "file")) {
                dependency.source = looks_like_url(*file) ? SourceKind::url : SourceKind::path;
                dependency.url = *file;
            } else if (const auto path = string_at(*table, "path")) {
                dependency.source = SourceKind::path;
                dependency.url = *path;
            }
        } else {
            manifest.issues.push_back(
                {dependency.line,
                 fmt::format("Pipfile package '{}' has an unexpected value", name.str()),
                 {}});
            continue;
        }
        if (dependency.requirement != "*")
            set_pin_from_requirement(dependency);
        manifest.dependencies.push_back(std::move(dependency));
    }
}

void add_source(Manifest& manifest, std::string name, std::string url, bool verify, uint32_t line,
                bool first) {
    PackageIndex index;
    index.ecosystem = Ecosystem::pypi;
    index.name = std::move(name);
    index.url = std::move(url);
    index.verify_tls = verify;
    index.line = line;
    // Pipenv resolves each package from its named index, or the first source.
    index.role = first ? PackageIndex::Role::primary : PackageIndex::Role::scoped;
    manifest.indexes.push_back(std::move(index));
}

// ---- lockfile helpers ----

bool has_hash(const toml::table& package) {
    for (const auto key : {"files", "wheels"}) {
        if (const auto* files = array_at(package, key)) {
            for (const auto& file : *files) {
                if (const auto* table = file.as_table(); table && table->contains("hash"))
                    return true;
            }
        }
    }
    if (const auto* sdist = table_at(package, {"sdist"}))
        return sdist->contains("hash");
    return false;
}

const toml::array* packages_of(const toml::table& root, Manifest& manifest) {
    const auto* packages = array_at(root, "package");
    if (packages == nullptr)
        manifest.issues.push_back({1, "no [[package]] entries", {}});
    return packages;
}

}  // namespace

Manifest parse_pipfile(std::string_view text) {
    Manifest manifest;
    manifest.format = "Pipfile";
    const auto root = toml_support::parse(text, manifest);
    if (!root)
        return manifest;
    if (const auto* sources = array_at(*root, "source")) {
        bool first = true;
        for (const auto& node : *sources) {
            if (const auto* source = node.as_table()) {
                add_source(manifest, string_at(*source, "name").value_or(""),
                           string_at(*source, "url").value_or(""),
                           bool_at(*source, "verify_ssl").value_or(true), line_of(node), first);
                first = false;
            }
        }
    }
    add_pipfile_section(table_at(*root, {"packages"}), "", manifest);
    add_pipfile_section(table_at(*root, {"dev-packages"}), "dev", manifest);
    return manifest;
}

Manifest parse_pipfile_lock(std::string_view text) {
    Manifest manifest;
    manifest.format = "Pipfile.lock";
    manifest.lockfile = true;
    auto document = JsonDocument::parse(text);
    if (!document) {
        manifest.issues.push_back(
            {0, fmt::format("not valid JSON: {}", document.error().message), {}});
        return manifest;
    }
    const auto& root = document->root();
    if (!root.is_object()) {
        manifest.issues.push_back({1, "not a Pipfile.lock object", {}});
        return manifest;
    }
    std::map<std::string, std::string, std::less<>> source_urls;
    if (const auto meta = root.find("_meta"); meta != root.end() && meta->is_object()) {
        if (const auto sources = meta->find("sources");
            sources != meta->end() && sources->is_array()) {
            for (size_t i = 0; i < sources->size(); ++i) {
                const auto& source = (*sources)[i];
                if (!source.is_object())
                    continue;
                source_urls[source.value("name", "")] = source.value("url", "");
                add_source(manifest, source.value("name", ""), source.value("url", ""),
                           source.value("verify_ssl", true), document->line_of(*sources, i),
                           i == 0);
            }
        }
    }
    for (const auto& [section, group] : {std::pair{"default", ""}, std::pair{"develop", "dev"}}) {
        const auto entries = root.find(section);
        if (entries == root.end() || !entries->is_object())
            continue;
        for (const auto& [name, entry] : entries->items()) {
            auto dependency = python_entry(name, document->line_of(*entries, name));
            dependency.group = group;
            dependency.locked = true;
            if (!entry.is_object()) {
                manifest.issues.push_back(
                    {dependency.line, fmt::format("entry '{}' is not an object", name), {}});
                continue;
            }
            dependency.requirement = entry.value("version", "");
            // Entries name their source; record where that source points.
            if (const auto source = source_urls.find(entry.value("index", ""));
                source != source_urls.end())
                dependency.index = source->second;
            if (const auto hashes = entry.find("hashes"); hashes != entry.end())
                dependency.hashed = hashes->is_array() && !hashes->empty();
            if (entry.contains("git")) {
                dependency.source = SourceKind::git;
                dependency.url = entry.value("git", "");
                dependency.git_ref = entry.value("ref", "");
            } else if (entry.contains("file")) {
                dependency.source = SourceKind::url;
                dependency.url = entry.value("file", "");
            } else if (entry.contains("path")) {
                dependency.source = SourceKind::path;
                dependency.url = entry.value("path", "");
            }
            set_pin_from_requirement(dependency);
            manifest.dependencies.push_back(std::move(dependency));
        }
    }
    for (const auto& duplicate : document->duplicates())
        manifest.issues.push_back(
            {duplicate.line,
             fmt::format("key '{}' appears twice; tools disagree on which entry counts",
                         duplicate.key),
             {}});
    return manifest;
}

Manifest parse_poetry_lock(std::string_view text) {
    Manifest manifest;
    manifest.format = "poetry.lock";
    manifest.lockfile = true;
    const auto root = toml_support::parse(text, manifest);
    if (!root)
        return manifest;
    const auto* packages = packages_of(*root, manifest);
    if (packages == nullptr)
        return manifest;
    // Older lock files keep hashes in [metadata.files], by package name.
    const auto* metadata_files = table_at(*root, {"metadata", "files"});
    for (const auto& node : *packages) {
        const auto* package = node.as_table();
        const auto name = package ? string_at(*package, "name") : std::nullopt;
        if (!name) {
            manifest.issues.push_back({line_of(node), "[[package]] without a name", {}});
            continue;
        }
        auto dependency = python_entry(*name, line_of(*package->get("name")));
        dependency.locked = true;
        dependency.pinned = string_at(*package, "version");
        dependency.requirement = dependency.pinned ? "==" + *dependency.pinned : "";
        dependency.group = string_at(*package, "category").value_or("");
        dependency.hashed = has_hash(*package);
        if (!dependency.hashed && metadata_files) {
            const auto* files = metadata_files->get(*name);
            dependency.hashed = files && files->is_array() && !files->as_array()->empty();
        }
        if (const auto* source = table_at(*package, {"source"})) {
            const auto type = string_at(*source, "type").value_or("");
            const auto url = string_at(*source, "url").value_or("");
            if (type == "git") {
                dependency.source = SourceKind::git;
                dependency.url = url;
                dependency.git_ref = string_at(*source, "resolved_reference")
                                         .value_or(string_at(*source, "reference").value_or(""));
            } else if (type == "url") {
                dependency.source = SourceKind::url;
                dependency.url = url;
            } else if (type == "file" || type == "directory") {
                dependency.source = SourceKind::path;
                dependency.url = url;
            } else if (type == "legacy") {
                dependency.index = url;
            }
        }
        manifest.dependencies.push_back(std::move(dependency));
    }
    return manifest;
}

Manifest parse_pdm_lock(std::string_view text) {
    Manifest manifest;
    manifest.format = "pdm.lock";
    manifest.lockfile = true;
    const auto root = toml_support::parse(text, manifest);
    if (!root)
        return manifest;
    const auto* packages = packages_of(*root, manifest);
    if (packages == nullptr)
        return manifest;
    for (const auto& node : *packages) {
        const auto* package = node.as_table();
        const auto name = package ? string_at(*package, "name") : std::nullopt;
        if (!name) {
            manifest.issues.push_back({line_of(node), "[[package]] without a name", {}});
            continue;
        }
        auto dependency = python_entry(*name, line_of(*package->get("name")));
        dependency.locked = true;
        dependency.pinned = string_at(*package, "version");
        dependency.requirement = dependency.pinned ? "==" + *dependency.pinned : "";
        dependency.hashed = has_hash(*package);
        if (const auto git = string_at(*package, "git")) {
            dependency.source = SourceKind::git;
            dependency.url = *git;
            dependency.git_ref = string_at(*package, "revision").value_or("");
        } else if (const auto url = string_at(*package, "url")) {
            dependency.source = SourceKind::url;
            dependency.url = *url;
        } else if (const auto path = string_at(*package, "path")) {
            dependency.source = SourceKind::path;
            dependency.url = *path;
        }
        manifest.dependencies.push_back(std::move(dependency));
    }
    return manifest;
}

Manifest parse_uv_lock(std::string_view text) {
    Manifest manifest;
    manifest.format = "uv.lock";
    manifest.lockfile = true;
    const auto root = toml_support::parse(text, manifest);
    if (!root)
        return manifest;
    const auto* packages = packages_of(*root, manifest);
    if (packages == nullptr)
        return manifest;
    for (const auto& node : *packages) {
        const auto* package = node.as_table();
        const auto name = package ? string_at(*package, "name") : std::nullopt;
        if (!name) {
            manifest.issues.push_back({line_of(node), "[[package]] without a name", {}});
            continue;
        }
        auto dependency = python_entry(*name, line_of(*package->get("name")));
        dependency.locked = true;
        dependency.pinned = string_at(*package, "version");
        dependency.requirement = dependency.pinned ? "==" + *dependency.pinned : "";
        dependency.hashed = has_hash(*package);
        if (const auto* source = table_at(*package, {"source"})) {
            if (const auto registry = string_at(*source, "registry")) {
                dependency.index = *registry;
            } else if (const auto git = string_at(*source, "git")) {
                // uv records "https://host/repo?rev=...#<commit>".
                dependency.source = SourceKind::git;
                dependency.url = *git;
                if (const auto hash = git->find('#'); hash != std::string::npos)
                    dependency.git_ref = git->substr(hash + 1);
            } else if (const auto url = string_at(*source, "url")) {
                dependency.source = SourceKind::url;
                dependency.url = *url;
            } else {
                for (const auto key : {"path", "directory", "editable", "virtual"}) {
                    if (const auto path = string_at(*source, key)) {
                        // The project itself and its workspace members.
                        dependency.source = *path == "." ? SourceKind::workspace : SourceKind::path;
                        dependency.url = *path;
                        break;
                    }
                }
            }
        }
        manifest.dependencies.push_back(std::move(dependency));
    }
    return manifest;
}

}  // namespace hazmat::deps
