#include "core/dispatcher.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <new>
#include <vector>

#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"

namespace hazmat {

Dispatcher::Dispatcher(std::vector<std::unique_ptr<Analyzer>> analyzers)
    : analyzers_(std::move(analyzers)) {}

namespace {

void report_internal_error(const Analyzer& analyzer, const Blob& blob, std::string_view what,
                           ScanContext& context) {
    spdlog::warn("{}: the {} analyzer failed: {}", blob.location.to_display(), analyzer.name(),
                 what);
    context.report(Finding::make(rules::kScanInternalError,
                                 fmt::format("The {} analyzer failed: {}", analyzer.name(), what),
                                 blob.location));
}

}  // namespace

void Dispatcher::dispatch(const Blob& blob, std::optional<Format> declared,
                          ScanContext& context) const {
    const Format format = declared.value_or(sniff(blob.bytes.span()));
    std::vector<const Analyzer*> accepted;
    const Analyzer* exclusive = nullptr;
    for (const auto& analyzer : analyzers_) {
        if (!analyzer->accepts(blob, format))
            continue;
        accepted.push_back(analyzer.get());
        if (exclusive == nullptr && analyzer->identifies_format() &&
            analyzer->claims_exclusively(blob, format)) {
            exclusive = analyzer.get();
        }
    }

    bool identified = false;
    for (const auto* analyzer : accepted) {
        if (exclusive != nullptr && analyzer != exclusive && analyzer->identifies_format()) {
            continue;
        }
        identified = identified || analyzer->identifies_format();
        spdlog::debug("{}: {} ({} bytes, sniffed {})", blob.location.to_display(), analyzer->name(),
                      blob.bytes.size(), to_string(format));
        // An analyzer failure must not end the scan or pass the blob silently:
        // it becomes a finding and the next analyzer still runs.
        try {
            analyzer->analyze(blob, format, context);
        } catch (const std::bad_alloc&) {
            report_internal_error(*analyzer, blob, "out of memory", context);
        } catch (const std::exception& error) {
            report_internal_error(*analyzer, blob, error.what(), context);
        }
    }
    // LIMITATION: raw weight files that no analyzer claims are reported as
    // unknown models when named like one; ONNX external data is claimed by
    // its model, but OpenVINO IR weights (a .bin next to its .xml) are not.
    if (!identified && name_claims_model(blob.name)) {
        context.report(Finding::make(
            rules::kScanUnknownModel,
            fmt::format("'{}' is named like a model, serialized object or archive, but its content "
                        "matches no format hazmat can verify.",
                        blob.name),
            blob.location));
    }
}

}  // namespace hazmat
