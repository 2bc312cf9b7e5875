#include "scan/code/source_kind.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace hazmat::code {

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool ends_with_any(std::string_view text, std::initializer_list<std::string_view> suffixes) {
    return std::any_of(suffixes.begin(), suffixes.end(),
                       [&](std::string_view suffix) { return text.ends_with(suffix); });
}

// Binary content is not source, whatever its name says.
bool looks_binary(ByteSpan bytes) {
    const size_t n = std::min<size_t>(bytes.size(), 8192);
    return std::find(bytes.begin(), bytes.begin() + static_cast<long>(n), uint8_t{0}) !=
           bytes.begin() + static_cast<long>(n);
}

SourceKind from_shebang(ByteSpan bytes) {
    if (bytes.size() < 4 || bytes[0] != '#' || bytes[1] != '!')
        return SourceKind::none;
    const auto text = std::string_view(reinterpret_cast<const char*>(bytes.data()),
                                       std::min<size_t>(bytes.size(), 128));
    const auto first_line = text.substr(0, text.find('\n'));
    if (first_line.find("python") != std::string_view::npos)
        return SourceKind::python;
    if (first_line.find("node") != std::string_view::npos)
        return SourceKind::javascript;
    for (const std::string_view shell : {"sh", "bash", "zsh", "dash", "ksh"}) {
        const auto at = first_line.find(shell);
        if (at != std::string_view::npos &&
            (at == 0 || first_line[at - 1] == '/' || first_line[at - 1] == ' '))
            return SourceKind::shell;
    }
    return SourceKind::none;
}

}  // namespace

std::string_view to_string(SourceKind kind) {
    switch (kind) {
        case SourceKind::none:
            return "none";
        case SourceKind::python:
            return "python";
        case SourceKind::python_pth:
            return "pth";
        case SourceKind::javascript:
            return "javascript";
        case SourceKind::shell:
            return "shell";
        case SourceKind::notebook:
            return "notebook";
        case SourceKind::dockerfile:
            return "dockerfile";
        case SourceKind::workflow:
            return "github-workflow";
        case SourceKind::composite_action:
            return "github-action";
        case SourceKind::package_json:
            return "package.json";
        case SourceKind::pyproject:
            return "pyproject.toml";
        case SourceKind::vscode_tasks:
            return "vscode-tasks";
        case SourceKind::devcontainer:
            return "devcontainer";
        case SourceKind::envrc:
            return "envrc";
        case SourceKind::makefile:
            return "makefile";
        case SourceKind::cmake:
            return "cmake";
        case SourceKind::binding_gyp:
            return "binding.gyp";
        case SourceKind::conda_link_script:
            return "conda-link-script";
    }
    return "none";
}

std::string_view file_name_of(std::string_view path) {
    const size_t slash = path.find_last_of("/\\");
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

SourceKind classify_source(std::string_view path, ByteSpan bytes) {
    if (bytes.empty() || looks_binary(bytes))
        return SourceKind::none;
    const auto lowered_path = lower(path);
    const auto name = std::string(file_name_of(lowered_path));

    if (ends_with_any(name, {".py", ".pyw"}))
        return SourceKind::python;
    if (name.ends_with(".pth"))
        return SourceKind::python_pth;
    // LIMITATION: TypeScript (.ts, .tsx) is not reviewed; the JavaScript
    // grammar does not parse type annotations and no TypeScript grammar is
    // compiled in.
    if (ends_with_any(name, {".js", ".mjs", ".cjs", ".jsx"}))
        return SourceKind::javascript;
    if (name == "pre-link.sh" || name == "post-link.sh" || name == "pre-unlink.sh" ||
        (lowered_path.find("/bin/.") != std::string::npos &&
         ends_with_any(name, {"-post-link.sh", "-pre-link.sh", "-pre-unlink.sh"})))
        return SourceKind::conda_link_script;
    if (ends_with_any(name, {".sh", ".bash", ".zsh", ".ksh"}))
        return SourceKind::shell;
    if (name.ends_with(".ipynb"))
        return SourceKind::notebook;
    if (name == "dockerfile" || name.starts_with("dockerfile.") || name.ends_with(".dockerfile") ||
        name == "containerfile")
        return SourceKind::dockerfile;
    if (ends_with_any(name, {".yml", ".yaml"})) {
        if (lowered_path.find(".github/workflows/") != std::string::npos)
            return SourceKind::workflow;
        if (name == "action.yml" || name == "action.yaml")
            return SourceKind::composite_action;
        return SourceKind::none;
    }
    if (name == "package.json")
        return SourceKind::package_json;
    if (name == "pyproject.toml")
        return SourceKind::pyproject;
    if (name == "tasks.json" && lowered_path.find(".vscode/") != std::string::npos)
        return SourceKind::vscode_tasks;
    if (name == "devcontainer.json" || name == ".devcontainer.json")
        return SourceKind::devcontainer;
    if (name == ".envrc")
        return SourceKind::envrc;
    if (name == "makefile" || name == "gnumakefile" || name.ends_with(".mk"))
        return SourceKind::makefile;
    if (name == "cmakelists.txt" || name.ends_with(".cmake"))
        return SourceKind::cmake;
    if (name == "binding.gyp")
        return SourceKind::binding_gyp;
    if (name.find('.') == std::string::npos || name.starts_with('.'))
        return from_shebang(bytes);
    return SourceKind::none;
}

}  // namespace hazmat::code
