#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/archive/decoders.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"

namespace hazmat {

// One member as the central directory describes it, plus what the local
// header says, because loaders and scanners disagree exactly there.
struct ZipEntry {
    std::string name;        // central directory name (what PyTorch's loader uses)
    std::string local_name;  // local header name; may differ in a crafted archive
    // Positions in the archive bytes as given, prepended data included (the
    // directory's own offsets may be relative to the zip's real start).
    uint64_t local_header_offset = 0;
    uint64_t data_offset = 0;  // first byte of the member's (possibly compressed) data
    uint64_t compressed_size = 0;
    uint64_t uncompressed_size = 0;
    uint16_t method = 0;  // 0 stored, 8 deflate, others reported as unsupported
    uint16_t flags = 0;   // general-purpose bit flags
    uint32_t crc32 = 0;
    uint32_t external_attributes = 0;
    bool encrypted = false;
    bool is_directory = false;
    bool is_symlink = false;  // Unix mode in the external attributes says S_IFLNK
    // False when no local header sits where the central directory points, so
    // the data cannot be located; read_zip_member then fails for this entry.
    bool data_located = true;
};

struct ZipListing {
    std::vector<ZipEntry> entries;  // central directory order
    // Structural oddities a strict reader would reject (e.g. "local name
    // differs from central name for member X"), for an HZ-MDL-003 finding.
    std::vector<std::string> anomalies;
    bool zip64 = false;
    uint64_t prefix_bytes = 0;  // bytes before the first local header (prepended data)
    // Entries the end record declares; may differ from entries.size() in a
    // crafted archive (the difference is an anomaly).
    uint64_t declared_entries = 0;
    // True when listing stopped at the caller's entry limit.
    bool truncated = false;
};

// Reads the central directory the way PyTorch's loader (miniz) does: the end
// record is searched from the end of the file, names come from the central
// directory, and CRC mismatches or odd flag bits are not errors. Fails only
// when no member can be located at all. Lists at most `max_entries` entries
// (then `truncated` is set), so a hostile directory cannot exhaust memory.
Result<ZipListing> read_zip_directory(ByteSpan archive, uint64_t max_entries = UINT64_MAX);

// The member's uncompressed bytes. Stored members are a view into `archive`
// (no copy); compressed ones are decoded, at most `max_bytes` (an error past
// it). Errors also for encrypted, truncated or corrupt members.
Result<Bytes> read_zip_member(const Bytes& archive, const ZipEntry& entry, uint64_t max_bytes);

// The member's data exactly as stored (still compressed unless stored),
// clamped to the archive. `complete` is false when the archive ends before
// the declared compressed size.
struct ZipRawData {
    Bytes bytes;
    bool complete = true;
};
ZipRawData zip_member_raw_data(const Bytes& archive, const ZipEntry& entry);

// Compression methods hazmat decodes: stored, deflate (all PyTorch reads),
// plus bzip2, LZMA, zstd and xz, which Python's zipfile (numpy's .npz) or
// other extractors accept.
bool is_supported_zip_method(uint16_t method);
// The decoder for a compressed method (none for stored or unsupported ones).
std::optional<Codec> zip_method_codec(uint16_t method);
// Decoder options a member needs (the size an LZMA member without an end
// marker stops at).
DecodeOptions zip_decode_options(const ZipEntry& entry);

// Cheap test for content that does not start like a zip but has a valid end
// of central directory record in its last 64 KiB + 22 bytes, as a zip with
// prepended data (a self-extractor, a polyglot) does. PyTorch's reader finds
// such archives from the end.
bool has_zip_end_record(ByteSpan bytes);

}  // namespace hazmat
