#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/location.hpp"
#include "core/rule_registry.hpp"
#include "core/severity.hpp"

namespace hazmat {

// One thing hazmat found. Title, remediation and CWE default to the rule's;
// the message and the evidence are specific to this occurrence.
struct Finding {
    std::string rule_id;
    Severity severity = Severity::info;
    std::string title;
    std::string message;
    Location location;
    // The chain of facts that led to the verdict, outermost first
    // ("GLOBAL 'os' 'system' at byte 2", "REDUCE at byte 31 calls it").
    std::vector<std::string> evidence;
    std::string remediation;
    std::optional<int> cwe;

    // A finding for `rule` with the rule's defaults filled in.
    static Finding from_rule(const RuleInfo& rule, std::string message, Location location);
    // Same, looking the id up in the builtin registry (aborts on an unknown id).
    static Finding make(std::string_view rule_id, std::string message, Location location);

    Finding& with_severity(Severity value) {
        severity = value;
        return *this;
    }
    Finding& with_evidence(std::string line) {
        evidence.push_back(std::move(line));
        return *this;
    }
    Finding& at_offset(uint64_t value) {
        location.offset = value;
        return *this;
    }
};

// Findings are reported in a stable order: by location, then offset, then rule.
bool finding_order(const Finding& a, const Finding& b);

}  // namespace hazmat
