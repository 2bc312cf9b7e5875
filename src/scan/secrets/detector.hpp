#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/severity.hpp"
#include "scan/secrets/secret_rules.hpp"

namespace hazmat::secrets {

// One credential found in a text, before it becomes a Finding. `secret`
// views the scanned text; it is hashed and redacted, never copied out.
struct Detection {
    const SecretRule* rule = nullptr;
    size_t begin = 0;  // byte offsets of the secret in the text
    size_t end = 0;
    std::string_view secret;
    Severity severity = Severity::info;
    // Why the value is an example rather than a credential, when it is one.
    std::optional<std::string> placeholder;
    // Facts that confirmed the match: checksum, decoded structure, context.
    std::vector<std::string> evidence;
    // One-based line and byte column of the secret (text content only).
    uint32_t line = 0;
    uint32_t column = 0;
    // Other tools' ignore markers on the secret's line or the line above.
    std::vector<std::string> ignore_markers;
};

struct DetectOptions {
    // Not text: generic rules are skipped and no line numbers are computed.
    bool binary = false;
};

struct DetectResult {
    std::vector<Detection> detections;
    // True when the matcher stopped early (too many candidate matches), so
    // part of the content was not examined.
    bool truncated = false;
};

// All secret rules compiled into one vectorscan database. The text is
// scanned once for every rule, every context keyword and every ignore
// marker; RE2 then runs only on the short windows that vectorscan matched,
// to extract the secret, and validators decide. Immutable and thread-safe.
class SecretDetector {
  public:
    static Result<std::unique_ptr<const SecretDetector>> build(SecretRuleSet rules);
    ~SecretDetector();
    SecretDetector(const SecretDetector&) = delete;
    SecretDetector& operator=(const SecretDetector&) = delete;

    const SecretRuleSet& rules() const;
    DetectResult detect(std::string_view text, const DetectOptions& options) const;

    struct Impl;

  private:
    explicit SecretDetector(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// "ghp_…" style: a short prefix and the length, never the value. The prefix
// is at most 8 characters and at most a quarter of the value.
std::string redact(std::string_view secret);

}  // namespace hazmat::secrets
