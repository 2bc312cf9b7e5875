#include "core/archive/archive_analyzers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "core/archive/expansion.hpp"
#include "core/archive/libarchive_reader.hpp"
#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"

namespace hazmat {

namespace {

struct CompressedExtension {
    std::string_view extension;
    std::string_view replacement;  // what the name becomes once decompressed
};

// Extensions that say "compressed stream", and what the decompressed
// content would be called (".tgz" holds a ".tar"). joblib writes ".z" for
// zlib and ".lzma" for lzma-alone.
constexpr std::array<CompressedExtension, 17> kCompressedExtensions{{
    {".gz", ""},
    {".gzip", ""},
    {".tgz", ".tar"},
    {".bz2", ""},
    {".tbz2", ".tar"},
    {".tbz", ".tar"},
    {".xz", ""},
    {".txz", ".tar"},
    {".lzma", ""},
    {".lz4", ""},
    {".zst", ""},
    {".zstd", ""},
    {".tzst", ".tar"},
    {".z", ""},
    {".zz", ""},
    {".zlib", ""},
    {".deflate", ""},
}};

const CompressedExtension* compressed_extension_of(std::string_view name) {
    const auto ext = extension_of(name);
    const auto* found = std::find_if(kCompressedExtensions.begin(), kCompressedExtensions.end(),
                                     [&](const auto& entry) { return entry.extension == ext; });
    return found == kCompressedExtensions.end() ? nullptr : found;
}

// "model.pkl.gz" decompresses to "model.pkl": the inner name keeps its hint.
std::string decompressed_name(const std::string& name) {
    const auto* ext = compressed_extension_of(name);
    if (ext == nullptr)
        return name;
    return name.substr(0, name.size() - ext->extension.size()) + std::string(ext->replacement);
}

// zlib streams have a two-byte header and lzma-alone streams a five-byte
// one, so random data (tensor bytes, images) sometimes matches. A short
// decoding probe separates real streams from coincidences; a name that
// claims compression is believed, so its breakage is reported.
constexpr size_t kProbeBytes = 64 * 1024;

bool is_weak_magic(Format format) {
    return format == Format::zlib || format == Format::lzma;
}

bool all_zero(ByteSpan bytes) {
    return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

void report_stream_problems(const Blob& blob, Codec codec, const Expansion& expansion,
                            ScanContext& context) {
    const auto& decoded = expansion.decode;
    if (expansion.error)
        context.report(Finding::make(rules::kScanInternalError, *expansion.error, blob.location));
    switch (decoded.status) {
        case DecodeStatus::truncated:
            context.report(Finding::make(
                rules::kScanUnparseable,
                fmt::format("The {} stream is truncated. The {} bytes decompressed before its end "
                            "were examined.",
                            to_string(codec), decoded.produced),
                blob.location));
            return;
        case DecodeStatus::corrupt:
            context.report(Finding::make(
                rules::kScanUnparseable,
                fmt::format("The {} stream is corrupt ({}). The {} bytes decompressed before the "
                            "error were examined.",
                            to_string(codec), decoded.detail, decoded.produced),
                blob.location));
            return;
        case DecodeStatus::stopped:
            return;  // the limit that stopped it was reported where it was hit
        case DecodeStatus::complete:
            break;
    }
    // Tape-style zero padding after a stream is common and harmless; other
    // trailing bytes are content no decompressor hands to the loader, but
    // a custom loader might read.
    // LIMITATION: such trailing bytes are reported, not examined as content.
    const auto trailing = blob.bytes.span().subspan(std::min(decoded.consumed, blob.bytes.size()));
    if (!trailing.empty() && !all_zero(trailing))
        context.report(Finding::make(
            rules::kScanUnparseable,
            fmt::format("{} bytes follow the end of the {} stream; they were not examined.",
                        trailing.size(), to_string(codec)),
            blob.location));
}

}  // namespace

bool LibarchiveAnalyzer::accepts(const Blob& /*blob*/, Format sniffed) const {
    return sniffed == Format::tar || sniffed == Format::sevenzip;
}

void LibarchiveAnalyzer::analyze(const Blob& blob, Format sniffed, ScanContext& context) const {
    const bool tar = sniffed == Format::tar;
    context.count_format(tar ? "tar" : "7z");
    scan_with_libarchive(blob, tar ? LibarchiveFormat::tar : LibarchiveFormat::sevenzip, context);
}

bool DecompressionAnalyzer::accepts(const Blob& blob, Format sniffed) const {
    const auto codec = codec_for(sniffed);
    if (!codec)
        return false;
    if (!is_weak_magic(sniffed))
        return true;
    return compressed_extension_of(blob.name) != nullptr ||
           decodes_cleanly(*codec, blob.bytes.span(), kProbeBytes);
}

void DecompressionAnalyzer::analyze(const Blob& blob, Format sniffed, ScanContext& context) const {
    const Codec codec = *codec_for(sniffed);
    context.count_format(to_string(codec));
    if (context.expansion_exhausted())
        return;
    const Location where =
        blob.location.child(LocationPart::Kind::decompressed, std::string(to_string(codec)));
    const auto expansion = expand(codec, blob.bytes.span(), context, where);
    report_stream_problems(blob, codec, expansion, context);

    Blob child;
    child.bytes = expansion.output;
    child.location = where;
    child.name = decompressed_name(blob.name);
    child.depth = blob.depth + 1;
    context.scan(child);
}

std::vector<std::unique_ptr<Analyzer>> archive_analyzers() {
    std::vector<std::unique_ptr<Analyzer>> analyzers;
    analyzers.push_back(std::make_unique<ZipAnalyzer>());
    analyzers.push_back(std::make_unique<LibarchiveAnalyzer>());
    analyzers.push_back(std::make_unique<DecompressionAnalyzer>());
    return analyzers;
}

}  // namespace hazmat
