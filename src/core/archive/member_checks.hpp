#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/location.hpp"

namespace hazmat {

class ScanContext;

// Why extracting a member with this name would write outside the
// destination directory, or nothing if it stays inside. Backslashes count
// as separators (Windows extractors treat them so) and `..` is resolved the
// way an extractor joins paths: "a/../b" stays inside, "a/../../b" does not.
std::optional<std::string> path_escape_reason(std::string_view name);

// Reports HZ-MDL-001 when the member's name escapes the archive (zip slip).
void check_member_name(std::string_view name, const Location& member, ScanContext& context);

enum class LinkKind { symbolic, hard };

// Reports HZ-MDL-002 for a member that is a link, with its target as evidence.
void report_link_member(LinkKind kind, std::string_view target, const Location& member,
                        ScanContext& context);

}  // namespace hazmat
