#pragma once

#include <span>
#include <string>
#include <string_view>

#include "scan/deps/manifest.hpp"

// One parser per manifest or lockfile format. Each takes the file's text
// (already decoded to UTF-8) and never executes or fetches anything;
// whatever it cannot read becomes a ManifestIssue.
namespace hazmat::deps {

// ---- Python ----
Manifest parse_pyproject(std::string_view text);
Manifest parse_setup_cfg(std::string_view text);
Manifest parse_pipfile(std::string_view text);
Manifest parse_pipfile_lock(std::string_view text);
Manifest parse_poetry_lock(std::string_view text);
Manifest parse_pdm_lock(std::string_view text);
Manifest parse_uv_lock(std::string_view text);
Manifest parse_conda_environment(std::string_view text);
// pip's own configuration (pip.conf, pip.ini): index settings.
Manifest parse_pip_conf(std::string_view text);

// setup.py, read from its syntax tree (never run): the requirements and
// dependency links of its setup() call. Values built at run time are listed
// in `computed`.
Manifest parse_setup_py(std::string_view text);

// A requirement string someone else extracted from setup.py's syntax tree
// (the `install_requires`, `setup_requires` or `extras_require` arguments of
// setup()), with its line.
struct ExtractedRequirement {
    std::string text;
    uint32_t line = 0;
    std::string group;  // "", "setup", "optional:<extra>"
};

// setup.py is Python; its requirements are read from its syntax tree by the
// code analyzer's parser, never by running it. This turns what that parser
// extracted into a manifest.
Manifest setup_py_manifest(std::span<const ExtractedRequirement> requirements);

// Poetry's constraint syntax ("^1.2", "~1.2.3", "1.2.*", "*") as PEP 440
// specifiers; nullopt for what has no PEP 440 equivalent ("||" unions).
std::optional<std::string> poetry_constraint_as_pep440(std::string_view constraint);

// ---- JavaScript ----
Manifest parse_package_json(std::string_view text);
Manifest parse_package_lock(std::string_view text);  // also npm-shrinkwrap.json
Manifest parse_yarn_lock(std::string_view text);     // v1 and berry
Manifest parse_pnpm_lock(std::string_view text);
Manifest parse_npmrc(std::string_view text);

// Classifies an npm dependency value ("^1.2.0", "github:user/repo",
// "npm:other@1", "file:../x", "latest") into a dependency named `name`.
Dependency npm_dependency(std::string_view name, std::string_view spec);

}  // namespace hazmat::deps
