#include "sandbox/encodings.hpp"

#include <openssl/evp.h>

#include <cctype>

namespace hazmat::sandbox {

std::string base64_encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                        reinterpret_cast<const unsigned char*>(bytes.data()),
                                        static_cast<int>(bytes.size()));
    out.resize(written > 0 ? static_cast<size_t>(written) : 0);
    return out;
}

std::string base64url_encode(std::string_view bytes) {
    auto out = base64_encode(bytes);
    while (!out.empty() && out.back() == '=')
        out.pop_back();
    for (auto& c : out) {
        if (c == '+')
            c = '-';
        else if (c == '/')
            c = '_';
    }
    return out;
}

std::string base32_encode(std::string_view bytes) {
    static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    std::string out;
    uint32_t buffer = 0;
    int bits = 0;
    for (const unsigned char byte : bytes) {
        buffer = (buffer << 8) | byte;
        bits += 8;
        while (bits >= 5) {
            out += kAlphabet[(buffer >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out += kAlphabet[(buffer << (5 - bits)) & 31];
    return out;
}

std::string hex_encode(std::string_view bytes, bool upper) {
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const unsigned char byte : bytes) {
        out += digits[byte >> 4];
        out += digits[byte & 15];
    }
    return out;
}

std::string url_encode(std::string_view bytes) {
    std::string out;
    for (const unsigned char byte : bytes) {
        if (std::isalnum(byte) || byte == '-' || byte == '_' || byte == '.' || byte == '~') {
            out += static_cast<char>(byte);
        } else {
            out += '%';
            out += "0123456789ABCDEF"[byte >> 4];
            out += "0123456789ABCDEF"[byte & 15];
        }
    }
    return out;
}

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view bytes) {
    auto at = bytes.find('%');
    std::optional<std::string> out;
    while (at != std::string_view::npos) {
        if (at + 2 < bytes.size() && hex_value(bytes[at + 1]) >= 0 &&
            hex_value(bytes[at + 2]) >= 0) {
            if (!out) {
                out.emplace();
                out->reserve(bytes.size());
            }
            out->append(bytes.substr(0, at));
            out->push_back(
                static_cast<char>(hex_value(bytes[at + 1]) * 16 + hex_value(bytes[at + 2])));
            bytes.remove_prefix(at + 3);
            at = bytes.find('%');
            continue;
        }
        at = bytes.find('%', at + 1);
    }
    if (out)
        out->append(bytes);
    return out;
}

}  // namespace hazmat::sandbox
