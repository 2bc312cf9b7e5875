#pragma once

#include <optional>
#include <string_view>

#include "scan/deps/manifest.hpp"
#include "scan/deps/requirements_file.hpp"

namespace hazmat::deps {

// The files the dependency analyzer reads, recognised by name: manifests
// and lockfiles are identified by their names, not their content (a
// requirements file is plain text that no magic number distinguishes).
enum class ManifestKind {
    requirements,  // requirements*.txt, *requirements.txt, constraints*.txt, requirements/*.txt,
                   // *.in
    pyproject,
    setup_cfg,
    setup_py,
    pipfile,
    pipfile_lock,
    poetry_lock,
    pdm_lock,
    uv_lock,
    conda_environment,  // environment.yml
    pip_conf,           // pip.conf, pip.ini
    package_json,
    package_lock,  // package-lock.json, npm-shrinkwrap.json
    yarn_lock,
    pnpm_lock,
    npmrc,
    markdown,  // README*, *.md, *.rst
    notebook,  // *.ipynb
    dockerfile,
    shell,  // *.sh, *.bash
};

// The kind of a file from its path (slash-separated; the last component
// decides, the parent directory only for requirements/ folders).
std::optional<ManifestKind> manifest_kind_for(std::string_view path);

// Parses text of a known kind. `display` names the file in findings;
// `resolver`, when given, lets requirements files follow their includes.
Manifest parse_manifest(ManifestKind kind, std::string_view text, std::string_view display,
                        const IncludeResolver* resolver = nullptr);

}  // namespace hazmat::deps
