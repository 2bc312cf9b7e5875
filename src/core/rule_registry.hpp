#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/severity.hpp"

namespace hazmat {

// Everything a user needs to understand a rule without reading the code:
// `hazmat rules` lists these and `hazmat explain ID` prints one.
struct RuleInfo {
    std::string_view id;  // HZ-<AREA>-<NNN>
    Severity severity;    // default severity; a finding may carry another with a reason
    std::string_view title;
    std::string_view description;  // what it detects and why it matters
    std::string_view remediation;  // what the user should do
    std::optional<int> cwe;
    std::string_view references = {};  // advisories (CVE/GHSA) or documents, comma separated
};

// The area of a rule id ("PKL" for "HZ-PKL-001"); empty if malformed.
std::string_view rule_area(std::string_view id);

// All rules hazmat knows. Each analyzer area contributes a static table; the
// registry is immutable after construction and safe to share between threads.
class RuleRegistry {
  public:
    static const RuleRegistry& builtin();

    explicit RuleRegistry(std::vector<RuleInfo> rules);

    const RuleInfo* find(std::string_view id) const;
    // Like find(), but a missing id is a programming error: it aborts with the id.
    const RuleInfo& at(std::string_view id) const;
    std::span<const RuleInfo> all() const { return rules_; }

  private:
    std::vector<RuleInfo> rules_;  // sorted by id
};

// Per-area tables; each is defined next to the analyzer that emits the rules.
std::span<const RuleInfo> scan_rules();    // HZ-SCAN-*: could not verify
std::span<const RuleInfo> model_rules();   // HZ-MDL-*: model containers and archives
std::span<const RuleInfo> pickle_rules();  // HZ-PKL-*: pickle payloads
// HZ-SEC-*: leaked credentials. Built at first use from the rule data files
// compiled into the binary (rules/secrets/*.toml), so it is not constant-initialized.
std::span<const RuleInfo> secret_rules();
std::span<const RuleInfo> run_rules();         // HZ-RUN-*: what a sandboxed program tried
std::span<const RuleInfo> code_rules();        // HZ-CODE-*: source code, install hooks, containers
std::span<const RuleInfo> ci_rules();          // HZ-CI-*: CI workflows
std::span<const RuleInfo> dependency_rules();  // HZ-DEP-*: dependencies

}  // namespace hazmat
