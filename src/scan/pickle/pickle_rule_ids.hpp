#pragma once

#include <string_view>

// Rule ids of the pickle analyzer (HZ-PKL-*). Their metadata lives in
// pickle_rules.cpp; the deny-list names them per callable.
namespace hazmat::rules {

inline constexpr std::string_view kPickleRunsCode = "HZ-PKL-001";
inline constexpr std::string_view kPickleRunsProcess = "HZ-PKL-002";
inline constexpr std::string_view kPickleChangesFiles = "HZ-PKL-003";
inline constexpr std::string_view kPickleNetwork = "HZ-PKL-004";
inline constexpr std::string_view kPickleNestedLoad = "HZ-PKL-005";
inline constexpr std::string_view kPickleIndirectCallable = "HZ-PKL-006";
inline constexpr std::string_view kPickleUnknownCallable = "HZ-PKL-007";
inline constexpr std::string_view kPickleTampering = "HZ-PKL-008";
inline constexpr std::string_view kPickleHiddenContent = "HZ-PKL-009";
inline constexpr std::string_view kPickleLoaderDifferential = "HZ-PKL-011";
inline constexpr std::string_view kPickleUserAllowed = "HZ-PKL-012";

}  // namespace hazmat::rules
