#include "scan/secrets/secrets_analyzer.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "core/rule_ids.hpp"
#include "core/rule_registry.hpp"
#include "core/scan_context.hpp"
#include "core/tensor_storage.hpp"
#include "scan/secrets/notebook.hpp"

namespace hazmat::secrets {

namespace {

// Raised by the analyzer itself; defined in rules/secrets/notices.toml.
constexpr std::string_view kIgnoreMarkerNotice = "HZ-SEC-001";
constexpr std::string_view kScannerConfigNotice = "HZ-SEC-002";

constexpr size_t kSampleBytes = 4096;

bool sample_is_text(std::span<const uint8_t> sample) {
    size_t nul = 0;
    size_t texty = 0;
    for (const uint8_t byte : sample) {
        if (byte == 0)
            ++nul;
        if (byte == '\t' || byte == '\n' || byte == '\r' || (byte >= 0x20 && byte < 0x7f) ||
            byte >= 0x80)
            ++texty;
    }
    return nul * 100 <= sample.size() && texty * 10 >= sample.size() * 9;
}

std::string_view base_name(std::string_view name) {
    const auto slash = name.find_last_of('/');
    return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

}  // namespace

ContentKind classify_content(std::span<const uint8_t> bytes) {
    const size_t size = bytes.size();
    const size_t sample = std::min(size, kSampleBytes);
    const bool head = sample_is_text(bytes.subspan(0, sample));
    const bool middle = sample_is_text(bytes.subspan((size - sample) / 2, sample));
    const bool tail = sample_is_text(bytes.subspan(size - sample, sample));
    if (head && middle && tail)
        return ContentKind::text;
    if (size <= kMaxBinaryBytes || head || middle || tail)
        return ContentKind::binary;
    return ContentKind::skip;
}

SecretsAnalyzer::SecretsAnalyzer(std::unique_ptr<const SecretDetector> detector)
    : detector_(std::move(detector)) {}

Result<std::unique_ptr<SecretsAnalyzer>> SecretsAnalyzer::load(
    const std::filesystem::path& rules_dir) {
    auto rules = load_rule_directory(rules_dir);
    if (!rules)
        return rules.error();
    const auto& registry = RuleRegistry::builtin();
    for (const auto& rule : rules->rules) {
        if (registry.find(rule.id) == nullptr)
            return Error{
                fmt::format("{}: rule {} ({}) is unknown to this build of hazmat; the "
                            "data directory belongs to another version",
                            rules_dir.string(), rule.id, rule.name)};
    }
    for (const auto id : {kIgnoreMarkerNotice, kScannerConfigNotice}) {
        if (registry.find(id) == nullptr)
            return Error{fmt::format("the secret notice {} is not registered", id)};
    }
    auto detector = SecretDetector::build(std::move(*rules));
    if (!detector)
        return detector.error();
    return std::make_unique<SecretsAnalyzer>(std::move(*detector));
}

bool SecretsAnalyzer::accepts(const Blob& blob, Format sniffed) const {
    if (blob.bytes.empty())
        return false;
    // Containers and compressed streams are examined through their members,
    // which the dispatcher hands over one by one; their raw bytes hold
    // nothing readable. npy arrays are numbers (object arrays arrive as
    // pickles).
    switch (sniffed) {
        case Format::zip:
        case Format::tar:
        case Format::sevenzip:
        case Format::gzip:
        case Format::bzip2:
        case Format::xz:
        case Format::lzma:
        case Format::lz4:
        case Format::zstd:
        case Format::zlib:
        case Format::npy:
        // Tensor containers: their analyzers hand the metadata (the only
        // text in them) back as separate blobs, so the tensor data, often
        // gigabytes of numbers, is not searched.
        // LIMITATION: in git history, where those analyzers do not run, the
        // metadata of these files is not searched for credentials.
        case Format::gguf:
        case Format::hdf5:
        case Format::safetensors:
            return false;
        case Format::unknown:
        case Format::pickle:
            return true;
    }
    return true;
}

void SecretsAnalyzer::analyze(const Blob& blob, Format, ScanContext& context) const {
    // LIMITATION: tensor storage of a recognised PyTorch archive (above 1 MiB)
    // is not searched for credentials: it is gigabytes of numbers.
    if (is_large_tensor_storage(blob.location, blob.name, blob.bytes.size(), context))
        return;
    report_scanner_config(blob, context);
    if (extension_of(blob.name) == ".ipynb" && scan_notebook(blob, context))
        return;
    switch (classify_content(blob.bytes.span())) {
        case ContentKind::text:
            scan_text(blob.bytes.as_chars(), blob.location, false, context);
            break;
        case ContentKind::binary:
            scan_text(blob.bytes.as_chars(), blob.location, true, context);
            break;
        case ContentKind::skip:
            // LIMITATION: binary content over 16 MiB whose samples show no
            // text (tensor data, media) is not searched for credentials.
            spdlog::debug("{}: {} bytes of binary data not searched for credentials",
                          blob.location.to_display(), blob.bytes.size());
            break;
    }
}

bool SecretsAnalyzer::scan_notebook(const Blob& blob, ScanContext& context) const {
    const auto segments = notebook_segments(blob.bytes.as_chars());
    if (!segments)
        return false;
    context.count_format("notebook");
    for (const auto& segment : *segments) {
        if (segment.text.empty())
            continue;
        scan_text(segment.text, blob.location.child(LocationPart::Kind::embedded, segment.name),
                  false, context);
    }
    return true;
}

void SecretsAnalyzer::report_scanner_config(const Blob& blob, ScanContext& context) const {
    const auto name = base_name(blob.name);
    const auto& names = detector_->rules().scanner_config_names;
    if (std::find(names.begin(), names.end(), name) == names.end())
        return;
    context.report(Finding::make(
        kScannerConfigNotice,
        fmt::format("'{}' configures a secret scanner (allow-lists, ignored paths or known "
                    "findings); hazmat does not obey configuration found inside the target.",
                    name),
        blob.location));
}

void SecretsAnalyzer::scan_text(std::string_view text, const Location& where, bool binary,
                                ScanContext& context) const {
    const auto result = detector_->detect(text, DetectOptions{binary});
    if (result.truncated) {
        context.report(Finding::make(
            rules::kScanLimit,
            "Stopped searching for credentials: the content produced more candidate matches "
            "than hazmat examines per chunk; the rest was not verified.",
            where));
    }
    // The same value in several representations of one notebook output
    // (text/plain and text/html) is one leak.
    std::set<std::pair<const SecretRule*, std::string_view>> seen;
    for (const auto& detection : result.detections) {
        if (!seen.emplace(detection.rule, detection.secret).second)
            continue;
        const auto& rule = *detection.rule;
        Location location = where;
        if (binary) {
            location.offset = detection.begin;
        } else {
            location.line = detection.line;
            location.column = detection.column;
        }
        std::string message =
            detection.placeholder
                ? fmt::format("Looks like an example or placeholder, not a real {} ({}): {}.",
                              rule.title, *detection.placeholder, redact(detection.secret))
                : fmt::format("{} {}.", rule.title, redact(detection.secret));
        auto finding = Finding::make(rule.id, std::move(message), location);
        finding.severity = detection.severity;
        finding.with_evidence(
            fmt::format("matched rule '{}' of the {} rules", rule.name, rule.family));
        for (const auto& line : detection.evidence)
            finding.with_evidence(line);
        finding.with_fingerprint_key(sha256_hex(detection.secret));
        context.report(std::move(finding));

        if (detection.placeholder)
            continue;
        for (const auto& marker : detection.ignore_markers) {
            auto notice = Finding::make(
                kIgnoreMarkerNotice,
                fmt::format("The ignore marker '{}' sits next to a {}; it hides the secret from "
                            "the scanner that reads it. hazmat does not obey it.",
                            marker, rule.title),
                location);
            notice.with_evidence(fmt::format("the secret: {}", redact(detection.secret)));
            notice.with_fingerprint_key(sha256_hex(marker + std::string(detection.secret)));
            context.report(std::move(notice));
        }
    }
}

}  // namespace hazmat::secrets
