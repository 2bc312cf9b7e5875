#include "scan/models/distcp.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "core/finding.hpp"
#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"

namespace hazmat::models {

namespace {

constexpr uint64_t kEndRecordSize = 22;
constexpr uint64_t kZip64LocatorSize = 20;
constexpr uint64_t kZip64EndRecordSize = 56;  // without extensible data

bool has_signature(ByteSpan bytes, uint64_t offset, std::string_view signature) {
    return offset + signature.size() <= bytes.size() &&
           std::memcmp(bytes.data() + offset, signature.data(), signature.size()) == 0;
}

uint64_t read_le(ByteSpan bytes, uint64_t offset, size_t width) {
    uint64_t value = 0;
    for (size_t i = 0; i < width; ++i)
        value |= static_cast<uint64_t>(bytes[offset + i]) << (8 * i);
    return value;
}

struct ArchiveBounds {
    uint64_t start;
    uint64_t end;
};

// The archive whose end record sits at `record`, if the record is consistent:
// its central directory and first local header are where it says.
std::optional<ArchiveBounds> archive_at_end_record(ByteSpan bytes, uint64_t record,
                                                   uint64_t limit) {
    const uint64_t end = record + kEndRecordSize + read_le(bytes, record + 20, 2);
    if (end > limit)
        return std::nullopt;
    uint64_t directory_size = read_le(bytes, record + 12, 4);
    uint64_t directory_offset = read_le(bytes, record + 16, 4);
    uint64_t after_directory = record;

    // PyTorch always writes zip64 end records; the classic fields may then be
    // saturated, so the zip64 ones are authoritative when present.
    std::optional<uint64_t> zip64_relative;
    if (record >= kZip64LocatorSize + kZip64EndRecordSize &&
        has_signature(bytes, record - kZip64LocatorSize, "PK\x06\x07")) {
        const uint64_t locator = record - kZip64LocatorSize;
        const uint64_t zip64_record = locator - kZip64EndRecordSize;
        // LIMITATION: zip64 end records with extensible data are not located;
        // such an archive is reported as unaccounted bytes and still examined.
        if (!has_signature(bytes, zip64_record, "PK\x06\x06") ||
            read_le(bytes, zip64_record + 4, 8) != kZip64EndRecordSize - 12)
            return std::nullopt;
        zip64_relative = read_le(bytes, locator + 8, 8);
        directory_size = read_le(bytes, zip64_record + 40, 8);
        directory_offset = read_le(bytes, zip64_record + 48, 8);
        after_directory = zip64_record;
    }
    if (directory_size == 0 || directory_size > after_directory)
        return std::nullopt;
    const uint64_t directory_start = after_directory - directory_size;
    if (directory_offset > directory_start)
        return std::nullopt;
    const uint64_t start = directory_start - directory_offset;
    if (!has_signature(bytes, directory_start, "PK\x01\x02") ||
        !has_signature(bytes, start, "PK\x03\x04"))
        return std::nullopt;
    if (zip64_relative && after_directory - start != *zip64_relative)
        return std::nullopt;
    return ArchiveBounds{start, end};
}

// The archive nearest to `limit` that ends at or before it.
std::optional<ArchiveBounds> last_archive_before(ByteSpan bytes, uint64_t limit) {
    if (limit < kEndRecordSize)
        return std::nullopt;
    for (uint64_t record = limit - kEndRecordSize + 1; record-- > 0;) {
        if (bytes[record] != 'P' || !has_signature(bytes, record, "PK\x05\x06"))
            continue;
        if (auto bounds = archive_at_end_record(bytes, record, limit))
            return bounds;
    }
    return std::nullopt;
}

}  // namespace

std::vector<ShardSegment> split_concatenated_archives(ByteSpan bytes) {
    std::vector<ShardSegment> segments;
    uint64_t limit = bytes.size();
    while (limit > 0) {
        const auto archive = last_archive_before(bytes, limit);
        if (!archive) {
            segments.push_back({0, limit, false});
            break;
        }
        if (archive->end < limit)
            segments.push_back({archive->end, limit - archive->end, false});
        segments.push_back({archive->start, archive->end - archive->start, true});
        limit = archive->start;
    }
    std::reverse(segments.begin(), segments.end());
    return segments;
}

bool is_distributed_checkpoint_shard(const Blob& blob) {
    return extension_of(blob.name) == ".distcp";
}

bool DistcpAnalyzer::accepts(const Blob& blob, Format sniffed) const {
    return sniffed != Format::pickle && is_distributed_checkpoint_shard(blob);
}

namespace {

Blob segment_blob(const Blob& shard, const ShardSegment& segment, std::string name) {
    Blob child;
    child.bytes = shard.bytes.slice(segment.offset, segment.length);
    child.location = shard.location.child(LocationPart::Kind::stream, name);
    child.name = std::move(name);
    child.depth = shard.depth + 1;
    return child;
}

}  // namespace

void DistcpAnalyzer::analyze(const Blob& blob, Format, ScanContext& context) const {
    context.count_format("pytorch-distcp");
    // LIMITATION: items are found by the archives' own structure, not by the
    // (offset, length) pairs in .metadata, which is a pickle only the pickle
    // virtual machine could read. An item that .metadata places inside another
    // archive's bytes (say, in a stored tensor record) is examined only if it
    // is a member the zip analyzer dispatches on its own.
    const auto segments = split_concatenated_archives(blob.bytes.span());
    for (size_t i = 0; i < segments.size(); ++i) {
        const auto& segment = segments[i];
        if (segment.is_archive) {
            context.scan(
                segment_blob(blob, segment, fmt::format("archive at byte {}", segment.offset)),
                Format::zip);
            continue;
        }
        // FileSystemWriter only ever appends torch.save archives; anything else
        // is unexpected, and torch.load would still read it if .metadata points
        // there (as a legacy checkpoint or a plain pickle).
        context.report(
            Finding::make(rules::kDataOutsideStructure,
                          fmt::format("{} bytes of this distributed checkpoint shard are not a "
                                      "torch.save archive.",
                                      segment.length),
                          blob.location)
                .at_offset(segment.offset)
                .with_evidence(fmt::format("bytes {} to {} belong to no archive", segment.offset,
                                           segment.offset + segment.length)));
        context.scan(segment_blob(blob, segment, fmt::format("data at byte {}", segment.offset)));
    }
}

}  // namespace hazmat::models
