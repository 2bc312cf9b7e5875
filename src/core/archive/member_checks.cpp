#include "core/archive/member_checks.hpp"

#include <fmt/format.h>

#include <cctype>

#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"

namespace hazmat {

std::optional<std::string> path_escape_reason(std::string_view name) {
    std::string path(name);
    for (char& c : path) {
        if (c == '\\')
            c = '/';
    }
    if (!path.empty() && path.front() == '/')
        return "it is an absolute path";
    if (path.size() >= 2 && std::isalpha(static_cast<unsigned char>(path[0])) && path[1] == ':')
        return "it starts with a Windows drive letter";

    int64_t depth = 0;
    size_t start = 0;
    while (start <= path.size()) {
        size_t stop = path.find('/', start);
        if (stop == std::string::npos)
            stop = path.size();
        const std::string_view component(path.data() + start, stop - start);
        if (component == "..") {
            if (--depth < 0)
                return "it climbs out of the extraction directory with '..'";
        } else if (!component.empty() && component != ".") {
            ++depth;
        }
        start = stop + 1;
    }
    return std::nullopt;
}

void check_member_name(std::string_view name, const Location& member, ScanContext& context) {
    const auto reason = path_escape_reason(name);
    if (!reason)
        return;
    context.report(Finding::make(rules::kArchivePathEscape,
                                 fmt::format("Member '{}' would be extracted outside the "
                                             "destination directory: {}.",
                                             name, *reason),
                                 member)
                       .with_evidence(fmt::format("member name: {}", name)));
}

void report_link_member(LinkKind kind, std::string_view target, const Location& member,
                        ScanContext& context) {
    const std::string_view what = kind == LinkKind::symbolic ? "symbolic link" : "hard link";
    const auto& name = member.chain.empty() ? std::string() : member.chain.back().name;
    context.report(Finding::make(rules::kArchiveLink,
                                 fmt::format("Member '{}' is a {} to '{}'.", name, what, target),
                                 member)
                       .with_evidence(fmt::format("link target: {}", target)));
}

}  // namespace hazmat
