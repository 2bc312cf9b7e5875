#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace hazmat {

// One member as the central directory describes it, plus what the local
// header says, because loaders and scanners disagree exactly there.
struct ZipEntry {
    std::string name;        // central directory name (what PyTorch's loader uses)
    std::string local_name;  // local header name; may differ in a crafted archive
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
};

struct ZipListing {
    std::vector<ZipEntry> entries;  // central directory order
    // Structural oddities a strict reader would reject (e.g. "local name
    // differs from central name for member X"), for an HZ-MDL-003 finding.
    std::vector<std::string> anomalies;
    bool zip64 = false;
    uint64_t prefix_bytes = 0;  // bytes before the first local header (prepended data)
};

// Reads the central directory the way PyTorch's loader (miniz) does: the end
// record is searched from the end of the file, names come from the central
// directory, and CRC mismatches or odd flag bits are not errors. Fails only
// when no member can be located at all.
Result<ZipListing> read_zip_directory(ByteSpan archive);

// The member's uncompressed bytes. Stored members are a view into `archive`
// (no copy); deflated ones are inflated, at most `max_bytes` (an error past it).
Result<Bytes> read_zip_member(const Bytes& archive, const ZipEntry& entry, uint64_t max_bytes);

}  // namespace hazmat
