#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hazmat::sandbox {

// Reads syscall arguments out of a stopped (notified) process with
// process_vm_readv. What is read is evidence for the record only: the
// process may change its memory after the read, so nothing is ever decided
// on it (the kernel's own checks decide).
class ProcessMemory {
  public:
    explicit ProcessMemory(pid_t pid) : pid_(pid) {}

    // Up to `limit` bytes at `address`; shorter if unmapped memory follows.
    std::optional<std::string> read(uint64_t address, size_t limit) const;
    // A NUL-terminated string of at most `limit` bytes.
    std::optional<std::string> read_string(uint64_t address, size_t limit = 4096) const;
    // A NULL-terminated array of string pointers (argv), bounded in count
    // and total size; `truncated` tells whether a bound was hit.
    std::vector<std::string> read_string_array(uint64_t address, bool& truncated,
                                               size_t max_count = 256,
                                               size_t max_total = 65536) const;

  private:
    pid_t pid_;
};

}  // namespace hazmat::sandbox
