#include "scan/code/code_analyzer.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/scan_context.hpp"
#include "scan/code/code_rule_ids.hpp"
#include "scan/code/formats.hpp"
#include "scan/code/observations.hpp"
#include "scan/code/review.hpp"
#include "scan/code/source_kind.hpp"

namespace hazmat::code {

namespace {

std::string blob_path(const Blob& blob) {
    // The innermost named hop: a member name inside an archive, or the file.
    for (auto it = blob.location.chain.rbegin(); it != blob.location.chain.rend(); ++it) {
        if (it->kind == LocationPart::Kind::file || it->kind == LocationPart::Kind::member)
            return it->name;
    }
    return blob.name;
}

Trigger python_trigger(std::string_view name) {
    if (name == "setup.py")
        return Trigger::install;
    if (name == "sitecustomize.py" || name == "usercustomize.py")
        return Trigger::interpreter_start;
    if (name == "__main__.py" || name == "conftest.py" || name == "noxfile.py" ||
        name == "fabfile.py")
        return Trigger::script;
    return Trigger::import;
}

}  // namespace

std::string CodeAnalyzer::relative_path(const Blob& blob) const {
    std::string path;
    for (size_t i = 0; i < blob.location.chain.size(); ++i) {
        const auto& part = blob.location.chain[i];
        if (part.kind != LocationPart::Kind::file && part.kind != LocationPart::Kind::member)
            continue;
        std::string name = part.name;
        if (i == 0) {
            // Strip the root the walker prefixed, so that a target under
            // ~/src/tests/ does not make every file look like a test.
            for (const auto& root : scan_roots_) {
                if (name == root) {
                    name = std::string(file_name_of(name));
                    break;
                }
                const std::string prefix = root.ends_with('/') ? root : root + "/";
                if (name.starts_with(prefix)) {
                    name = name.substr(prefix.size());
                    break;
                }
            }
        }
        if (!path.empty())
            path.push_back('/');
        path += name;
    }
    return path;
}

bool CodeAnalyzer::accepts(const Blob& blob, Format sniffed) const {
    if (sniffed != Format::unknown)
        return false;
    const auto kind = classify_source(blob_path(blob), blob.bytes.span());
    return kind != SourceKind::none && kind != SourceKind::python_pth;
}

bool looks_like_path_file(std::string_view text) {
    if (text.size() > (1u << 20))
        return false;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos)
            end = text.size();
        auto line = text.substr(start, end - start);
        if (line.ends_with('\r'))
            line.remove_suffix(1);
        start = end + 1;
        if (line.empty() || line.starts_with('#') || line.starts_with("import ") ||
            line.starts_with("import\t"))
            continue;
        // Paths: printable, no quotes or brackets, and longer than the
        // two-character opcode lines of a text pickle ("tR", ".").
        if (line.size() <= 2)
            return false;
        for (const char c : line) {
            const auto byte = static_cast<unsigned char>(c);
            if (byte < 0x20 || c == '\'' || c == '"' || c == '(' || c == ')')
                return false;
        }
    }
    return true;
}

bool PthAnalyzer::accepts(const Blob& blob, Format sniffed) const {
    if (sniffed != Format::unknown)
        return false;
    return classify_source(blob_path(blob), blob.bytes.span()) == SourceKind::python_pth &&
           looks_like_path_file(blob.bytes.as_chars());
}

void PthAnalyzer::analyze(const Blob& blob, Format /*sniffed*/, ScanContext& context) const {
    context.count_format("pth");
    UnitSpec spec;
    spec.location = blob.location;
    spec.role = path_role(code_.relative_path(blob));
    spec.name = std::string(file_name_of(blob_path(blob)));
    spec.trigger = Trigger::interpreter_start;
    Reviewer reviewer(context);
    review_pth(blob.bytes.as_chars(), spec, reviewer);
}

std::vector<std::unique_ptr<Analyzer>> code_analyzers(const std::vector<std::string>& scan_roots) {
    std::vector<std::unique_ptr<Analyzer>> analyzers;
    analyzers.push_back(std::make_unique<CodeAnalyzer>(scan_roots));
    analyzers.push_back(std::make_unique<PthAnalyzer>(scan_roots));
    return analyzers;
}

void CodeAnalyzer::analyze(const Blob& blob, Format /*sniffed*/, ScanContext& context) const {
    const std::string path = blob_path(blob);
    const SourceKind kind = classify_source(path, blob.bytes.span());
    const std::string name(file_name_of(path));
    context.count_format(to_string(kind));

    UnitSpec spec;
    spec.location = blob.location;
    spec.role = path_role(relative_path(blob));
    spec.name = name;
    const auto text = blob.bytes.as_chars();
    Reviewer reviewer(context);

    switch (kind) {
        case SourceKind::python:
            spec.trigger = python_trigger(name);
            spec.setup_py = name == "setup.py";
            if (spec.trigger == Trigger::interpreter_start) {
                report_surface(rules::kSiteCustomize, Severity::medium,
                               fmt::format("{} is imported automatically at every interpreter "
                                           "start once it is on sys.path.",
                                           name),
                               spec, reviewer);
            }
            reviewer.python(text, spec);
            break;
        case SourceKind::python_pth:
            break;
        case SourceKind::javascript:
            spec.trigger = Trigger::import;
            reviewer.javascript(text, spec);
            break;
        case SourceKind::shell:
            spec.trigger = Trigger::script;
            reviewer.shell(text, spec);
            break;
        case SourceKind::conda_link_script:
            spec.trigger = Trigger::install;
            report_surface(rules::kCondaLinkScript, Severity::low,
                           fmt::format("conda runs {} when it links or unlinks the package.", name),
                           spec, reviewer);
            reviewer.shell(text, spec);
            break;
        case SourceKind::envrc:
            spec.trigger = Trigger::shell_session;
            report_surface(rules::kEnvrc, Severity::low,
                           "direnv runs this file in your shell when you enter the directory.",
                           spec, reviewer);
            reviewer.shell(text, spec);
            break;
        case SourceKind::notebook:
            spec.trigger = Trigger::notebook;
            review_notebook(text, spec, reviewer);
            break;
        case SourceKind::dockerfile:
            spec.trigger = Trigger::image_build;
            review_dockerfile(text, spec, reviewer);
            break;
        case SourceKind::workflow:
        case SourceKind::composite_action:
            spec.trigger = Trigger::ci;
            review_workflow(text, spec, reviewer, kind == SourceKind::composite_action);
            break;
        case SourceKind::package_json:
            spec.trigger = Trigger::install;
            review_package_json(text, spec, reviewer);
            break;
        case SourceKind::pyproject:
            spec.trigger = Trigger::install;
            review_pyproject(text, spec, reviewer);
            break;
        case SourceKind::vscode_tasks:
            spec.trigger = Trigger::folder_open;
            review_vscode_tasks(text, spec, reviewer);
            break;
        case SourceKind::devcontainer:
            spec.trigger = Trigger::container;
            review_devcontainer(text, spec, reviewer);
            break;
        case SourceKind::makefile:
            spec.trigger = Trigger::build;
            review_makefile(text, spec, reviewer);
            break;
        case SourceKind::cmake:
            spec.trigger = Trigger::build;
            review_cmake(text, spec, reviewer);
            break;
        case SourceKind::binding_gyp:
            spec.trigger = Trigger::install;
            review_binding_gyp(text, spec, reviewer);
            break;
        case SourceKind::none:
            break;
    }
}

}  // namespace hazmat::code
