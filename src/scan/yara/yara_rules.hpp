#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/severity.hpp"

struct YR_RULES;

namespace hazmat::yara {

// One rule that matched, with the metadata hazmat reads: `description`,
// `severity` (critical, high, medium, low, info) and `reference`.
struct YaraMatch {
    std::string rule;  // namespace:identifier
    std::string description;
    std::optional<Severity> severity;
    std::string reference;
    uint64_t offset = 0;    // first matching string
    std::string string_id;  // its identifier ($payload)
};

// Compiled rules, shareable between threads (libyara scans one set of rules
// from many threads at once).
class YaraRules {
  public:
    // Compiles every *.yar and *.yara file under `directory` (sorted, each
    // file its own namespace). Fails naming the file, line and error when
    // one does not compile, or when the directory holds no rules.
    static Result<std::shared_ptr<const YaraRules>> compile_directory(
        const std::filesystem::path& directory);
    // For tests: compiles rules given as text.
    static Result<std::shared_ptr<const YaraRules>> compile_text(const std::string& rules);

    ~YaraRules();
    YaraRules(const YaraRules&) = delete;
    YaraRules& operator=(const YaraRules&) = delete;

    // Scans bytes; `timeout_seconds` bounds pathological patterns. A scan
    // error (timeout, too many matches) comes back as an Error.
    Result<std::vector<YaraMatch>> scan(ByteSpan bytes, int timeout_seconds = 60) const;

    size_t rule_count() const { return rule_count_; }

  private:
    explicit YaraRules(YR_RULES* rules, size_t count) : rules_(rules), rule_count_(count) {}
    YR_RULES* rules_;
    size_t rule_count_;
};

}  // namespace hazmat::yara
