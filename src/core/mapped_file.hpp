#pragma once

#include <filesystem>
#include <string>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace hazmat {

// Opens a regular file read-only without following a final symlink and maps
// it into memory. Pages are only read when touched, so sniffing a multi-GB
// checkpoint's members costs a few pages each, not the file's size.
//
// Refuses anything that is not a regular file (FIFOs and devices would block
// or never end), and reports the failing call and errno in the error.
Result<Bytes> map_file(const std::filesystem::path& path);

}  // namespace hazmat
