#include "scan/models/torch_archive.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/rule_ids.hpp"

namespace hazmat::models {

std::string_view to_string(TorchArchiveKind kind) {
    switch (kind) {
        case TorchArchiveKind::none:
            return "none";
        case TorchArchiveKind::pytorch_zip:
            return "pytorch-zip";
        case TorchArchiveKind::torchscript:
            return "torchscript";
    }
    return "none";
}

namespace {

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool is_code_record(std::string_view record) {
    return (record.starts_with("code/") && ends_with(record, ".py")) ||
           ends_with(record, ".debug_pkl");
}

bool is_pickle_record(std::string_view record) {
    return ends_with(record, ".pkl") || ends_with(record, ".debug_pkl");
}

// Evidence stays readable for TorchScript models with hundreds of modules.
constexpr size_t kMaxListedCodeMembers = 50;

}  // namespace

TorchArchiveLayout classify_torch_archive(std::span<const std::string> member_names) {
    TorchArchiveLayout layout;
    if (member_names.empty())
        return layout;

    // PyTorchStreamReader takes the directory of the first entry as the
    // archive's name and prefixes every lookup with it; an archive whose first
    // entry is not in a directory is rejected by torch.
    const auto slash = member_names.front().find('/');
    if (slash == std::string::npos) {
        layout.foreign_members.assign(member_names.begin(), member_names.end());
        return layout;
    }
    layout.prefix = member_names.front().substr(0, slash);
    const std::string prefix_slash = layout.prefix + "/";

    bool has_data_pickle = false;
    bool is_torchscript = false;
    for (const auto& name : member_names) {
        if (!name.starts_with(prefix_slash)) {
            layout.foreign_members.push_back(name);
            continue;
        }
        const std::string_view record = std::string_view(name).substr(prefix_slash.size());
        if (record.empty() || record.back() == '/')
            continue;
        if (is_pickle_record(record))
            layout.pickle_members.push_back(name);
        if (is_code_record(record))
            layout.code_members.push_back(name);
        if (record == "version" || record == ".data/version")
            layout.version_member = name;
        has_data_pickle = has_data_pickle || record == "data.pkl";
        // torch.load checks for constants.pkl (serialization._is_torchscript_zip);
        // bytecode.pkl marks the mobile (lite interpreter) variant.
        is_torchscript = is_torchscript || record == "constants.pkl" || record == "bytecode.pkl" ||
                         record.starts_with("code/");
    }
    if (is_torchscript) {
        layout.kind = TorchArchiveKind::torchscript;
    } else if (has_data_pickle) {
        layout.kind = TorchArchiveKind::pytorch_zip;
    }
    return layout;
}

std::vector<Finding> torch_archive_findings(const TorchArchiveLayout& layout,
                                            const Location& archive) {
    std::vector<Finding> findings;
    if (layout.kind != TorchArchiveKind::torchscript)
        return findings;
    auto finding = Finding::make(
        rules::kTorchScriptCode,
        fmt::format("TorchScript archive '{}': torch.jit.load, and torch.load, compile and run "
                    "the code in {} member{}.",
                    layout.prefix, layout.code_members.size(),
                    layout.code_members.size() == 1 ? "" : "s"),
        archive);
    const size_t listed = std::min(layout.code_members.size(), kMaxListedCodeMembers);
    for (size_t i = 0; i < listed; ++i)
        finding.with_evidence(fmt::format("code member {}", layout.code_members[i]));
    if (listed < layout.code_members.size())
        finding.with_evidence(
            fmt::format("... and {} more code members", layout.code_members.size() - listed));
    findings.push_back(std::move(finding));
    return findings;
}

}  // namespace hazmat::models
