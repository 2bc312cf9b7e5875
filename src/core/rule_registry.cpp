#include "core/rule_registry.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace hazmat {

std::string_view rule_area(std::string_view id) {
    if (!id.starts_with("HZ-"))
        return {};
    const auto rest = id.substr(3);
    const auto dash = rest.find('-');
    if (dash == std::string_view::npos || dash == 0)
        return {};
    return rest.substr(0, dash);
}

RuleRegistry::RuleRegistry(std::vector<RuleInfo> rules) : rules_(std::move(rules)) {
    std::sort(rules_.begin(), rules_.end(),
              [](const RuleInfo& a, const RuleInfo& b) { return a.id < b.id; });
}

const RuleRegistry& RuleRegistry::builtin() {
    static const RuleRegistry registry = [] {
        std::vector<RuleInfo> rules;
        for (const auto table : {scan_rules(), model_rules(), pickle_rules(), secret_rules(),
                                 run_rules(), code_rules(), ci_rules(), dependency_rules()}) {
            rules.insert(rules.end(), table.begin(), table.end());
        }
        return RuleRegistry(std::move(rules));
    }();
    return registry;
}

const RuleInfo* RuleRegistry::find(std::string_view id) const {
    const auto it =
        std::lower_bound(rules_.begin(), rules_.end(), id,
                         [](const RuleInfo& rule, std::string_view key) { return rule.id < key; });
    if (it == rules_.end() || it->id != id)
        return nullptr;
    return &*it;
}

const RuleInfo& RuleRegistry::at(std::string_view id) const {
    if (const auto* rule = find(id))
        return *rule;
    std::fprintf(stderr, "hazmat: internal error: rule %.*s is not registered\n",
                 static_cast<int>(id.size()), id.data());
    std::abort();
}

}  // namespace hazmat
