#include "core/archive/zip_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string_view>

namespace hazmat {

namespace {

constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;

constexpr uint64_t kEndSize = 22;
constexpr uint64_t kZip64EndSize = 56;
constexpr uint64_t kZip64LocatorSize = 20;
constexpr uint64_t kCentralHeaderSize = 46;
constexpr uint64_t kLocalHeaderSize = 30;
constexpr uint64_t kMaxCommentSize = 0xFFFF;
constexpr uint32_t kSaturated32 = 0xFFFFFFFF;
constexpr uint16_t kZip64ExtraId = 0x0001;

constexpr uint16_t kFlagEncrypted = 0x0001;
constexpr uint16_t kFlagLzmaEndMarker = 0x0002;
constexpr uint16_t kFlagDataDescriptor = 0x0008;
constexpr uint16_t kFlagStrongEncryption = 0x0040;
constexpr uint16_t kFlagUtf8 = 0x0800;
constexpr uint16_t kFlagMaskedHeaders = 0x2000;
// Bits every common writer sets: encryption (reported separately),
// compression options, data descriptor, UTF-8 names.
constexpr uint16_t kOrdinaryFlags =
    kFlagEncrypted | 0x0002 | 0x0004 | kFlagDataDescriptor | kFlagUtf8;
// A data descriptor is at most signature + CRC + two 64-bit sizes.
constexpr uint64_t kMaxDataDescriptor = 24;

// An end record found from the back can be a fake planted in the comment or
// in member data; a few earlier candidates are tried before giving up, but
// not thousands (a tail full of signatures must stay cheap).
constexpr size_t kMaxEndCandidates = 16;
constexpr size_t kMaxAnomalies = 64;
constexpr uint64_t kMaxAnomaliesPerKind = 4;

// Offsets and sizes come from the archive; sums of them must not wrap.
uint64_t saturating_add(uint64_t a, uint64_t b) {
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

// Every read of the archive goes through these: each field of a hostile
// archive is checked against the bytes that actually exist.
class View {
  public:
    explicit View(ByteSpan bytes) : bytes_(bytes) {}

    uint64_t size() const { return bytes_.size(); }
    bool has(uint64_t offset, uint64_t length) const {
        return offset <= bytes_.size() && length <= bytes_.size() - offset;
    }
    uint16_t u16(uint64_t at) const {
        return static_cast<uint16_t>(bytes_[at] | (bytes_[at + 1] << 8));
    }
    uint32_t u32(uint64_t at) const {
        return static_cast<uint32_t>(u16(at)) | (static_cast<uint32_t>(u16(at + 2)) << 16);
    }
    uint64_t u64(uint64_t at) const {
        return static_cast<uint64_t>(u32(at)) | (static_cast<uint64_t>(u32(at + 4)) << 32);
    }
    bool signature_at(uint64_t at, uint32_t signature) const {
        return has(at, 4) && u32(at) == signature;
    }
    // At most `length` bytes from `at`, fewer if the archive ends first.
    std::string text(uint64_t at, uint64_t length) const {
        if (at >= bytes_.size())
            return {};
        length = std::min(length, bytes_.size() - at);
        return {reinterpret_cast<const char*>(bytes_.data() + at), static_cast<size_t>(length)};
    }

  private:
    ByteSpan bytes_;
};

// Collects anomalies, at most a few of each kind: a crafted archive can
// repeat one oddity thousands of times, and the first few examples plus a
// count say as much while leaving room for the other kinds.
class Anomalies {
  public:
    explicit Anomalies(std::vector<std::string>& out) : out_(out) {}

    template <typename... Args>
    void add(fmt::format_string<Args...> format, Args&&... args) {
        const fmt::string_view key = format;
        auto& kind = kinds_[std::string_view(key.data(), key.size())];
        if (kind.shown >= kMaxAnomaliesPerKind || out_.size() >= kMaxAnomalies) {
            ++kind.dropped;
            return;
        }
        ++kind.shown;
        out_.push_back(fmt::format(format, std::forward<Args>(args)...));
    }

    // Notes how many were left out; call once, before the list is handed on.
    void close() {
        uint64_t dropped = 0;
        for (const auto& [format, kind] : kinds_)
            dropped += kind.dropped;
        if (dropped > 0)
            out_.push_back(fmt::format("... and {} more anomalies like the ones above", dropped));
        kinds_.clear();
    }

  private:
    struct Kind {
        uint64_t shown = 0;
        uint64_t dropped = 0;
    };
    std::vector<std::string>& out_;
    std::map<std::string_view, Kind> kinds_;
};

// What the end record (and its zip64 extension) says about the directory.
struct EndRecord {
    uint64_t position = 0;       // of the classic end record
    uint64_t directory_end = 0;  // where the directory should stop: zip64 end record or end record
    uint64_t entries = 0;
    uint64_t directory_size = 0;
    uint64_t directory_offset = 0;  // as declared; relative to the zip's start
    uint16_t comment_length = 0;
    bool zip64 = false;
};

std::vector<uint64_t> find_end_candidates(const View& view) {
    std::vector<uint64_t> candidates;
    if (view.size() < kEndSize)
        return candidates;
    const uint64_t last = view.size() - kEndSize;
    const uint64_t lowest = last > kMaxCommentSize ? last - kMaxCommentSize : 0;
    for (uint64_t pos = last + 1; pos-- > lowest;) {
        if (view.u32(pos) != kEndSignature)
            continue;
        candidates.push_back(pos);
        if (candidates.size() == kMaxEndCandidates)
            break;
    }
    return candidates;
}

// The zip64 end record sits right before its locator (miniz looks there
// first), or where the locator says.
std::optional<uint64_t> find_zip64_end(const View& view, uint64_t locator) {
    if (locator >= kZip64EndSize && view.signature_at(locator - kZip64EndSize, kZip64EndSignature))
        return locator - kZip64EndSize;
    const uint64_t declared = view.u64(locator + 8);
    if (view.has(declared, kZip64EndSize) && view.signature_at(declared, kZip64EndSignature))
        return declared;
    return std::nullopt;
}

Result<EndRecord> read_end_record(const View& view, uint64_t position, Anomalies& anomalies) {
    EndRecord end;
    end.position = position;
    end.directory_end = position;
    const uint16_t this_disk = view.u16(position + 4);
    const uint16_t directory_disk = view.u16(position + 6);
    end.entries = view.u16(position + 10);
    end.directory_size = view.u32(position + 12);
    end.directory_offset = view.u32(position + 16);
    end.comment_length = view.u16(position + 20);
    if (this_disk != 0 || directory_disk != 0)
        anomalies.add("the end record claims a multi-disk archive (disk {}, directory on disk {})",
                      this_disk, directory_disk);

    const bool saturated = end.entries == 0xFFFF || end.directory_size == kSaturated32 ||
                           end.directory_offset == kSaturated32;
    if (position < kZip64LocatorSize ||
        !view.signature_at(position - kZip64LocatorSize, kZip64LocatorSignature)) {
        return end;
    }
    const auto zip64_end = find_zip64_end(view, position - kZip64LocatorSize);
    if (!zip64_end) {
        if (saturated)
            return Error{"the zip64 locator points to no zip64 end record"};
        anomalies.add("a zip64 locator without a zip64 end record precedes the end record");
        return end;
    }
    end.zip64 = true;
    end.directory_end = *zip64_end;
    end.entries = view.u64(*zip64_end + 32);
    end.directory_size = view.u64(*zip64_end + 40);
    end.directory_offset = view.u64(*zip64_end + 48);
    return end;
}

// Where the directory really starts. Offsets in the records are normally
// positions in the file (miniz reads them so); a self-extractor or a file
// with data glued in front keeps them relative to the zip's own start, and
// Python's zipfile and unzip correct for that by the difference between where
// the directory should end and where it does. Both are tried.
Result<uint64_t> find_directory_base(const View& view, const EndRecord& end) {
    const auto directory_at = [&](uint64_t start) {
        if (end.entries == 0 && end.directory_size == 0)
            return true;
        return view.signature_at(start, kCentralHeaderSignature);
    };
    const uint64_t declared_end = end.directory_offset + end.directory_size;
    if (declared_end >= end.directory_offset && declared_end <= end.directory_end &&
        directory_at(end.directory_offset)) {
        return uint64_t{0};
    }
    if (end.directory_size <= end.directory_end &&
        end.directory_end - end.directory_size > end.directory_offset) {
        const uint64_t base = end.directory_end - end.directory_size - end.directory_offset;
        if (directory_at(base + end.directory_offset))
            return base;
    }
    return Error{fmt::format("no central directory at offset {} where the end record points",
                             end.directory_offset)};
}

struct Zip64Fields {
    uint64_t& uncompressed;
    uint64_t& compressed;
    uint64_t& local_offset;
};

// Sizes and offsets that do not fit 32 bits live in the zip64 extra field,
// in this order, each only if its 32-bit slot is saturated.
void apply_zip64_extra(const View& view, uint64_t start, uint64_t length, Zip64Fields fields,
                       const std::string& name, Anomalies& anomalies) {
    uint64_t at = start;
    const uint64_t stop = start + length;
    while (at + 4 <= stop) {
        const uint16_t id = view.u16(at);
        const uint16_t size = view.u16(at + 2);
        if (at + 4 + size > stop) {
            anomalies.add("member '{}': extra field {:#06x} runs past its header", name, id);
            return;
        }
        if (id == kZip64ExtraId) {
            uint64_t field = at + 4;
            const uint64_t field_end = field + size;
            for (uint64_t* value :
                 {&fields.uncompressed, &fields.compressed, &fields.local_offset}) {
                if (*value != kSaturated32)
                    continue;
                if (field + 8 > field_end) {
                    anomalies.add("member '{}': zip64 extra field too short", name);
                    return;
                }
                *value = view.u64(field);
                field += 8;
            }
            return;
        }
        at += 4 + size;
    }
}

bool is_unix_symlink(uint32_t external_attributes) {
    constexpr uint32_t kTypeMask = 0170000;
    constexpr uint32_t kSymlink = 0120000;
    return ((external_attributes >> 16) & kTypeMask) == kSymlink;
}

// The loader reads the local header only to skip it: its name and extra
// lengths give the data offset. What it says otherwise is compared, because
// streaming readers trust it instead of the central directory.
void locate_data(const View& view, ZipEntry& entry, Anomalies& anomalies) {
    const uint64_t header = entry.local_header_offset;
    if (!view.has(header, kLocalHeaderSize) || view.u32(header) != kLocalHeaderSignature) {
        entry.data_located = false;
        anomalies.add("member '{}': no local header at offset {}", entry.name, header);
        return;
    }
    const uint16_t local_method = view.u16(header + 8);
    const uint16_t name_length = view.u16(header + 26);
    const uint16_t extra_length = view.u16(header + 28);
    entry.local_name = view.text(header + kLocalHeaderSize, name_length);
    entry.data_offset = header + kLocalHeaderSize + name_length + extra_length;

    if (entry.local_name != entry.name)
        anomalies.add("member '{}': its local header names it '{}'", entry.name, entry.local_name);
    if (local_method != entry.method)
        anomalies.add("member '{}': local header says method {}, central directory says {}",
                      entry.name, local_method, entry.method);
    if (!view.has(entry.data_offset, entry.compressed_size))
        anomalies.add("member '{}': its {} bytes of data run past the end of the archive",
                      entry.name, entry.compressed_size);
}

void note_entry_oddities(const ZipEntry& entry, Anomalies& anomalies) {
    if ((entry.flags & ~kOrdinaryFlags) != 0)
        anomalies.add("member '{}': unusual general-purpose flag bits {:#06x}", entry.name,
                      entry.flags & ~kOrdinaryFlags);
    // Encryption adds a header to the data, so only plain stored members
    // must have equal sizes.
    if (entry.method == 0 && !entry.encrypted && entry.compressed_size != entry.uncompressed_size)
        anomalies.add("member '{}': stored, but its sizes differ ({} stored, {} declared)",
                      entry.name, entry.compressed_size, entry.uncompressed_size);
    if (entry.is_directory && entry.compressed_size > 0)
        anomalies.add("member '{}': a directory entry that carries {} bytes of data", entry.name,
                      entry.compressed_size);
}

// Parses one central directory header at `at` (already checked to fit).
ZipEntry parse_central_header(const View& view, uint64_t at, uint64_t base, Anomalies& anomalies) {
    ZipEntry entry;
    const uint16_t made_by = view.u16(at + 4);
    entry.flags = view.u16(at + 8);
    entry.method = view.u16(at + 10);
    entry.crc32 = view.u32(at + 16);
    entry.compressed_size = view.u32(at + 20);
    entry.uncompressed_size = view.u32(at + 24);
    const uint16_t name_length = view.u16(at + 28);
    const uint16_t extra_length = view.u16(at + 30);
    entry.external_attributes = view.u32(at + 38);
    uint64_t local_offset = view.u32(at + 42);
    entry.name = view.text(at + kCentralHeaderSize, name_length);

    if (entry.compressed_size == kSaturated32 || entry.uncompressed_size == kSaturated32 ||
        local_offset == kSaturated32) {
        apply_zip64_extra(view, at + kCentralHeaderSize + name_length, extra_length,
                          {entry.uncompressed_size, entry.compressed_size, local_offset},
                          entry.name, anomalies);
    }
    (void)made_by;
    entry.local_header_offset = saturating_add(base, local_offset);
    entry.encrypted =
        (entry.flags & (kFlagEncrypted | kFlagStrongEncryption | kFlagMaskedHeaders)) != 0;
    // miniz's test: a trailing slash or the DOS directory attribute.
    entry.is_directory = (!entry.name.empty() && entry.name.back() == '/') ||
                         (entry.external_attributes & 0x10) != 0;
    entry.is_symlink = is_unix_symlink(entry.external_attributes);
    return entry;
}

void check_duplicate_names(const ZipListing& listing, Anomalies& anomalies) {
    // miniz (and so PyTorch) looks names up case-insensitively by binary
    // search over a sorted copy: which of several equal names it returns
    // depends on the sort, not on the archive order.
    std::map<std::string, uint64_t> counts;
    for (const auto& entry : listing.entries) {
        std::string folded = entry.name;
        std::transform(folded.begin(), folded.end(), folded.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        ++counts[folded];
    }
    for (const auto& [name, count] : counts) {
        if (count > 1)
            anomalies.add(
                "the name '{}' appears {} times (compared case-insensitively, as "
                "PyTorch's loader looks names up); loaders pick different copies",
                name, count);
    }
}

// Members whose data overlap, or bytes that no member accounts for: neither
// occurs in an archive a normal writer produced. Overlap is how
// non-recursive zip bombs reuse one compressed kernel many times, and
// unreferenced bytes are where a second, hidden archive can sit for readers
// that walk local headers instead of the directory.
void check_layout(const ZipListing& listing, uint64_t directory_start, Anomalies& anomalies) {
    struct Span {
        uint64_t start;
        uint64_t end;
        const ZipEntry* entry;
    };
    std::vector<Span> spans;
    for (const auto& entry : listing.entries) {
        if (entry.data_located)
            spans.push_back({entry.local_header_offset,
                             saturating_add(entry.data_offset, entry.compressed_size), &entry});
    }
    // Stable: entries sharing a start are named in directory order.
    std::stable_sort(spans.begin(), spans.end(),
                     [](const Span& a, const Span& b) { return a.start < b.start; });

    uint64_t overlaps = 0;
    const Span* previous = nullptr;
    for (const auto& span : spans) {
        if (previous != nullptr) {
            if (span.start < previous->end) {
                if (overlaps++ == 0)
                    anomalies.add("members '{}' and '{}' share bytes (overlapping entries)",
                                  previous->entry->name, span.entry->name);
            } else {
                const uint64_t gap = span.start - previous->end;
                const uint64_t slack =
                    (previous->entry->flags & kFlagDataDescriptor) != 0 ? kMaxDataDescriptor : 0;
                if (gap > slack)
                    anomalies.add("{} bytes that no member refers to lie between '{}' and '{}'",
                                  gap, previous->entry->name, span.entry->name);
            }
        }
        if (previous == nullptr || span.end > previous->end)
            previous = &span;
    }
    if (overlaps > 1)
        anomalies.add("{} members overlap others in total", overlaps);
    if (previous != nullptr && directory_start > previous->end) {
        const uint64_t gap = directory_start - previous->end;
        const uint64_t slack =
            (previous->entry->flags & kFlagDataDescriptor) != 0 ? kMaxDataDescriptor : 0;
        if (gap > slack)
            anomalies.add(
                "{} bytes that no member refers to lie between '{}' and the central "
                "directory",
                gap, previous->entry->name);
    }
}

Result<ZipListing> read_directory_at(const View& view, uint64_t end_position,
                                     uint64_t max_entries) {
    ZipListing listing;
    Anomalies anomalies(listing.anomalies);

    auto end = read_end_record(view, end_position, anomalies);
    if (!end)
        return end.error();
    const auto base = find_directory_base(view, *end);
    if (!base)
        return base.error();

    listing.zip64 = end->zip64;
    listing.declared_entries = end->entries;
    const uint64_t start = *base + end->directory_offset;
    const uint64_t stop = std::min(saturating_add(start, end->directory_size), end->directory_end);
    if (*base == 0 && start + end->directory_size < end->directory_end)
        anomalies.add("{} bytes lie between the central directory and the end record",
                      end->directory_end - start - end->directory_size);
    const uint64_t after_end = end->position + kEndSize + end->comment_length;
    if (after_end < view.size())
        anomalies.add("{} bytes follow the end record", view.size() - after_end);

    uint64_t at = start;
    while (at < stop) {
        if (listing.entries.size() >= max_entries) {
            listing.truncated = true;
            break;
        }
        if (at + kCentralHeaderSize > stop || view.u32(at) != kCentralHeaderSignature) {
            anomalies.add("the central directory holds {} bytes that are not an entry at offset {}",
                          stop - at, at);
            break;
        }
        const uint64_t length =
            kCentralHeaderSize + view.u16(at + 28) + view.u16(at + 30) + view.u16(at + 32);
        if (at + length > stop) {
            anomalies.add("central directory entry {} runs past the directory",
                          listing.entries.size());
            break;
        }
        auto entry = parse_central_header(view, at, *base, anomalies);
        locate_data(view, entry, anomalies);
        note_entry_oddities(entry, anomalies);
        listing.entries.push_back(std::move(entry));
        at += length;
    }
    if (!listing.truncated && listing.entries.size() != end->entries)
        anomalies.add("the end record declares {} entries, the central directory holds {}",
                      end->entries, listing.entries.size());

    uint64_t first_member = start;
    for (const auto& entry : listing.entries) {
        if (entry.data_located)
            first_member = std::min(first_member, entry.local_header_offset);
    }
    listing.prefix_bytes = first_member;
    if (first_member > 0)
        anomalies.add(
            "{} bytes of other data precede the first member (self-extractor or "
            "polyglot file)",
            first_member);
    check_duplicate_names(listing, anomalies);
    check_layout(listing, start, anomalies);
    anomalies.close();
    return listing;
}

}  // namespace

Result<ZipListing> read_zip_directory(ByteSpan archive, uint64_t max_entries) {
    const View view(archive);
    const auto candidates = find_end_candidates(view);
    if (candidates.empty())
        return Error{"no end of central directory record in the last 64 KiB"};

    std::optional<Error> last_error;
    for (size_t i = 0; i < candidates.size(); ++i) {
        auto listing = read_directory_at(view, candidates[i], max_entries);
        if (!listing) {
            if (!last_error)
                last_error = listing.error();
            continue;
        }
        if (i > 0)
            listing->anomalies.insert(
                listing->anomalies.begin(),
                fmt::format("the last end record (offset {}) is unusable ({}); the one at "
                            "offset {} was used",
                            candidates[0], last_error->message, candidates[i]));
        return listing;
    }
    return *last_error;
}

bool has_zip_end_record(ByteSpan bytes) {
    const View view(bytes);
    for (const uint64_t position : find_end_candidates(view)) {
        std::vector<std::string> ignored;
        Anomalies anomalies(ignored);
        const auto end = read_end_record(view, position, anomalies);
        if (end && find_directory_base(view, *end))
            return true;
    }
    return false;
}

bool is_supported_zip_method(uint16_t method) {
    return method == 0 || zip_method_codec(method).has_value();
}

std::optional<Codec> zip_method_codec(uint16_t method) {
    switch (method) {
        case 8:
            return Codec::deflate;
        case 12:
            return Codec::bzip2;
        case 14:
            return Codec::zip_lzma;
        case 93:
            return Codec::zstd;
        case 95:
            return Codec::xz;
        default:
            return std::nullopt;
    }
}

DecodeOptions zip_decode_options(const ZipEntry& entry) {
    DecodeOptions options;
    if (entry.method == 14 && (entry.flags & kFlagLzmaEndMarker) == 0)
        options.expected_size = entry.uncompressed_size;
    return options;
}

ZipRawData zip_member_raw_data(const Bytes& archive, const ZipEntry& entry) {
    if (!entry.data_located || entry.data_offset >= archive.size())
        return {Bytes(), entry.compressed_size == 0};
    const uint64_t available = archive.size() - entry.data_offset;
    const uint64_t length = std::min(entry.compressed_size, available);
    return {archive.slice(entry.data_offset, length), length == entry.compressed_size};
}

Result<Bytes> read_zip_member(const Bytes& archive, const ZipEntry& entry, uint64_t max_bytes) {
    if (!entry.data_located)
        return Error{fmt::format("member '{}' has no local header", entry.name)};
    if (entry.encrypted)
        return Error{fmt::format("member '{}' is encrypted", entry.name)};
    const auto raw = zip_member_raw_data(archive, entry);
    if (!raw.complete)
        return Error{fmt::format("member '{}' is truncated", entry.name)};
    if (entry.method == 0) {
        if (raw.bytes.size() > max_bytes)
            return Error{fmt::format("member '{}' is larger than {} bytes", entry.name, max_bytes)};
        return raw.bytes;
    }
    const auto codec = zip_method_codec(entry.method);
    if (!codec)
        return Error{fmt::format("member '{}' uses unsupported compression method {}", entry.name,
                                 entry.method)};

    std::vector<uint8_t> output;
    const auto result = decode(
        *codec, raw.bytes.span(),
        [&](ByteSpan chunk, uint64_t) {
            if (chunk.size() > max_bytes - output.size())
                return false;
            output.insert(output.end(), chunk.begin(), chunk.end());
            return true;
        },
        zip_decode_options(entry));
    switch (result.status) {
        case DecodeStatus::complete:
            return bytes_from(std::move(output));
        case DecodeStatus::stopped:
            return Error{fmt::format("member '{}' expands past {} bytes", entry.name, max_bytes)};
        case DecodeStatus::truncated:
            return Error{fmt::format("member '{}' ends inside its compressed stream", entry.name)};
        case DecodeStatus::corrupt:
            break;
    }
    return Error{fmt::format("member '{}' cannot be decompressed: {}", entry.name, result.detail)};
}

}  // namespace hazmat
