#pragma once

#include <string_view>

// HZ-DEP-*: dependencies. Metadata (title, explanation, remediation) is in
// dependency_rules.cpp; `hazmat explain ID` prints it.
namespace hazmat::rules {

// Known vulnerabilities and malware (OSV).
inline constexpr std::string_view kDepMalicious = "HZ-DEP-001";
inline constexpr std::string_view kDepVulnerable = "HZ-DEP-002";
inline constexpr std::string_view kDepRangeVulnerable = "HZ-DEP-003";

// Typosquatting.
inline constexpr std::string_view kDepTypo = "HZ-DEP-010";
inline constexpr std::string_view kDepLookalike = "HZ-DEP-011";
inline constexpr std::string_view kDepCombosquat = "HZ-DEP-012";
inline constexpr std::string_view kDepScopeConfusion = "HZ-DEP-013";

// Dependency confusion and provenance.
inline constexpr std::string_view kDepExtraIndex = "HZ-DEP-020";
inline constexpr std::string_view kDepConfusionVersion = "HZ-DEP-021";
inline constexpr std::string_view kDepInternalName = "HZ-DEP-022";
inline constexpr std::string_view kDepWellKnownElsewhere = "HZ-DEP-023";
inline constexpr std::string_view kDepAlias = "HZ-DEP-024";
inline constexpr std::string_view kDepCustomIndex = "HZ-DEP-025";
inline constexpr std::string_view kDepInsecureIndex = "HZ-DEP-026";
inline constexpr std::string_view kDepMissingHash = "HZ-DEP-027";
inline constexpr std::string_view kDepDirectSource = "HZ-DEP-028";

// Hygiene.
inline constexpr std::string_view kDepUnpinned = "HZ-DEP-030";
inline constexpr std::string_view kDepWildcard = "HZ-DEP-031";
inline constexpr std::string_view kDepGitWithoutCommit = "HZ-DEP-032";
inline constexpr std::string_view kDepIncludeNotFollowed = "HZ-DEP-033";
inline constexpr std::string_view kDepComputedRequirements = "HZ-DEP-034";

}  // namespace hazmat::rules
