#pragma once

#include <string_view>

// Rule ids used across modules. Each id's metadata (title, explanation,
// remediation) lives in the table of its area; see rule_registry.hpp.
namespace hazmat::rules {

// HZ-SCAN-*: hazmat could not verify something. Never a silent pass.
inline constexpr std::string_view kScanLimit = "HZ-SCAN-001";
inline constexpr std::string_view kScanUnparseable = "HZ-SCAN-002";
inline constexpr std::string_view kScanEncrypted = "HZ-SCAN-003";
inline constexpr std::string_view kScanUnknownModel = "HZ-SCAN-004";
inline constexpr std::string_view kScanUnreadable = "HZ-SCAN-005";
inline constexpr std::string_view kScanSymlinkOutside = "HZ-SCAN-006";
inline constexpr std::string_view kScanSpecialFile = "HZ-SCAN-007";
inline constexpr std::string_view kScanInternalError = "HZ-SCAN-008";

// HZ-MDL-*: model containers and the archives they travel in.
inline constexpr std::string_view kArchivePathEscape = "HZ-MDL-001";
inline constexpr std::string_view kArchiveLink = "HZ-MDL-002";
inline constexpr std::string_view kZipAnomaly = "HZ-MDL-003";
inline constexpr std::string_view kTorchScriptCode = "HZ-MDL-004";
inline constexpr std::string_view kNumpyObjectArray = "HZ-MDL-005";
inline constexpr std::string_view kDataOutsideStructure = "HZ-MDL-006";

}  // namespace hazmat::rules
