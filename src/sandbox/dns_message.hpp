#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hazmat::sandbox {

// The question of a DNS query, as far as hazmat needs it.
struct DnsQuestion {
    uint16_t id = 0;
    std::string name;  // dotted, without the trailing dot; labels with odd bytes are escaped
    uint16_t type = 0;
    uint16_t klass = 0;
    size_t question_end = 0;  // offset just past the question section
};

// Parses the first question of a query; nullopt for anything that is not
// a well-formed standard query with one question (responses, truncated
// packets, compression pointers in a question).
std::optional<DnsQuestion> parse_dns_query(std::string_view packet);

// "A", "AAAA", "TXT", ... or the number.
std::string dns_type_name(uint16_t type);

// An answer to `query` with the given response code (3: NXDOMAIN,
// 5: REFUSED) and no records, echoing the question as resolvers expect.
std::string dns_error_response(std::string_view query, const DnsQuestion& question, uint8_t rcode);

}  // namespace hazmat::sandbox
