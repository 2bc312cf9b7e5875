#include "scan/deps/ecosystem.hpp"

#include <cctype>

namespace hazmat::deps {

std::string_view to_string(Ecosystem ecosystem) {
    switch (ecosystem) {
        case Ecosystem::pypi:
            return "PyPI";
        case Ecosystem::npm:
            return "npm";
    }
    return "?";
}

std::optional<Ecosystem> parse_ecosystem(std::string_view osv_name) {
    if (osv_name == "PyPI")
        return Ecosystem::pypi;
    if (osv_name == "npm")
        return Ecosystem::npm;
    return std::nullopt;
}

std::string normalize_name(Ecosystem ecosystem, std::string_view name) {
    std::string result;
    result.reserve(name.size());
    if (ecosystem == Ecosystem::npm) {
        for (const char c : name)
            result += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return result;
    }
    // PEP 503: runs of '-', '_' and '.' collapse to one '-'.
    bool in_separator_run = false;
    for (const char c : name) {
        if (c == '-' || c == '_' || c == '.') {
            if (!in_separator_run)
                result += '-';
            in_separator_run = true;
            continue;
        }
        in_separator_run = false;
        result += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return result;
}

}  // namespace hazmat::deps
