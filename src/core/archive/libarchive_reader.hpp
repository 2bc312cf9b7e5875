#pragma once

#include "core/blob.hpp"

namespace hazmat {

class ScanContext;

// Containers read through libarchive rather than our own parsers.
enum class LibarchiveFormat {
    tar,                // ustar, GNU, pax, v7
    sevenzip,           // 7z
    zip_local_headers,  // zips whose central directory is unusable, walked from the front
};

// Examines every member of `blob` with libarchive, straight from the mapped
// bytes: each regular member is handed back to the dispatcher as a child
// (location part `member`, name as the archive spells it). Member data that
// libarchive hands out in place is viewed without a copy; anything else is
// collected under the file's expansion budget, spilling to an unlinked
// temporary file when large. Links, escaping names, encrypted members and
// corrupt or truncated archives are reported; members read before a break
// are still examined.
void scan_with_libarchive(const Blob& blob, LibarchiveFormat format, ScanContext& context);

}  // namespace hazmat
