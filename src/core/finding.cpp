#include "core/finding.hpp"

#include <tuple>

namespace hazmat {

Finding Finding::from_rule(const RuleInfo& rule, std::string message, Location location) {
    Finding finding;
    finding.rule_id = std::string(rule.id);
    finding.severity = rule.severity;
    finding.title = std::string(rule.title);
    finding.message = std::move(message);
    finding.location = std::move(location);
    finding.remediation = std::string(rule.remediation);
    finding.cwe = rule.cwe;
    return finding;
}

Finding Finding::make(std::string_view rule_id, std::string message, Location location) {
    return from_rule(RuleRegistry::builtin().at(rule_id), std::move(message), std::move(location));
}

namespace {

auto chain_key(const Location& location) {
    std::vector<std::tuple<std::string_view, int>> key;
    key.reserve(location.chain.size());
    for (const auto& part : location.chain) {
        key.emplace_back(part.name, static_cast<int>(part.kind));
    }
    return key;
}

}  // namespace

bool finding_order(const Finding& a, const Finding& b) {
    const auto key_a = chain_key(a.location);
    const auto key_b = chain_key(b.location);
    if (key_a != key_b)
        return key_a < key_b;
    const auto pos_a = std::tuple(a.location.line.value_or(0), a.location.offset.value_or(0));
    const auto pos_b = std::tuple(b.location.line.value_or(0), b.location.offset.value_or(0));
    if (pos_a != pos_b)
        return pos_a < pos_b;
    if (a.rule_id != b.rule_id)
        return a.rule_id < b.rule_id;
    return a.message < b.message;
}

}  // namespace hazmat
