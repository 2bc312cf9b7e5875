#include "core/severity.hpp"

#include <array>

namespace hazmat {

namespace {
constexpr std::array<std::string_view, 5> kNames = {"info", "low", "medium", "high", "critical"};
}

std::string_view to_string(Severity severity) {
    return kNames.at(static_cast<size_t>(severity));
}

std::optional<Severity> parse_severity(std::string_view text) {
    for (size_t i = 0; i < kNames.size(); ++i) {
        if (kNames[i] == text)
            return static_cast<Severity>(i);
    }
    return std::nullopt;
}

}  // namespace hazmat
