#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace hazmat {

// Collects content produced while scanning (decompressed streams, archive
// members that cannot be viewed in place). Small outputs stay in memory;
// once the output passes `spill_threshold` bytes it moves to an unlinked
// temporary file in $TMPDIR and is memory-mapped at the end, so a
// multi-gigabyte member costs disk pages, not resident memory. Nothing is
// left behind on disk: the file has no name from the moment it exists.
class SpillBuffer {
  public:
    explicit SpillBuffer(uint64_t spill_threshold);
    ~SpillBuffer();
    SpillBuffer(const SpillBuffer&) = delete;
    SpillBuffer& operator=(const SpillBuffer&) = delete;

    // False when the temporary file cannot be created or written (the
    // reason is in error()); the content appended so far stays available.
    bool append(ByteSpan chunk);
    // Appends `count` zero bytes (holes of sparse archive members).
    bool append_zeros(uint64_t count);

    uint64_t size() const { return size_; }
    bool spilled() const { return fd_ >= 0; }
    const std::optional<std::string>& error() const { return error_; }

    // The content appended so far. The buffer is empty afterwards.
    Result<Bytes> finish();

  private:
    bool spill();
    bool write_all(ByteSpan chunk);

    uint64_t threshold_;
    uint64_t size_ = 0;
    std::vector<uint8_t> memory_;
    int fd_ = -1;
    std::optional<std::string> error_;
};

}  // namespace hazmat
