#include "scan/models/huggingface.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"
#include "scan/models/jinja_template.hpp"
#include "scan/models/json_input.hpp"

namespace hazmat::models {

namespace fs = std::filesystem;

namespace {

using nlohmann::json;

// Configs are a few kilobytes; a larger "config" is not one transformers wrote.
constexpr uint64_t kMaxConfigBytes = 16ull << 20;
constexpr uint64_t kMaxModuleBytes = 8ull << 20;
constexpr size_t kMaxModuleFiles = 64;

std::string_view base_name(std::string_view name) {
    const auto slash = name.find_last_of('/');
    return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

void add_reference(std::vector<RemoteCodeReference>& out, std::string auto_class,
                   const std::string& reference) {
    RemoteCodeReference parsed;
    parsed.auto_class = std::move(auto_class);
    parsed.reference = reference;
    std::string_view rest = reference;
    // "org/repo--module.Class": transformers fetches the module from that
    // repository instead of this one.
    if (const auto split = rest.find("--"); split != std::string_view::npos) {
        parsed.repository = std::string(rest.substr(0, split));
        rest.remove_prefix(split + 2);
    }
    const auto dot = rest.rfind('.');
    parsed.module = std::string(dot == std::string_view::npos ? rest : rest.substr(0, dot));
    out.push_back(std::move(parsed));
}

// Reads a module file the loader would import, if it is a regular file of
// reasonable size. Links are not followed: where they point is the walker's
// concern.
std::optional<std::string> read_module(const fs::path& path) {
    std::error_code error;
    const auto status = fs::symlink_status(path, error);
    if (error || !fs::is_regular_file(status))
        return std::nullopt;
    const auto size = fs::file_size(path, error);
    if (error || size > kMaxModuleBytes)
        return std::nullopt;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return std::nullopt;
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string_view trim_left(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    return text;
}

// transformers.dynamic_module_utils.get_relative_imports: lines
// `import .x` and `from .x import ...`.
std::vector<std::string> relative_imports(std::string_view source) {
    std::vector<std::string> modules;
    size_t start = 0;
    while (start < source.size()) {
        const auto end = source.find('\n', start);
        auto line = trim_left(source.substr(
            start, end == std::string_view::npos ? std::string_view::npos : end - start));
        for (const std::string_view keyword : {"import", "from"}) {
            if (!line.starts_with(keyword))
                continue;
            auto rest = line.substr(keyword.size());
            if (rest.empty() || (rest.front() != ' ' && rest.front() != '\t'))
                continue;
            rest = trim_left(rest);
            if (!rest.starts_with("."))
                continue;
            rest.remove_prefix(1);
            const auto stop = rest.find_first_of(" \t\r");
            const auto module = rest.substr(0, stop);
            if (!module.empty())
                modules.emplace_back(module);
        }
        if (end == std::string_view::npos)
            break;
        start = end + 1;
    }
    return modules;
}

// The 1-based line of the first occurrence of "reference" (quoted) in the text.
std::optional<uint32_t> line_of(std::string_view text, const std::string& reference) {
    const auto at = text.find(fmt::format("\"{}\"", reference));
    if (at == std::string_view::npos)
        return std::nullopt;
    return static_cast<uint32_t>(
        std::count(text.begin(), text.begin() + static_cast<long>(at), '\n') + 1);
}

// The directory of a config that is a file on disk (not an archive member
// or bytes held in memory), where transformers would look for its modules.
std::optional<fs::path> disk_directory_of(const Blob& blob) {
    if (blob.depth != 0 || blob.location.chain.size() != 1 ||
        blob.location.chain.front().kind != LocationPart::Kind::file)
        return std::nullopt;
    const fs::path path(blob.location.chain.front().name);
    std::error_code error;
    if (!fs::is_regular_file(fs::symlink_status(path, error)))
        return std::nullopt;
    return path.parent_path();
}

struct ModuleGroup {
    std::string repository;
    std::string module;
    std::vector<const RemoteCodeReference*> references;
};

void report_module(const Blob& blob, const ModuleGroup& group, ScanContext& context) {
    const auto directory = disk_directory_of(blob);
    const std::string module_file = group.module + ".py";
    std::vector<std::string> evidence;
    for (const auto* reference : group.references)
        evidence.push_back(fmt::format("{} -> {}", reference->auto_class, reference->reference));

    Severity severity = Severity::medium;
    std::string what;
    if (!group.repository.empty()) {
        severity = Severity::high;
        what = fmt::format(
            "downloads {} from the repository '{}' and runs it; that code is not "
            "part of this project and can change at any time",
            module_file, group.repository);
    } else if (directory) {
        const auto files = relative_import_files(*directory, module_file);
        std::vector<std::string> missing;
        for (const auto& file : files) {
            if (!read_module(*directory / file))
                missing.push_back(file);
        }
        evidence.push_back(fmt::format("loads {}", fmt::join(files, ", ")));
        if (!missing.empty()) {
            severity = Severity::high;
            evidence.push_back(fmt::format("not in the project: {}", fmt::join(missing, ", ")));
            what = fmt::format(
                "imports {} and runs it, but {} missing here: the hub copy that "
                "would run was not reviewed",
                module_file, missing.size() == 1 ? "one file is" : "files are");
        } else {
            what = fmt::format("imports {} from this project and runs it", module_file);
        }
    } else {
        what = fmt::format("imports {} and runs it", module_file);
    }

    auto where = blob.location;
    where.line = line_of(blob.bytes.as_chars(), group.references.front()->reference);
    auto finding =
        Finding::make(rules::kRemoteCode,
                      fmt::format("With trust_remote_code=True, transformers {}.", what), where)
            .with_severity(severity)
            .with_fingerprint_key(group.repository + "--" + group.module);
    for (auto& line : evidence)
        finding.with_evidence(std::move(line));
    context.report(std::move(finding));
}

void check_chat_templates(const Blob& blob, const json& config, ScanContext& context) {
    const auto templates = config.find("chat_template");
    if (templates == config.end())
        return;
    std::vector<std::pair<std::string, std::string>> named;
    if (templates->is_string()) {
        named.emplace_back("chat_template", templates->get<std::string>());
    } else if (templates->is_array()) {
        for (const auto& entry : *templates) {
            if (entry.is_object() && entry.contains("template") && entry["template"].is_string())
                named.emplace_back(fmt::format("chat_template '{}'", entry.value("name", "")),
                                   entry["template"].get<std::string>());
        }
    }
    for (const auto& [name, text] : named) {
        auto finding = template_escape_finding(find_template_escapes(text),
                                               fmt::format("{} {}", base_name(blob.name), name),
                                               blob.location, 0);
        if (!finding)
            continue;
        // nlohmann keeps no positions: point at the line instead of a byte.
        finding->location.offset.reset();
        finding->location.line = line_of(blob.bytes.as_chars(), "chat_template");
        context.report(std::move(*finding));
    }
}

}  // namespace

std::vector<RemoteCodeReference> remote_code_references(const json& config) {
    std::vector<RemoteCodeReference> out;
    if (!config.is_object())
        return out;
    if (const auto auto_map = config.find("auto_map");
        auto_map != config.end() && auto_map->is_object()) {
        for (const auto& [auto_class, value] : auto_map->items()) {
            if (value.is_string()) {
                add_reference(out, auto_class, value.get<std::string>());
            } else if (value.is_array()) {
                // AutoTokenizer: [slow class, fast class], either may be null.
                for (const auto& item : value) {
                    if (item.is_string())
                        add_reference(out, auto_class, item.get<std::string>());
                }
            }
        }
    }
    if (const auto pipelines = config.find("custom_pipelines");
        pipelines != config.end() && pipelines->is_object()) {
        for (const auto& [task, value] : pipelines->items()) {
            if (value.is_object() && value.contains("impl") && value["impl"].is_string())
                add_reference(out, fmt::format("pipeline '{}'", task),
                              value["impl"].get<std::string>());
        }
    }
    return out;
}

std::vector<std::string> relative_import_files(const fs::path& directory,
                                               const std::string& module_file) {
    std::vector<std::string> files{module_file};
    std::set<std::string> seen{module_file};
    for (size_t i = 0; i < files.size() && files.size() < kMaxModuleFiles; ++i) {
        const auto source = read_module(directory / files[i]);
        if (!source)
            continue;
        for (const auto& module : relative_imports(*source)) {
            // get_relative_import_files appends ".py" to the dotted name as written.
            auto file = module + ".py";
            if (seen.insert(file).second)
                files.push_back(std::move(file));
        }
    }
    return files;
}

bool HuggingFaceConfigAnalyzer::accepts(const Blob& blob, Format sniffed) const {
    if (sniffed != Format::unknown || blob.bytes.size() > kMaxConfigBytes)
        return false;
    if (!base_name(blob.name).ends_with("config.json"))
        return false;
    const auto text = blob.bytes.as_chars();
    return text.find("\"auto_map\"") != std::string_view::npos ||
           text.find("\"custom_pipelines\"") != std::string_view::npos ||
           text.find("\"chat_template\"") != std::string_view::npos;
}

void HuggingFaceConfigAnalyzer::analyze(const Blob& blob, Format, ScanContext& context) const {
    context.count_format("hf-config");
    const auto parsed = parse_untrusted_json(blob.bytes.as_chars());
    if (!parsed.ok) {
        context.report(Finding::make(rules::kScanUnparseable,
                                     fmt::format("The configuration cannot be parsed ({}); the "
                                                 "code it maps was not verified.",
                                                 parsed.error),
                                     blob.location)
                           .at_offset(parsed.error_offset));
        return;
    }
    // transformers reads it with Python's json, which keeps the last copy of
    // a repeated key; that copy is analysed, the earlier one only reported.
    if (auto duplicate = duplicate_key_finding(parsed, "The configuration",
                                               "the copies transformers ignores were not analyzed.",
                                               blob.location))
        context.report(std::move(*duplicate));
    const auto references = remote_code_references(parsed.value);
    std::vector<ModuleGroup> groups;
    for (const auto& reference : references) {
        auto it = std::find_if(groups.begin(), groups.end(), [&](const ModuleGroup& group) {
            return group.repository == reference.repository && group.module == reference.module;
        });
        if (it == groups.end()) {
            groups.push_back({reference.repository, reference.module, {}});
            it = std::prev(groups.end());
        }
        it->references.push_back(&reference);
    }
    for (const auto& group : groups)
        report_module(blob, group, context);
    if (parsed.value.is_object())
        check_chat_templates(blob, parsed.value, context);
}

}  // namespace hazmat::models
