#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/archive/decoders.hpp"
#include "core/archive/spill_buffer.hpp"
#include "core/location.hpp"

namespace hazmat {

class ScanContext;

// Collects the content of one nested blob (a decompressed stream, a member
// that cannot be viewed in place) while charging the file's budget as the
// bytes arrive, so a bomb stops at the limit instead of after expanding.
class BoundedOutput {
  public:
    // `where` is the location of the blob being produced; limits are
    // reported there.
    BoundedOutput(ScanContext& context, Location where);

    // False once a limit was reached (and reported) or the spill file
    // failed; the caller stops producing. `consumed` is the compressed input
    // behind the output so far, for the per-layer ratio; without it only the
    // file's totals are checked.
    bool append(ByteSpan chunk, std::optional<uint64_t> consumed);
    bool append_zeros(uint64_t count);

    uint64_t size() const { return buffer_.size(); }
    bool limit_reached() const { return limit_reached_; }
    // Set when the temporary file for a large output could not be written.
    const std::optional<std::string>& spill_error() const { return buffer_.error(); }

    Result<Bytes> finish() { return buffer_.finish(); }

  private:
    bool charge(uint64_t bytes, std::optional<uint64_t> consumed);

    ScanContext& context_;
    Location where_;
    SpillBuffer buffer_;
    bool limit_reached_ = false;
};

// The result of undoing one compression layer. `output` holds everything
// produced, also when the stream turned out truncated or corrupt: a loader
// may act on that prefix, so it is examined too.
struct Expansion {
    Bytes output;
    DecodeResult decode;
    bool limit_reached = false;
    std::optional<std::string> error;  // spill file or mapping failure
};

Expansion expand(Codec codec, ByteSpan input, ScanContext& context, const Location& where,
                 const DecodeOptions& options = {});

}  // namespace hazmat
