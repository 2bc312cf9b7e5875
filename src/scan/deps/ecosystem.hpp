#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hazmat::deps {

// Package registries whose names, versions and advisories hazmat understands.
enum class Ecosystem { pypi, npm };

// The OSV spelling: "PyPI", "npm".
std::string_view to_string(Ecosystem ecosystem);
std::optional<Ecosystem> parse_ecosystem(std::string_view osv_name);

// The name a registry treats as identical: PEP 503 for PyPI ("Foo.Bar_baz"
// is "foo-bar-baz"), lower case for npm (the registry refuses new mixed-case
// names and resolves lookups case-insensitively).
std::string normalize_name(Ecosystem ecosystem, std::string_view name);

}  // namespace hazmat::deps
