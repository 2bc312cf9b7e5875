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
    // Baselines. `fingerprint` identifies this finding across scans: the
    // same fact in the same file keeps it when lines move, when the target
    // is scanned from another directory and, in git history, from another
    // commit. The scanner computes it (see make_fingerprint) from the rule,
    // the location's path relative to the target and `fingerprint_key`,
    // which an analyzer sets to what tells this occurrence apart (for a
    // secret, a hash of its value). No key, no fingerprint: such a finding
    // cannot be hidden by a baseline.
    std::string fingerprint_key;
    std::string fingerprint;

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
    Finding& with_fingerprint_key(std::string key) {
        fingerprint_key = std::move(key);
        return *this;
    }
};

// The part of a location that a fingerprint depends on: file, archive member
// and decompression hops ("model.zip!cfg/settings.json"), with the target's
// own display prefix removed from the file. Commits, embedded parts, lines
// and offsets are left out so that the fingerprint survives edits around it.
std::string fingerprint_path(const Location& location, std::string_view target_display);

// Hex SHA-256 over the rule id, the fingerprint path and the key, 32
// characters long. Fills `finding.fingerprint` when it has a key.
std::string make_fingerprint(std::string_view rule_id, std::string_view path, std::string_view key);
void finalize_fingerprint(Finding& finding, std::string_view target_display);

// Lower-case hex SHA-256 of some bytes (for fingerprint keys).
std::string sha256_hex(std::string_view bytes);

// Findings are reported in a stable order: by location, then offset, then rule.
bool finding_order(const Finding& a, const Finding& b);

}  // namespace hazmat
