#include "scan/models/protobuf_wire.hpp"

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>

namespace hazmat::models {

struct ProtoReader::Stream {
    google::protobuf::io::CodedInputStream input;
    Stream(const uint8_t* data, int size) : input(data, size) {}
};

ProtoReader::ProtoReader(ByteSpan message, uint64_t base_offset)
    : message_(message), base_offset_(base_offset) {
    if (message.size() > kMaxProtoMessage) {
        fail(fmt::format("message of {} bytes exceeds the 2 GiB protobuf limit", message.size()),
             base_offset);
        return;
    }
    stream_ = std::make_unique<Stream>(message.data(), static_cast<int>(message.size()));
}

ProtoReader::~ProtoReader() = default;

void ProtoReader::fail(std::string message, uint64_t offset) {
    if (error_.empty()) {
        error_ = std::move(message);
        error_offset_ = offset;
    }
}

bool ProtoReader::next(ProtoField& field) {
    if (stream_ == nullptr || failed())
        return false;
    auto& input = stream_->input;
    const uint64_t position = static_cast<uint64_t>(input.CurrentPosition());
    const uint64_t at = base_offset_ + position;
    if (position >= message_.size())
        return false;
    const uint32_t tag = input.ReadTag();
    if (tag == 0) {
        fail("invalid field tag", at);
        return false;
    }
    field = ProtoField{};
    field.number = tag >> 3;
    field.offset = at;
    if (field.number == 0) {
        fail("field number 0", at);
        return false;
    }
    switch (tag & 7) {
        case 0:
            field.wire = ProtoField::Wire::varint;
            if (!input.ReadVarint64(&field.value)) {
                fail(fmt::format("field {}: truncated varint", field.number), at);
                return false;
            }
            return true;
        case 1: {
            field.wire = ProtoField::Wire::fixed64;
            if (!input.ReadLittleEndian64(&field.value)) {
                fail(fmt::format("field {}: truncated 64-bit value", field.number), at);
                return false;
            }
            return true;
        }
        case 5: {
            field.wire = ProtoField::Wire::fixed32;
            uint32_t value = 0;
            if (!input.ReadLittleEndian32(&value)) {
                fail(fmt::format("field {}: truncated 32-bit value", field.number), at);
                return false;
            }
            field.value = value;
            return true;
        }
        case 2: {
            field.wire = ProtoField::Wire::bytes;
            uint32_t length = 0;
            if (!input.ReadVarint32(&length)) {
                fail(fmt::format("field {}: truncated length", field.number), at);
                return false;
            }
            const uint64_t start = static_cast<uint64_t>(input.CurrentPosition());
            if (length > message_.size() - start) {
                fail(fmt::format("field {}: length {} runs past the end of its message ({} "
                                 "bytes left)",
                                 field.number, length, message_.size() - start),
                     at);
                return false;
            }
            field.bytes = message_.subspan(start, length);
            field.payload_offset = base_offset_ + start;
            input.Skip(static_cast<int>(length));
            return true;
        }
        default:
            fail(fmt::format("field {}: unsupported wire type {}", field.number, tag & 7), at);
            return false;
    }
}

}  // namespace hazmat::models
