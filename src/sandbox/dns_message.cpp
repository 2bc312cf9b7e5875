#include "sandbox/dns_message.hpp"

#include <fmt/format.h>

namespace hazmat::sandbox {

namespace {

uint16_t read_u16(std::string_view bytes, size_t offset) {
    return static_cast<uint16_t>(static_cast<unsigned char>(bytes[offset]) << 8 |
                                 static_cast<unsigned char>(bytes[offset + 1]));
}

constexpr size_t kHeaderSize = 12;
constexpr size_t kMaxNameLength = 255;

}  // namespace

std::optional<DnsQuestion> parse_dns_query(std::string_view packet) {
    if (packet.size() < kHeaderSize)
        return std::nullopt;
    const uint16_t flags = read_u16(packet, 2);
    const bool is_response = flags & 0x8000;
    const unsigned opcode = (flags >> 11) & 0xf;
    if (is_response || opcode != 0 || read_u16(packet, 4) != 1)
        return std::nullopt;

    DnsQuestion question;
    question.id = read_u16(packet, 0);
    size_t offset = kHeaderSize;
    size_t wire_length = 0;
    for (;;) {
        if (offset >= packet.size())
            return std::nullopt;
        const auto length = static_cast<unsigned char>(packet[offset++]);
        if (length == 0)
            break;
        if (length > 63 || offset + length > packet.size())
            return std::nullopt;  // compression pointers have no place in a question
        wire_length += length + 1;
        if (wire_length > kMaxNameLength)
            return std::nullopt;
        if (!question.name.empty())
            question.name += '.';
        for (size_t i = 0; i < length; ++i) {
            const auto c = static_cast<unsigned char>(packet[offset + i]);
            if (c > 0x20 && c < 0x7f && c != '.' && c != '\\')
                question.name += static_cast<char>(c);
            else
                question.name += fmt::format("\\{:03d}", c);
        }
        offset += length;
    }
    if (offset + 4 > packet.size())
        return std::nullopt;
    question.type = read_u16(packet, offset);
    question.klass = read_u16(packet, offset + 2);
    question.question_end = offset + 4;
    return question;
}

std::string dns_type_name(uint16_t type) {
    switch (type) {
        case 1:
            return "A";
        case 2:
            return "NS";
        case 5:
            return "CNAME";
        case 12:
            return "PTR";
        case 15:
            return "MX";
        case 16:
            return "TXT";
        case 28:
            return "AAAA";
        case 33:
            return "SRV";
        case 65:
            return "HTTPS";
        case 255:
            return "ANY";
        default:
            return std::to_string(type);
    }
}

std::string dns_error_response(std::string_view query, const DnsQuestion& question, uint8_t rcode) {
    std::string response(query.substr(0, question.question_end));
    const uint16_t query_flags = read_u16(query, 2);
    // QR=1, same opcode, RD copied, RA=1, the response code.
    const uint16_t flags =
        static_cast<uint16_t>(0x8000 | (query_flags & 0x7900) | 0x0080 | (rcode & 0xf));
    response[2] = static_cast<char>(flags >> 8);
    response[3] = static_cast<char>(flags & 0xff);
    for (size_t i = 6; i < kHeaderSize; ++i)
        response[i] = 0;  // no answer, authority or additional records
    return response;
}

}  // namespace hazmat::sandbox
