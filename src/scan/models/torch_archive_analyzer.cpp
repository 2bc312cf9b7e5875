// The analyzer half of torch_archive.hpp, kept apart from the classifier so
// that the classifier can be linked (and tested) without the zip reader.

#include <spdlog/spdlog.h>

#include "core/archive/zip_reader.hpp"
#include "core/scan_context.hpp"
#include "core/tensor_storage.hpp"
#include "scan/models/torch_archive.hpp"

namespace hazmat::models {

bool TorchArchiveAnalyzer::accepts(const Blob&, Format sniffed) const {
    return sniffed == Format::zip;
}

void TorchArchiveAnalyzer::analyze(const Blob& blob, Format, ScanContext& context) const {
    // A zip the reader cannot list is the zip analyzer's finding to report.
    const auto listing = read_zip_directory(blob.bytes.span());
    if (!listing)
        return;
    std::vector<std::string> names;
    names.reserve(listing->entries.size());
    for (const auto& entry : listing->entries)
        names.push_back(entry.name);

    const auto layout = classify_torch_archive(names);
    if (layout.kind == TorchArchiveKind::none)
        return;
    spdlog::debug("{}: {} archive, record prefix '{}', {} pickle records",
                  blob.location.to_display(), to_string(layout.kind), layout.prefix,
                  layout.pickle_members.size());
    context.count_format(to_string(layout.kind));
    context.mark_container(blob.location, std::string(kPytorchArchiveTrait));
    if (layout.kind == TorchArchiveKind::torchscript)
        context.mark_container(blob.location, "torchscript");
    for (auto& finding : torch_archive_findings(layout, blob.location))
        context.report(std::move(finding));
}

}  // namespace hazmat::models
