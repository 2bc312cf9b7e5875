#pragma once

#include <memory>

#include "core/analyzer.hpp"
#include "scan/yara/yara_rules.hpp"

namespace hazmat::yara {

// Runs hazmat's bundled YARA rules and the user's (--yara-rules) over every
// blob that is content rather than a container: archives and compressed
// streams are matched through their members, which carry better locations.
// Matches become HZ-CODE-100 (bundled) and HZ-CODE-101 (user) findings with
// the rule's name, description and severity.
class YaraAnalyzer final : public Analyzer {
  public:
    YaraAnalyzer(std::shared_ptr<const YaraRules> bundled, std::shared_ptr<const YaraRules> user)
        : bundled_(std::move(bundled)), user_(std::move(user)) {}

    std::string_view name() const override { return "yara"; }
    bool accepts(const Blob& blob, Format sniffed) const override;
    bool identifies_format() const override { return false; }
    void analyze(const Blob& blob, Format sniffed, ScanContext& context) const override;

  private:
    std::shared_ptr<const YaraRules> bundled_;
    std::shared_ptr<const YaraRules> user_;
};

// Content above this size is not matched.
// LIMITATION: YARA skips blobs larger than 64 MiB (multi-gigabyte weights);
// their structure is verified by the model analyzers instead.
inline constexpr uint64_t kYaraMaxBlobBytes = 64ull << 20;

}  // namespace hazmat::yara
