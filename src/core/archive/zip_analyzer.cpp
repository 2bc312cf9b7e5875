#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <zlib.h>

#include <algorithm>

#include "core/archive/archive_analyzers.hpp"
#include "core/archive/expansion.hpp"
#include "core/archive/libarchive_reader.hpp"
#include "core/archive/member_checks.hpp"
#include "core/archive/zip_reader.hpp"
#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"
#include "core/tensor_storage.hpp"

namespace hazmat {

namespace {

// Stored members up to this size get their CRC-32 checked. Larger ones are
// tensor storage in practice, and checking them would read every page of a
// multi-GB checkpoint that otherwise costs only the pages analyzers touch.
// LIMITATION: a CRC mismatch in a stored member above 16 MiB, or in tensor
// storage above 1 MiB of a recognised PyTorch archive, is not reported.
constexpr uint64_t kStoredCrcCheckLimit = 16ull << 20;

uint32_t crc32_of(ByteSpan bytes) {
    uLong crc = crc32(0L, Z_NULL, 0);
    while (!bytes.empty()) {
        const auto n = std::min<size_t>(bytes.size(), 1u << 30);
        crc = crc32(crc, bytes.data(), static_cast<uInt>(n));
        bytes = bytes.subspan(n);
    }
    return static_cast<uint32_t>(crc);
}

// Walks one zip's members; collects what only reading the data reveals
// (CRC and size mismatches) next to the directory's own anomalies.
class ZipWalk {
  public:
    ZipWalk(const Blob& blob, const ZipListing& listing, ScanContext& context)
        : blob_(blob), listing_(listing), context_(context), anomalies_(listing.anomalies) {}

    void run() {
        for (const auto& entry : listing_.entries) {
            const Location where = blob_.location.child(LocationPart::Kind::member, entry.name);
            if (!context_.charge_member(where) || context_.expired(where))
                break;
            visit(entry, where);
            if (context_.expansion_exhausted())
                break;
        }
        report_anomalies();
    }

  private:
    void visit(const ZipEntry& entry, const Location& where) {
        check_member_name(entry.name, where, context_);
        if (entry.is_symlink) {
            report_link_member(LinkKind::symbolic, link_target(entry), where, context_);
            return;
        }
        if (entry.is_directory && entry.compressed_size == 0)
            return;
        if (entry.encrypted) {
            context_.report(Finding::make(
                rules::kScanEncrypted,
                fmt::format("Member '{}' is encrypted; its content was not examined.", entry.name),
                where));
            return;
        }
        if (!entry.data_located) {
            unparseable(where, fmt::format("Member '{}' has no local header where the central "
                                           "directory points; its data cannot be located.",
                                           entry.name));
            return;
        }
        if (!is_supported_zip_method(entry.method)) {
            unparseable(where, fmt::format("Member '{}' uses compression method {}, which "
                                           "hazmat cannot decode; its content was not examined.",
                                           entry.name, entry.method));
            return;
        }
        auto content = member_content(entry, where);
        if (!content)
            return;
        Blob child;
        child.bytes = std::move(*content);
        child.location = where;
        child.name = entry.name;
        child.depth = blob_.depth + 1;
        context_.scan(child);
    }

    // The member's uncompressed bytes, partial if its data is cut short.
    std::optional<Bytes> member_content(const ZipEntry& entry, const Location& where) {
        const auto raw = zip_member_raw_data(blob_.bytes, entry);
        if (!raw.complete)
            unparseable(where, fmt::format("Member '{}' is truncated: the archive ends inside its "
                                           "data. The part that exists was examined.",
                                           entry.name));
        if (entry.method == 0) {
            if (raw.complete)
                check_crc(entry, raw.bytes);
            return raw.bytes;
        }

        if (context_.expansion_exhausted())
            return std::nullopt;
        const auto expansion = expand(*zip_method_codec(entry.method), raw.bytes.span(), context_,
                                      where, zip_decode_options(entry));
        if (expansion.error)
            context_.report(Finding::make(rules::kScanInternalError, *expansion.error, where));
        const auto& decoded = expansion.decode;
        if (decoded.status == DecodeStatus::corrupt ||
            (decoded.status == DecodeStatus::truncated && raw.complete)) {
            unparseable(where,
                        fmt::format("Member '{}' cannot be fully decompressed ({}). The {} bytes "
                                    "before the break were examined.",
                                    entry.name,
                                    decoded.status == DecodeStatus::corrupt ? decoded.detail
                                                                            : "stream truncated",
                                    decoded.produced));
        }
        if (decoded.status == DecodeStatus::complete && raw.complete) {
            if (decoded.produced != entry.uncompressed_size)
                anomalies_.push_back(
                    fmt::format("member '{}': decompresses to {} bytes, the directory says {}",
                                entry.name, decoded.produced, entry.uncompressed_size));
            check_crc(entry, expansion.output);
        }
        return expansion.output;
    }

