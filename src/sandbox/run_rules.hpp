#pragma once

#include <string_view>

// Rule ids of `hazmat run`: what a sandboxed program tried. The table with
// titles, explanations and remediations is run_rules() in run_rules.cpp.
namespace hazmat::rules {

inline constexpr std::string_view kRunDecoyRead = "HZ-RUN-001";
inline constexpr std::string_view kRunDecoyLeak = "HZ-RUN-002";
inline constexpr std::string_view kRunNetworkAttempt = "HZ-RUN-003";
inline constexpr std::string_view kRunHostServiceProbe = "HZ-RUN-004";
inline constexpr std::string_view kRunShellSpawned = "HZ-RUN-005";
inline constexpr std::string_view kRunDownloaderSpawned = "HZ-RUN-006";
inline constexpr std::string_view kRunPersistence = "HZ-RUN-007";
inline constexpr std::string_view kRunOutsideWrite = "HZ-RUN-008";
inline constexpr std::string_view kRunSensitivePath = "HZ-RUN-009";
inline constexpr std::string_view kRunDeniedSyscalls = "HZ-RUN-010";
inline constexpr std::string_view kRunLimitHit = "HZ-RUN-011";
inline constexpr std::string_view kRunTimedOut = "HZ-RUN-012";
inline constexpr std::string_view kRunMonitorIncomplete = "HZ-RUN-013";
inline constexpr std::string_view kRunRiskyWorkspaceChange = "HZ-RUN-014";
inline constexpr std::string_view kRunNewExecutable = "HZ-RUN-015";
inline constexpr std::string_view kRunEscapingSymlink = "HZ-RUN-016";
inline constexpr std::string_view kRunListening = "HZ-RUN-017";
inline constexpr std::string_view kRunWorkspaceChanges = "HZ-RUN-018";
inline constexpr std::string_view kRunCommandFailed = "HZ-RUN-019";
inline constexpr std::string_view kRunDegraded = "HZ-RUN-020";
inline constexpr std::string_view kRunUserDenied = "HZ-RUN-021";
inline constexpr std::string_view kRunLimitsPartlyObserved = "HZ-RUN-022";

}  // namespace hazmat::rules
