#include "scan/deps/toml_support.hpp"

#include <fmt/format.h>

#include "scan/deps/python_requirement.hpp"

namespace hazmat::deps::toml_support {

std::optional<toml::table> parse(std::string_view text, Manifest& manifest) {
    try {
        return toml::parse(text);
    } catch (const toml::parse_error& error) {
        manifest.issues.push_back({error.source().begin.line,
                                   fmt::format("not valid TOML: {}", error.description()),
                                   {}});
        return std::nullopt;
    }
}

const toml::table* table_at(const toml::table& root, std::initializer_list<std::string_view> path) {
    const toml::table* table = &root;
    for (const auto key : path) {
        const auto* node = table->get(key);
        table = node ? node->as_table() : nullptr;
        if (table == nullptr)
            return nullptr;
    }
    return table;
}

const toml::array* array_at(const toml::table& table, std::string_view key) {
    const auto* node = table.get(key);
    return node ? node->as_array() : nullptr;
}

std::optional<std::string> string_at(const toml::table& table, std::string_view key) {
    const auto* node = table.get(key);
    if (node == nullptr || !node->is_string())
        return std::nullopt;
    return node->as_string()->get();
}

std::optional<bool> bool_at(const toml::table& table, std::string_view key) {
    const auto* node = table.get(key);
    if (node == nullptr || !node->is_boolean())
        return std::nullopt;
    return node->as_boolean()->get();
}

void add_requirements(const toml::array& array, std::string_view group, std::string_view where,
                      Manifest& manifest) {
    for (const auto& element : array) {
        const auto line = line_of(element);
        if (!element.is_string()) {
            // PEP 735 lets dependency groups include other groups by table.
            if (const auto* table = element.as_table(); table && table->contains("include-group"))
                continue;
            manifest.issues.push_back(
                {line, fmt::format("{}: an entry is not a requirement string", where), {}});
            continue;
        }
        auto dependency = python_dependency(element.as_string()->get());
        if (!dependency) {
            manifest.issues.push_back(
                {line, fmt::format("{}: {}", where, dependency.error().message), {}});
            continue;
        }
        dependency->group = std::string(group);
        dependency->line = line;
        manifest.dependencies.push_back(std::move(dependency).value());
    }
}

}  // namespace hazmat::deps::toml_support
