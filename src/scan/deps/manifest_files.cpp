#include "scan/deps/manifest_files.hpp"

#include "scan/deps/install_commands.hpp"
#include "scan/deps/parsers.hpp"
#include "scan/deps/text.hpp"

namespace hazmat::deps {

namespace {

bool ends_with_any(std::string_view text, std::initializer_list<std::string_view> endings) {
    for (const auto ending : endings) {
        if (text.ends_with(ending))
            return true;
    }
    return false;
}

bool is_requirements_name(std::string_view name, std::string_view parent) {
    if (!ends_with_any(name, {".txt", ".in"}))
        return false;
    if (parent == "requirements" || parent == "requirements.d" || parent == "constraints")
        return true;
    return name.find("requirements") != std::string_view::npos || name.starts_with("constraints") ||
           name.ends_with("constraints.txt");
}

}  // namespace

std::optional<ManifestKind> manifest_kind_for(std::string_view path) {
    const auto name = lower(base_name(path));
    const auto directory = path.substr(0, path.size() - base_name(path).size());
    const auto parent =
        lower(base_name(directory.empty() ? directory : directory.substr(0, directory.size() - 1)));
    if (is_requirements_name(name, parent))
        return ManifestKind::requirements;
    static constexpr std::pair<std::string_view, ManifestKind> kExact[] = {
        {"pyproject.toml", ManifestKind::pyproject},
        {"setup.cfg", ManifestKind::setup_cfg},
        {"setup.py", ManifestKind::setup_py},
        {"pipfile", ManifestKind::pipfile},
        {"pipfile.lock", ManifestKind::pipfile_lock},
        {"poetry.lock", ManifestKind::poetry_lock},
        {"pdm.lock", ManifestKind::pdm_lock},
        {"uv.lock", ManifestKind::uv_lock},
        {"environment.yml", ManifestKind::conda_environment},
        {"environment.yaml", ManifestKind::conda_environment},
        {"pip.conf", ManifestKind::pip_conf},
        {"pip.ini", ManifestKind::pip_conf},
        {"package.json", ManifestKind::package_json},
        {"package-lock.json", ManifestKind::package_lock},
        {"npm-shrinkwrap.json", ManifestKind::package_lock},
        {"yarn.lock", ManifestKind::yarn_lock},
        {"pnpm-lock.yaml", ManifestKind::pnpm_lock},
        {".npmrc", ManifestKind::npmrc},
        {"dockerfile", ManifestKind::dockerfile},
        {"containerfile", ManifestKind::dockerfile},
    };
    for (const auto& [exact, kind] : kExact) {
        if (name == exact)
            return kind;
    }
    if (name.starts_with("environment") && ends_with_any(name, {".yml", ".yaml"}))
        return ManifestKind::conda_environment;
    if (name.starts_with("dockerfile.") || name.ends_with(".dockerfile"))
        return ManifestKind::dockerfile;
    if (name.ends_with(".ipynb"))
        return ManifestKind::notebook;
    if (ends_with_any(name, {".sh", ".bash"}))
        return ManifestKind::shell;
    if (name.starts_with("readme") || ends_with_any(name, {".md", ".markdown", ".rst"}))
        return ManifestKind::markdown;
    return std::nullopt;
}

Manifest parse_manifest(ManifestKind kind, std::string_view text, std::string_view display,
                        const IncludeResolver* resolver) {
    switch (kind) {
        case ManifestKind::requirements:
            return parse_requirements(text, display, resolver);
        case ManifestKind::pyproject:
            return parse_pyproject(text);
        case ManifestKind::setup_cfg:
            return parse_setup_cfg(text);
        case ManifestKind::setup_py:
            return parse_setup_py(text);
        case ManifestKind::pipfile:
            return parse_pipfile(text);
        case ManifestKind::pipfile_lock:
            return parse_pipfile_lock(text);
        case ManifestKind::poetry_lock:
            return parse_poetry_lock(text);
        case ManifestKind::pdm_lock:
            return parse_pdm_lock(text);
        case ManifestKind::uv_lock:
            return parse_uv_lock(text);
        case ManifestKind::conda_environment:
            return parse_conda_environment(text);
        case ManifestKind::pip_conf:
            return parse_pip_conf(text);
        case ManifestKind::package_json:
            return parse_package_json(text);
        case ManifestKind::package_lock:
            return parse_package_lock(text);
        case ManifestKind::yarn_lock:
            return parse_yarn_lock(text);
        case ManifestKind::pnpm_lock:
            return parse_pnpm_lock(text);
        case ManifestKind::npmrc:
            return parse_npmrc(text);
        case ManifestKind::markdown:
            return extract_install_commands(text, CommandSource::markdown);
        case ManifestKind::notebook:
            return extract_install_commands(text, CommandSource::notebook);
        case ManifestKind::dockerfile:
            return extract_install_commands(text, CommandSource::dockerfile);
        case ManifestKind::shell:
            return extract_install_commands(text, CommandSource::shell);
    }
    return {};
}

}  // namespace hazmat::deps
