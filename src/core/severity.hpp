#pragma once

#include <optional>
#include <string_view>

namespace hazmat {

// Ordered from least to most serious so that comparisons read naturally:
// `finding.severity >= fail_on`.
enum class Severity { info = 0, low = 1, medium = 2, high = 3, critical = 4 };

std::string_view to_string(Severity severity);
std::optional<Severity> parse_severity(std::string_view text);

}  // namespace hazmat
