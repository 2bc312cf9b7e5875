#pragma once

#include <toml++/toml.h>

#include <optional>
#include <string>
#include <string_view>

#include "scan/deps/manifest.hpp"

// Helpers for the TOML manifests (pyproject.toml, Pipfile, poetry.lock,
// pdm.lock, uv.lock), all read with toml++.
namespace hazmat::deps::toml_support {

// Parses the document; on a syntax error records an issue and returns nullopt.
std::optional<toml::table> parse(std::string_view text, Manifest& manifest);

inline uint32_t line_of(const toml::node& node) {
    return node.source().begin.line;
}

const toml::table* table_at(const toml::table& root, std::initializer_list<std::string_view> path);
const toml::array* array_at(const toml::table& table, std::string_view key);
std::optional<std::string> string_at(const toml::table& table, std::string_view key);
std::optional<bool> bool_at(const toml::table& table, std::string_view key);

// Adds every PEP 508 string of `array` as a dependency of `group`. A
// non-string element or an unreadable requirement becomes an issue naming `where`.
void add_requirements(const toml::array& array, std::string_view group, std::string_view where,
                      Manifest& manifest);

}  // namespace hazmat::deps::toml_support
