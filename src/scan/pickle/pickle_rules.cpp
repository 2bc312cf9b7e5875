#include "core/rule_registry.hpp"

namespace hazmat {

namespace {

const RuleInfo kPickleRules[] = {
    {"HZ-PKL-001", Severity::critical, "Pickle runs code when loaded",
     "placeholder until the pickle rules land", "Do not load the file.", 502},
};

}  // namespace

std::span<const RuleInfo> pickle_rules() {
    return kPickleRules;
}

}  // namespace hazmat
