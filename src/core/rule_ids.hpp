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
inline constexpr std::string_view kKerasLambda = "HZ-MDL-007";
inline constexpr std::string_view kKerasForeignCallable = "HZ-MDL-008";
inline constexpr std::string_view kKerasGadget = "HZ-MDL-009";
inline constexpr std::string_view kKerasUnsafeSwitch = "HZ-MDL-010";
inline constexpr std::string_view kKerasTorchModule = "HZ-MDL-011";
inline constexpr std::string_view kKerasSavedModelLayer = "HZ-MDL-012";
inline constexpr std::string_view kKerasCustomObject = "HZ-MDL-013";
inline constexpr std::string_view kGraphPythonOp = "HZ-MDL-014";
inline constexpr std::string_view kGraphFileOp = "HZ-MDL-015";
inline constexpr std::string_view kGraphOutputOp = "HZ-MDL-016";
inline constexpr std::string_view kOnnxExternalDataEscape = "HZ-MDL-017";
inline constexpr std::string_view kOnnxCustomDomain = "HZ-MDL-018";
inline constexpr std::string_view kTensorSizeMismatch = "HZ-MDL-019";
inline constexpr std::string_view kTemplateInjection = "HZ-MDL-020";
inline constexpr std::string_view kTorchScriptCustomOp = "HZ-MDL-021";
inline constexpr std::string_view kRemoteCode = "HZ-MDL-022";

}  // namespace hazmat::rules
