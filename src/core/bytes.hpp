#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace hazmat {

using ByteSpan = std::span<const uint8_t>;

// A read-only view of bytes together with whatever keeps them alive (a file
// mapping, a decompression buffer). Copying a Bytes copies the view, not the
// data, so members of a memory-mapped archive are never duplicated.
class Bytes {
  public:
    Bytes() = default;
    Bytes(ByteSpan span, std::shared_ptr<const void> owner)
        : span_(span), owner_(std::move(owner)) {}

    ByteSpan span() const { return span_; }
    const uint8_t* data() const { return span_.data(); }
    size_t size() const { return span_.size(); }
    bool empty() const { return span_.empty(); }

    // A sub-view sharing the same owner; clamps to the available bytes.
    Bytes slice(size_t offset, size_t length = SIZE_MAX) const;

    std::string_view as_chars() const {
        return {reinterpret_cast<const char*>(span_.data()), span_.size()};
    }

  private:
    ByteSpan span_;
    std::shared_ptr<const void> owner_;
};

inline Bytes Bytes::slice(size_t offset, size_t length) const {
    if (offset > span_.size())
        offset = span_.size();
    const size_t available = span_.size() - offset;
    if (length > available)
        length = available;
    return Bytes(span_.subspan(offset, length), owner_);
}

// Takes ownership of a buffer and exposes it as Bytes.
template <typename Container>
Bytes bytes_from(Container&& container) {
    auto owned = std::make_shared<std::decay_t<Container>>(std::forward<Container>(container));
    const ByteSpan span(reinterpret_cast<const uint8_t*>(owned->data()), owned->size());
    return Bytes(span, std::move(owned));
}

}  // namespace hazmat
