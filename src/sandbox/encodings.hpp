#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hazmat::sandbox {

// The encodings exfiltration code wraps a stolen value in before sending it
// (in a URL, a DNS label, a JSON body).
std::string base64_encode(std::string_view bytes);
std::string base64url_encode(std::string_view bytes);  // '-' '_' and no padding
std::string base32_encode(std::string_view bytes);     // RFC 4648 upper case, no padding
std::string hex_encode(std::string_view bytes, bool upper = false);
std::string url_encode(std::string_view bytes);  // RFC 3986 percent-encoding, upper-case hex

// Decodes every %XX escape (either case of hex) and leaves everything else,
// '+' included, as it is; nullopt when `bytes` holds no escape at all.
std::optional<std::string> percent_decode(std::string_view bytes);

}  // namespace hazmat::sandbox