    void check_crc(const ZipEntry& entry, const Bytes& content) {
        if (entry.method == 0 && content.size() > kStoredCrcCheckLimit)
            return;
        const Location where = blob_.location.child(LocationPart::Kind::member, entry.name);
        if (entry.method == 0 &&
            is_large_tensor_storage(where, entry.name, content.size(), context_))
            return;
        const uint32_t actual = crc32_of(content.span());
        if (actual != entry.crc32)
            anomalies_.push_back(fmt::format(
                "member '{}': CRC-32 of the content is {:08x}, the directory says {:08x} "
                "(PyTorch's loader does not check it; strict readers reject the member)",
                entry.name, actual, entry.crc32));
    }

    // A zip symlink stores its target as the member's content.
    std::string link_target(const ZipEntry& entry) const {
        constexpr uint64_t kMaxTarget = 4096;
        const auto target = read_zip_member(blob_.bytes, entry, kMaxTarget);
        return target ? std::string(target->as_chars()) : "(target not readable)";
    }

    void unparseable(const Location& where, std::string message) {
        context_.report(Finding::make(rules::kScanUnparseable, std::move(message), where));
    }

    void report_anomalies() {
        if (anomalies_.empty())
            return;
        auto finding = Finding::make(
            rules::kZipAnomaly,
            fmt::format("The zip has {} structural {} that strict and lenient readers (such as "
                        "PyTorch's loader) interpret differently. Every member was examined as "
                        "the lenient reader sees it.",
                        anomalies_.size(), anomalies_.size() == 1 ? "anomaly" : "anomalies"),
            blob_.location);
        for (auto& line : anomalies_)
            finding.with_evidence(std::move(line));
        context_.report(std::move(finding));
    }

    const Blob& blob_;
    const ZipListing& listing_;
    ScanContext& context_;
    std::vector<std::string> anomalies_;
};

}  // namespace

bool ZipAnalyzer::accepts(const Blob& blob, Format sniffed) const {
    if (sniffed == Format::zip)
        return true;
    // Data in front of the zip (a self-extractor stub, a pickle or an image
    // in a polyglot) hides the magic bytes, but PyTorch's reader finds the
    // archive from its end record, so hazmat does too.
    return sniffed == Format::unknown && has_zip_end_record(blob.bytes.span());
}

void ZipAnalyzer::analyze(const Blob& blob, Format /*sniffed*/, ScanContext& context) const {
    context.count_format("zip");
    const auto listing = read_zip_directory(blob.bytes.span(), context.limits().max_members + 1);
    if (!listing) {
        // Streaming readers (and some extractors) walk local headers from the
        // front and need no directory; they still see members, so must we.
        context.report(Finding::make(
            rules::kScanUnparseable,
            fmt::format("The zip's central directory cannot be read ({}); members were read "
                        "from their local headers instead, as streaming readers do.",
                        listing.error().message),
            blob.location));
        scan_with_libarchive(blob, LibarchiveFormat::zip_local_headers, context);
        return;
    }
    spdlog::debug("{}: zip with {} members{}", blob.location.to_display(), listing->entries.size(),
                  listing->zip64 ? " (zip64)" : "");
    ZipWalk(blob, *listing, context).run();
}

}  // namespace hazmat
