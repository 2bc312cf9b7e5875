#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "scan/deps/parsers.hpp"
#include "scan/deps/python_requirement.hpp"
#include "scan/deps/requirements_file.hpp"
#include "scan/deps/text.hpp"

// setup.cfg, pip.conf, conda environment files and setup.py's extracted
// requirements.
namespace hazmat::deps {

namespace {

// One "key = value" of an INI-style file, with continuation lines joined
// by newlines, as Python's configparser (which setuptools and pip use) reads it.
struct IniValue {
    std::string section;
    std::string key;
    std::string value;
    uint32_t line = 0;
    std::vector<uint32_t> value_lines;  // line of each line of `value`
};

// configparser rules: "[section]" headers, "key = value" or "key: value",
// indented lines continue the previous value, lines starting with '#' or
// ';' are comments. Keys are case-insensitive. Problems become issues.
std::vector<IniValue> read_ini(std::string_view text, Manifest& manifest) {
    std::vector<IniValue> values;
    std::string section;
    bool in_value = false;
    for (const auto& line : split_lines(text)) {
        const auto trimmed = trim(line.text);
        const bool indented = !line.text.empty() && is_space(line.text.front());
        if (trimmed.empty() || trimmed.starts_with('#') || trimmed.starts_with(';')) {
            continue;
        }
        if (indented && in_value) {
            auto& value = values.back();
            value.value += value.value.empty() ? "" : "\n";
            value.value += trimmed;
            value.value_lines.push_back(line.number);
            continue;
        }
        in_value = false;
        if (trimmed.starts_with('[')) {
            const auto close = trimmed.find(']');
            if (close == std::string_view::npos) {
                manifest.issues.push_back({line.number, "unclosed section header", {}});
                continue;
            }
            section = lower(trim(trimmed.substr(1, close - 1)));
            continue;
        }
        const auto separator = trimmed.find_first_of("=:");
        if (separator == std::string_view::npos) {
            manifest.issues.push_back(
                {line.number, fmt::format("'{}' is neither a section nor a setting", trimmed), {}});
            continue;
        }
        IniValue value;
        value.section = section;
        value.key = lower(trim(trimmed.substr(0, separator)));
        value.value = std::string(trim(trimmed.substr(separator + 1)));
        value.line = line.number;
        if (!value.value.empty())
            value.value_lines.push_back(line.number);
        values.push_back(std::move(value));
        in_value = true;
    }
    return values;
}

// setuptools: a multi-line value has one requirement per line; a
// single-line value separates them with ';'.
// LIMITATION: a setup.cfg "file:" requirements reference is not followed;
// the file it names is checked only when it is itself scanned (it is when
// named like a requirements file), and the reference is reported as HZ-DEP-033.
void add_setup_cfg_requirements(const IniValue& value, std::string_view group, Manifest& manifest) {
    if (value.value.starts_with("file:")) {
        manifest.includes.push_back(
            {std::string(trim(std::string_view(value.value).substr(5))),
             value.line,
             false,
             false,
             "setup.cfg 'file:' references are read when that file is scanned",
             {}});
        return;
    }
    std::vector<std::pair<std::string, uint32_t>> entries;
    const auto lines = split_lines(value.value);
    if (lines.size() > 1) {
        for (size_t i = 0; i < lines.size(); ++i)
            entries.emplace_back(std::string(trim(lines[i].text)), value.value_lines[i]);
    } else {
        std::string_view rest = value.value;
        while (!rest.empty()) {
            const auto semicolon = rest.find(';');
            entries.emplace_back(
                std::string(trim(rest.substr(0, semicolon))),
                value.value_lines.empty() ? value.line : value.value_lines.front());
            if (semicolon == std::string_view::npos)
                break;
            rest.remove_prefix(semicolon + 1);
        }
    }
    for (const auto& [entry, line] : entries) {
        if (entry.empty() || entry.starts_with('#'))
            continue;
        auto dependency = python_dependency(entry);
        if (!dependency) {
            manifest.issues.push_back({line, dependency.error().message, {}});
            continue;
        }
        dependency->group = std::string(group);
        dependency->line = line;
        manifest.dependencies.push_back(std::move(dependency).value());
    }
}

void add_conda_pip_section(const YAML::Node& pip, Manifest& manifest) {
    if (!pip.IsSequence()) {
        manifest.issues.push_back(
            {static_cast<uint32_t>(pip.Mark().line + 1), "the pip section is not a list", {}});
        return;
    }
    for (const auto& entry : pip) {
        const auto line = static_cast<uint32_t>(entry.Mark().line + 1);
        if (!entry.IsScalar()) {
            manifest.issues.push_back({line, "a pip entry is not a string", {}});
            continue;
        }
        // Each entry is one line of a requirements file, options included.
        parse_requirements_line(entry.Scalar(), line, manifest);
    }
}

}  // namespace

Manifest parse_setup_cfg(std::string_view text) {
    Manifest manifest;
    manifest.format = "setup.cfg";
    for (const auto& value : read_ini(text, manifest)) {
        if (value.section == "options") {
            if (value.key == "install_requires")
                add_setup_cfg_requirements(value, "", manifest);
            else if (value.key == "setup_requires")
                add_setup_cfg_requirements(value, "setup", manifest);
            else if (value.key == "tests_require")
                add_setup_cfg_requirements(value, "test", manifest);
            else if (value.key == "dependency_links") {
                for (const auto& line : split_lines(value.value)) {
                    PackageIndex index;
                    index.role = PackageIndex::Role::find_links;
                    index.merged = true;
                    index.url = std::string(trim(line.text));
                    index.line = value.line;
                    if (!index.url.empty())
                        manifest.indexes.push_back(std::move(index));
                }
            }
        } else if (value.section == "options.extras_require") {
            add_setup_cfg_requirements(value, fmt::format("optional:{}", value.key), manifest);
        }
    }
    return manifest;
}

Manifest parse_pip_conf(std::string_view text) {
    Manifest manifest;
    manifest.format = "pip configuration";
    for (const auto& value : read_ini(text, manifest)) {
        const auto role = value.key == "index-url"         ? PackageIndex::Role::primary
                          : value.key == "extra-index-url" ? PackageIndex::Role::extra
                          : value.key == "find-links"      ? PackageIndex::Role::find_links
                          : value.key == "trusted-host"    ? PackageIndex::Role::trusted_host
                                                           : std::optional<PackageIndex::Role>();
        if (!role)
            continue;
        // pip reads several whitespace-separated values for these keys.
        for (const auto& line : split_lines(value.value)) {
            std::string_view rest = trim(line.text);
            while (!rest.empty()) {
                const auto end = std::min(rest.find(' '), rest.size());
                PackageIndex index;
                index.role = *role;
                index.url = std::string(rest.substr(0, end));
                index.merged =
                    *role == PackageIndex::Role::extra || *role == PackageIndex::Role::find_links;
                index.verify_tls = *role != PackageIndex::Role::trusted_host;
                index.line = value.line;
                manifest.indexes.push_back(std::move(index));
                rest = trim(rest.substr(end));
            }
        }
    }
    return manifest;
}

Manifest parse_conda_environment(std::string_view text) {
    Manifest manifest;
    manifest.format = "conda environment";
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& error) {
        manifest.issues.push_back({static_cast<uint32_t>(error.mark.line + 1),
                                   fmt::format("not valid YAML: {}", error.msg),
                                   {}});
        return manifest;
    }
    if (!root.IsMap())
        return manifest;
    if (const auto channels = root["channels"]; channels && channels.IsSequence()) {
        for (const auto& channel : channels) {
            if (!channel.IsScalar())
                continue;
            PackageIndex index;
            index.role = PackageIndex::Role::channel;
            index.url = channel.Scalar();
            index.line = static_cast<uint32_t>(channel.Mark().line + 1);
            manifest.indexes.push_back(std::move(index));
        }
    }
    const auto dependencies = root["dependencies"];
    if (!dependencies || !dependencies.IsSequence())
        return manifest;
    for (const auto& entry : dependencies) {
        // Conda packages themselves come from conda channels under conda's
        // own names; only the pip section installs from PyPI.
        // LIMITATION: conda packages get no typosquat or vulnerability check
        // (there is no conda popularity list or advisory ecosystem); only the
        // pip: section and the channels of an environment file are checked.
        if (entry.IsMap()) {
            if (const auto pip = entry["pip"])
                add_conda_pip_section(pip, manifest);
        }
    }
    return manifest;
}

Manifest setup_py_manifest(std::span<const ExtractedRequirement> requirements) {
    Manifest manifest;
    manifest.format = "setup.py";
    for (const auto& requirement : requirements) {
        auto dependency = python_dependency(requirement.text);
        if (!dependency) {
            manifest.issues.push_back({requirement.line, dependency.error().message, {}});
            continue;
        }
        dependency->line = requirement.line;
        dependency->group = requirement.group;
        manifest.dependencies.push_back(std::move(dependency).value());
    }
    return manifest;
}

}  // namespace hazmat::deps
