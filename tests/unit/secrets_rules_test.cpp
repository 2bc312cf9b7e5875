// Every secret rule against its generated fixture: one format-correct value
// that must be found exactly where it is, and near misses (placeholder, too
// short, wrong checksum, part of a URL path ...) that must not be reported
// above info. See tests/fixtures/secrets/generate_cases.py.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/rule_registry.hpp"
#include "scan/secrets/secret_rules.hpp"
#include "secrets_test_support.hpp"

namespace hazmat {
namespace {

using testing::reportable;
using testing::scan_text;

const nlohmann::json& cases() {
    static const nlohmann::json parsed = [] {
        std::ifstream in(std::string(HAZMAT_FIXTURES_DIR) + "/secrets/cases.json");
        return nlohmann::json::parse(in);
    }();
    return parsed;
}

const secrets::SecretRule* rule_named(std::string_view name) {
    for (const auto& rule : secrets::embedded_rule_set().rules) {
        if (rule.name == name)
            return &rule;
    }
    return nullptr;
}

TEST(SecretRules, CatalogueCoversAtLeast150TokenFormats) {
    EXPECT_GE(secrets::embedded_rule_set().rules.size(), 150u);
    size_t registered = 0;
    for (const auto& rule : RuleRegistry::builtin().all())
        registered += rule_area(rule.id) == "SEC";
    EXPECT_EQ(registered, secrets::embedded_rule_set().rules.size() +
                              secrets::embedded_rule_set().notices.size());
}

TEST(SecretRules, EveryRuleHasAFixture) {
    std::map<std::string, int> seen;
    for (const auto& entry : cases())
        ++seen[entry["rule"].get<std::string>()];
    for (const auto& rule : secrets::embedded_rule_set().rules)
        EXPECT_EQ(seen[rule.name], 1) << rule.name << " has no case in cases.json";
}

TEST(SecretRules, EachRuleFindsItsTokenAtItsPosition) {
    for (const auto& entry : cases()) {
        const auto name = entry["rule"].get<std::string>();
        SCOPED_TRACE(name);
        const auto* rule = rule_named(name);
        ASSERT_NE(rule, nullptr);
        const auto text = entry["text"].get<std::string>();
        auto found = reportable(scan_text(text, "settings.env"));
        // A rule that needs a partner (an AWS or Alibaba secret next to its
        // key id) is shown with the partner, which is reported too.
        std::erase_if(found, [&](const Finding& f) {
            const auto* partner = rule_named(rule->partner);
            return partner != nullptr && f.rule_id == partner->id;
        });
        ASSERT_EQ(found.size(), 1u) << (found.empty() ? "nothing" : found[0].rule_id);
        EXPECT_EQ(found[0].rule_id, rule->id);
        EXPECT_EQ(found[0].severity, rule->severity);
        EXPECT_EQ(found[0].location.line, entry["line"].get<uint32_t>());
        EXPECT_EQ(found[0].location.column, entry["column"].get<uint32_t>());
        EXPECT_NE(found[0].message.find(
                      fmt::format("({} characters, redacted)", entry["length"].get<size_t>())),
                  std::string::npos)
            << found[0].message;
        EXPECT_EQ(found[0].fingerprint.size(), 32u);
    }
}

// A near miss is not reported by its rule above info, and nothing else calls
// it a high-severity leak. (A truncated token assigned to API_KEY may still
// be a generic medium "hard-coded secret": it is one.)
TEST(SecretRules, NearMissesAreNotReportedAsLeaks) {
    for (const auto& entry : cases()) {
        const auto* rule = rule_named(entry["rule"].get<std::string>());
        ASSERT_NE(rule, nullptr);
        for (const auto& negative : entry["negatives"]) {
            SCOPED_TRACE(rule->name + ": " + negative["why"].get<std::string>());
            for (const auto& finding : reportable(scan_text(negative["text"].get<std::string>()))) {
                EXPECT_NE(finding.rule_id, rule->id) << finding.message;
                EXPECT_LT(finding.severity, Severity::high)
                    << finding.rule_id << " " << finding.message;
            }
        }
    }
}

}  // namespace
}  // namespace hazmat
