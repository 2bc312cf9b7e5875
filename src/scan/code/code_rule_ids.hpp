#pragma once

#include <string_view>

// Rule ids of the code analyzers (HZ-CODE-*) and the CI workflow analyzer
// (HZ-CI-*). Each id's title, explanation and remediation live in
// code_rules.cpp; docs/code-rules.md describes the families with examples.
namespace hazmat::rules {

// Execution surfaces: code that runs without the user asking for it.
inline constexpr std::string_view kSetupPyCommand = "HZ-CODE-001";
inline constexpr std::string_view kSetupPyTopLevel = "HZ-CODE-002";
inline constexpr std::string_view kInTreeBuildBackend = "HZ-CODE-003";
inline constexpr std::string_view kPthExecutes = "HZ-CODE-004";
inline constexpr std::string_view kSiteCustomize = "HZ-CODE-005";
inline constexpr std::string_view kNpmLifecycleScript = "HZ-CODE-006";
inline constexpr std::string_view kBindingGyp = "HZ-CODE-007";
inline constexpr std::string_view kCondaLinkScript = "HZ-CODE-008";
inline constexpr std::string_view kEditorFolderOpenTask = "HZ-CODE-009";
inline constexpr std::string_view kDevcontainerCommand = "HZ-CODE-010";
inline constexpr std::string_view kEnvrc = "HZ-CODE-011";
inline constexpr std::string_view kBuildFileFetches = "HZ-CODE-012";

// Dynamic code execution of data.
inline constexpr std::string_view kDynamicExec = "HZ-CODE-020";
inline constexpr std::string_view kBuiltinsIndirection = "HZ-CODE-021";
inline constexpr std::string_view kCodeObject = "HZ-CODE-022";

// Download and execute.
inline constexpr std::string_view kDownloadExecute = "HZ-CODE-030";
inline constexpr std::string_view kPipeToInterpreter = "HZ-CODE-031";
inline constexpr std::string_view kLolbinDownload = "HZ-CODE-032";

// Credential and data theft.
inline constexpr std::string_view kCredentialRead = "HZ-CODE-040";
inline constexpr std::string_view kEnvironmentDump = "HZ-CODE-041";

// Exfiltration sinks.
inline constexpr std::string_view kExfilEndpoint = "HZ-CODE-050";
inline constexpr std::string_view kComputedDnsLookup = "HZ-CODE-051";

// Persistence and tampering.
inline constexpr std::string_view kPersistenceWrite = "HZ-CODE-060";
inline constexpr std::string_view kAssistantConfigWrite = "HZ-CODE-061";
inline constexpr std::string_view kAssistantBypass = "HZ-CODE-062";

// Unsafe model loading in the project's own code.
inline constexpr std::string_view kTorchLoadUnsafe = "HZ-CODE-070";
inline constexpr std::string_view kPickleLoad = "HZ-CODE-071";
inline constexpr std::string_view kJoblibLoad = "HZ-CODE-072";
inline constexpr std::string_view kNumpyAllowPickle = "HZ-CODE-073";
inline constexpr std::string_view kYamlUnsafeLoad = "HZ-CODE-074";
inline constexpr std::string_view kKerasUnsafeMode = "HZ-CODE-075";
inline constexpr std::string_view kTrustRemoteCode = "HZ-CODE-076";
inline constexpr std::string_view kTorchHubLoad = "HZ-CODE-077";
inline constexpr std::string_view kUnpinnedHubDownload = "HZ-CODE-078";
inline constexpr std::string_view kUnsafeLoadFallback = "HZ-CODE-079";

// Obfuscation.
inline constexpr std::string_view kEncodedPayload = "HZ-CODE-080";
inline constexpr std::string_view kOffScreenCode = "HZ-CODE-081";
inline constexpr std::string_view kOpaqueBlob = "HZ-CODE-082";
inline constexpr std::string_view kInvisibleCharacters = "HZ-CODE-083";
inline constexpr std::string_view kIdentifierSoup = "HZ-CODE-084";
inline constexpr std::string_view kSuppressionMarker = "HZ-CODE-085";

// Dockerfiles.
inline constexpr std::string_view kDockerAddUrl = "HZ-CODE-090";
inline constexpr std::string_view kDockerSecret = "HZ-CODE-091";

// YARA matches.
inline constexpr std::string_view kYaraBundled = "HZ-CODE-100";
inline constexpr std::string_view kYaraUser = "HZ-CODE-101";

// CI workflows.
inline constexpr std::string_view kCiExpressionInjection = "HZ-CI-001";
inline constexpr std::string_view kCiUntrustedCheckout = "HZ-CI-002";
inline constexpr std::string_view kCiUnpinnedAction = "HZ-CI-003";
inline constexpr std::string_view kCiSecretsInherit = "HZ-CI-004";
inline constexpr std::string_view kCiEnvFileInjection = "HZ-CI-005";
inline constexpr std::string_view kCiCacheInRelease = "HZ-CI-006";

}  // namespace hazmat::rules
