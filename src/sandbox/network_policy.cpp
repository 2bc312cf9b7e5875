#include "sandbox/network_policy.hpp"

#include <algorithm>
#include <cctype>

namespace hazmat::sandbox {

namespace {

bool iequal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

}  // namespace

bool host_matches(std::string_view pattern, std::string_view name) {
    if (name.ends_with('.'))
        name.remove_suffix(1);
    if (pattern.starts_with("*.")) {
        const auto suffix = pattern.substr(1);  // ".example.com"
        return name.size() > suffix.size() &&
               iequal(name.substr(name.size() - suffix.size()), suffix);
    }
    return iequal(pattern, name);
}

bool NetworkPolicy::admits_name(std::string_view name) const {
    if (mode == NetworkMode::loopback_only)
        return false;
    return std::any_of(allow.begin(), allow.end(),
                       [&](const EgressRule& rule) { return host_matches(rule.host, name); });
}

bool NetworkPolicy::admits_flow(std::string_view host, uint16_t port) const {
    if (mode == NetworkMode::loopback_only)
        return false;
    return std::any_of(allow.begin(), allow.end(), [&](const EgressRule& rule) {
        return host_matches(rule.host, host) && (rule.port == 0 || rule.port == port);
    });
}

}  // namespace hazmat::sandbox
