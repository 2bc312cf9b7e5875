#include "scan/models/keras_archive.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/archive/zip_reader.hpp"
#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"
#include "scan/models/json_input.hpp"
#include "scan/models/keras_config.hpp"

namespace hazmat::models {

namespace {

// A model config larger than this is not something Keras writes; reading
// it whole would let a small zip claim gigabytes of memory.
constexpr uint64_t kMaxConfigBytes = 256ull << 20;
constexpr uint64_t kMaxMetadataBytes = 1ull << 20;

const ZipEntry* find_entry(const ZipListing& listing, std::string_view name) {
    for (const auto& entry : listing.entries) {
        if (entry.name == name)
            return &entry;
    }
    return nullptr;
}

// saving_lib writes config.json and metadata.json at the top of the archive
// and the weights as model.weights.h5 (or .npz); keras.saving.load_model
// reads an archive by these names, whatever the file is called.
bool is_keras_archive(const ZipListing& listing) {
    if (find_entry(listing, "config.json") == nullptr)
        return false;
    return find_entry(listing, "metadata.json") != nullptr ||
           find_entry(listing, "model.weights.h5") != nullptr ||
           find_entry(listing, "model.weights.npz") != nullptr;
}

std::string keras_version_of(const Bytes& archive, const ZipListing& listing) {
    const auto* entry = find_entry(listing, "metadata.json");
    if (entry == nullptr)
        return {};
    const auto content = read_zip_member(archive, *entry, kMaxMetadataBytes);
    if (!content)
        return {};
    const auto json = parse_untrusted_json(content->as_chars());
    if (!json.ok || !json.value.is_object())
        return {};
    const auto version = json.value.find("keras_version");
    return version != json.value.end() && version->is_string() ? version->get<std::string>()
                                                               : std::string();
}

}  // namespace

// LIMITATION: Keras' own loader also unpacks assets/ and reads the weights
// through its own HDF5 code; only config.json decides what runs, and only it
// is analyzed as a config (the weights are examined as HDF5 like any member).
bool KerasArchiveAnalyzer::accepts(const Blob&, Format sniffed) const {
    return sniffed == Format::zip;
}

void KerasArchiveAnalyzer::analyze(const Blob& blob, Format, ScanContext& context) const {
    // A zip the reader cannot list is the zip analyzer's finding to report.
    const auto listing = read_zip_directory(blob.bytes.span(), context.limits().max_members + 1);
    if (!listing || !is_keras_archive(*listing))
        return;
    context.count_format("keras");
    const auto* config = find_entry(*listing, "config.json");
    const Location where = blob.location.child(LocationPart::Kind::member, config->name);
    const auto content = read_zip_member(blob.bytes, *config, kMaxConfigBytes);
    if (!content) {
        context.report(Finding::make(rules::kScanUnparseable,
                                     fmt::format("The Keras config cannot be read ({}); what it "
                                                 "makes Keras load was not verified.",
                                                 content.error().message),
                                     where));
        return;
    }
    const auto version = keras_version_of(blob.bytes, *listing);
    spdlog::debug("{}: Keras archive, version '{}', config of {} bytes", blob.location.to_display(),
                  version, content->size());
    analyze_keras_config_text(content->as_chars(), KerasConfigOrigin::keras_v3, blob, where,
                              version, context);
}

}  // namespace hazmat::models
