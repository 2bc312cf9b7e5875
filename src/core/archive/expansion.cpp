#include "core/archive/expansion.hpp"

#include "core/scan_context.hpp"

namespace hazmat {

BoundedOutput::BoundedOutput(ScanContext& context, Location where)
    : context_(context),
      where_(std::move(where)),
      buffer_(context.limits().spill_threshold_bytes) {}

bool BoundedOutput::charge(uint64_t bytes, std::optional<uint64_t> consumed) {
    if (limit_reached_)
        return false;
    const bool within =
        context_.charge_expansion(bytes, where_) &&
        (!consumed || context_.check_ratio(buffer_.size() + bytes, *consumed, where_));
    limit_reached_ = !within;
    return within;
}

bool BoundedOutput::append(ByteSpan chunk, std::optional<uint64_t> consumed) {
    return charge(chunk.size(), consumed) && buffer_.append(chunk);
}

bool BoundedOutput::append_zeros(uint64_t count) {
    return charge(count, std::nullopt) && buffer_.append_zeros(count);
}

Expansion expand(Codec codec, ByteSpan input, ScanContext& context, const Location& where,
                 const DecodeOptions& options) {
    BoundedOutput output(context, where);
    Expansion expansion;
    expansion.decode = decode(
        codec, input,
        [&](ByteSpan chunk, uint64_t consumed) { return output.append(chunk, consumed); }, options);
    expansion.limit_reached = output.limit_reached();
    expansion.error = output.spill_error();
    auto bytes = output.finish();
    if (bytes) {
        expansion.output = std::move(bytes).value();
    } else if (!expansion.error) {
        expansion.error = bytes.error().message;
    }
    return expansion;
}

}  // namespace hazmat
