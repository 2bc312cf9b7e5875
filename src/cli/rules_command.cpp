#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "cli/cli.hpp"
#include "core/exit_code.hpp"
#include "core/rule_registry.hpp"

namespace hazmat::cli {

namespace {

std::string upper(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return text;
}

int list_rules(const std::string& area) {
    const auto wanted = upper(area);
    size_t shown = 0;
    for (const auto& rule : RuleRegistry::builtin().all()) {
        if (!wanted.empty() && rule_area(rule.id) != wanted)
            continue;
        fmt::print("{:<12} {:<8} {}\n", rule.id, to_string(rule.severity), rule.title);
        ++shown;
    }
    if (shown == 0) {
        std::set<std::string> areas;
        for (const auto& rule : RuleRegistry::builtin().all())
            areas.insert(std::string(rule_area(rule.id)));
        print_error(fmt::format("no rules in area '{}' (areas: {})", area, fmt::join(areas, ", ")));
        return kExitUsage;
    }
    return kExitClean;
}

int explain_rule(const std::string& id) {
    const auto* rule = RuleRegistry::builtin().find(upper(id));
    if (rule == nullptr) {
        print_error(fmt::format("unknown rule '{}'; 'hazmat rules' lists them", id));
        return kExitUsage;
    }
    fmt::print("{}  {}\n", rule->id, rule->title);
    fmt::print("severity: {}\n", to_string(rule->severity));
    if (rule->cwe)
        fmt::print("CWE-{}\n", *rule->cwe);
    fmt::print("\n{}\n\nWhat to do: {}\n", rule->description, rule->remediation);
    if (!rule->references.empty())
        fmt::print("\nReferences: {}\n", rule->references);
    return kExitClean;
}

}  // namespace

void add_rules_commands(CLI::App& app, const GlobalOptions&, int& exit_code) {
    auto area = std::make_shared<std::string>();
    auto* rules = app.add_subcommand("rules", "List the rules hazmat applies");
    rules->add_option("--area", *area, "Only rules of this area (SCAN, MDL, PKL, ...)");
    rules->callback([area, &exit_code] { exit_code = list_rules(*area); });

    auto id = std::make_shared<std::string>();
    auto* explain =
        app.add_subcommand("explain", "Explain one rule: what it detects and what to do");
    explain->add_option("RULE", *id, "Rule id, e.g. HZ-PKL-001")->required();
    explain->callback([id, &exit_code] { exit_code = explain_rule(*id); });
}

}  // namespace hazmat::cli
