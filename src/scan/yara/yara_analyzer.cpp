#include "scan/yara/yara_analyzer.hpp"

#include <fmt/format.h>

#include "core/finding.hpp"
#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"
#include "core/tensor_storage.hpp"
#include "scan/code/code_rule_ids.hpp"

namespace hazmat::yara {

namespace {

void report_matches(const YaraRules& rules, std::string_view rule_id, const Blob& blob,
                    ScanContext& context) {
    auto matches = rules.scan(blob.bytes.span());
    if (!matches) {
        context.report_limit(LimitKind::timeout, blob.location, matches.error().message);
        return;
    }
    for (const auto& match : *matches) {
        Location location = blob.location;
        location.offset = match.offset;
        auto finding =
            Finding::make(rule_id,
                          match.description.empty()
                              ? fmt::format("YARA rule {} matched.", match.rule)
                              : fmt::format("{} (YARA rule {}).", match.description, match.rule),
                          location);
        finding.title = fmt::format("YARA rule {} matched", match.rule);
        if (match.severity)
            finding.with_severity(*match.severity);
        finding.with_evidence(fmt::format("string {} at byte {}", match.string_id, match.offset));
        if (!match.reference.empty())
            finding.with_evidence(fmt::format("reference: {}", match.reference));
        context.report(std::move(finding));
    }
}

}  // namespace

bool YaraAnalyzer::accepts(const Blob& blob, Format sniffed) const {
    if (sniffed == Format::zip || sniffed == Format::tar || sniffed == Format::sevenzip ||
        is_compression(sniffed))
        return false;
    return !blob.bytes.empty() && blob.bytes.size() <= kYaraMaxBlobBytes;
}

void YaraAnalyzer::analyze(const Blob& blob, Format /*sniffed*/, ScanContext& context) const {
    // Tensor storage is numbers that torch.load never interprets; like
    // multi-gigabyte weights, it is verified by the model analyzers.
    if (is_large_tensor_storage(blob.location, blob.name, blob.bytes.size(), context))
        return;
    if (bundled_)
        report_matches(*bundled_, rules::kYaraBundled, blob, context);
    if (user_)
        report_matches(*user_, rules::kYaraUser, blob, context);
}

}  // namespace hazmat::yara
