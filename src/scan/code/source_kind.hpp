#pragma once

#include <string_view>

#include "core/bytes.hpp"

namespace hazmat::code {

// What a piece of text is, judged by its path and, for files without a
// telling name, its first line (#!/usr/bin/env python).
enum class SourceKind {
    none,
    python,
    python_pth,
    javascript,
    shell,
    notebook,
    dockerfile,
    workflow,          // .github/workflows/*.yml
    composite_action,  // action.yml
    package_json,
    pyproject,
    vscode_tasks,
    devcontainer,
    envrc,
    makefile,
    cmake,
    binding_gyp,
    conda_link_script,
};

std::string_view to_string(SourceKind kind);

// `path` is the blob's path (file path relative to the target, or archive
// member name); `bytes` its content.
SourceKind classify_source(std::string_view path, ByteSpan bytes);

// The last path component.
std::string_view file_name_of(std::string_view path);

}  // namespace hazmat::code
