#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/bytes.hpp"

namespace hazmat::models {

// One field of a protobuf message as the wire format stores it. Decoding
// without generated classes keeps hazmat independent of the exact .proto
// versions TensorFlow and ONNX ship, and lets every length be checked
// against the bytes that are really there.
struct ProtoField {
    enum class Wire : uint8_t { varint = 0, fixed64 = 1, bytes = 2, fixed32 = 5 };

    uint32_t number = 0;
    Wire wire = Wire::varint;
    uint64_t value = 0;   // varint and fixed-width values
    ByteSpan bytes;       // length-delimited payload
    uint64_t offset = 0;  // of the field's tag, in the outermost buffer
    // Of the first payload byte of a length-delimited field, likewise.
    uint64_t payload_offset = 0;

    std::string_view text() const {
        return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
    }
};

// Iterates the fields of one message. Lengths that run past the message,
// groups (deprecated, never written by TensorFlow or ONNX) and bad tags end
// the iteration with an error instead of a guess.
class ProtoReader {
  public:
    // `base_offset` is where `message` starts in the outermost buffer, so
    // that errors and fields carry offsets a user can look up in the file.
    ProtoReader(ByteSpan message, uint64_t base_offset);
    ~ProtoReader();
    ProtoReader(const ProtoReader&) = delete;
    ProtoReader& operator=(const ProtoReader&) = delete;

    // Reads the next field; false at the end of the message or on an error.
    bool next(ProtoField& field);

    bool failed() const { return !error_.empty(); }
    const std::string& error() const { return error_; }
    uint64_t error_offset() const { return error_offset_; }

  private:
    void fail(std::string message, uint64_t offset);

    ByteSpan message_;
    uint64_t base_offset_;
    struct Stream;
    std::unique_ptr<Stream> stream_;
    std::string error_;
    uint64_t error_offset_ = 0;
};

// Messages larger than this cannot be decoded by protobuf's own readers
// (their sizes are signed 32-bit), so no loader reads them either.
inline constexpr uint64_t kMaxProtoMessage = (1ull << 31) - 1;

// Shared by the decoders of ONNX and TensorFlow messages: walks the fields of
// a message and records the first decoding failure in `out` (any result type
// with `ok`, `error` and `error_offset`), after which every walk stops.
template <typename Out>
class ProtoWalker {
  protected:
    explicit ProtoWalker(Out& out) : out_(out) {}

    template <typename Visit>
    void for_each(const ProtoField& message, std::string_view name, Visit&& visit) {
        if (!out_.ok)
            return;
        ProtoReader reader(message.bytes, message.payload_offset);
        ProtoField field;
        while (out_.ok && reader.next(field))
            visit(field);
        if (reader.failed() && out_.ok)
            fail(fmt::format("{}: {}", name, reader.error()), reader.error_offset());
    }

    bool expect_bytes(const ProtoField& field, std::string_view name) {
        if (field.wire == ProtoField::Wire::bytes)
            return true;
        fail(fmt::format("field '{}' has the wrong wire type", name), field.offset);
        return false;
    }

    void fail(std::string message, uint64_t offset) {
        if (!out_.ok)
            return;
        out_.ok = false;
        out_.error = std::move(message);
        out_.error_offset = offset;
    }

    Out& out_;
};

}  // namespace hazmat::models
