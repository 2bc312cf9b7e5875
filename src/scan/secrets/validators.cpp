#include "scan/secrets/validators.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

namespace hazmat::secrets {

namespace {

constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

char lower(char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool contains_ignoring_case(std::string_view haystack, std::string_view needle) {
    if (needle.empty() || needle.size() > haystack.size())
        return false;
    const auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                                [](char a, char b) { return lower(a) == lower(b); });
    return it != haystack.end();
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

bool is_json_object(std::string_view text) {
    const auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    return parsed.is_object();
}

size_t longest_run(std::string_view text) {
    size_t best = 0;
    size_t run = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        run = (i > 0 && text[i] == text[i - 1]) ? run + 1 : 1;
        best = std::max(best, run);
    }
    return best;
}

size_t distinct_characters(std::string_view text) {
    std::array<bool, 256> seen{};
    size_t count = 0;
    for (const unsigned char c : text) {
        if (!seen[c]) {
            seen[c] = true;
            ++count;
        }
    }
    return count;
}

// "\n" written as two characters (JSON, .env files) back to a newline, and
// each line's indentation dropped (YAML block scalars).
std::string normalise_pem(std::string_view block) {
    std::string out;
    out.reserve(block.size());
    bool line_start = true;
    for (size_t i = 0; i < block.size(); ++i) {
        const char c = block[i];
        if (c == '\\' && i + 1 < block.size() && (block[i + 1] == 'n' || block[i + 1] == 'r')) {
            if (block[i + 1] == 'n') {
                out += '\n';
                line_start = true;
            }
            ++i;
            continue;
        }
        if (c == '\r')
            continue;
        if (line_start && (c == ' ' || c == '\t' || c == '"'))
            continue;
        line_start = (c == '\n');
        out += c;
    }
    return out;
}

struct BioDeleter {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
struct PkeyDeleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct SigDeleter {
    void operator()(X509_SIG* sig) const { X509_SIG_free(sig); }
};
struct OpensslFree {
    void operator()(void* p) const { OPENSSL_free(p); }
};

// The openssh-key-v1 container: magic, then the cipher name as an SSH string.
PemKey inspect_openssh(std::string_view der) {
    static constexpr std::string_view kMagic("openssh-key-v1\0", 15);
    PemKey key;
    key.kind = "OpenSSH";
    if (!der.starts_with(kMagic) || der.size() < kMagic.size() + 4)
        return key;
    const auto* p = reinterpret_cast<const unsigned char*>(der.data() + kMagic.size());
    const uint32_t length =
        (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
    if (length == 0 || length > 64 || kMagic.size() + 4 + length > der.size())
        return key;
    const std::string_view cipher = der.substr(kMagic.size() + 4, length);
    key.parses = true;
    key.encrypted = cipher != "none";
    return key;
}

PemKey inspect_pgp(std::string_view block) {
    PemKey key;
    key.kind = "PGP";
    // Armor: header lines, a blank line, base64 lines, a "=" checksum line.
    const auto blank = block.find("\n\n");
    const auto end = block.find("-----END");
    if (blank == std::string_view::npos || end == std::string_view::npos || end < blank)
        return key;
    std::string body;
    for (const char c : block.substr(blank + 2, end - blank - 2)) {
        if (c == '=' && !body.empty() && body.size() % 4 == 0)
            break;  // the CRC24 checksum line
        if (c != '\n')
            body += c;
    }
    key.parses = body.size() >= 64 && decode_base64(body).has_value();
    return key;
}

}  // namespace

double shannon_entropy(std::string_view text) {
    if (text.empty())
        return 0;
    std::array<uint32_t, 256> counts{};
    for (const unsigned char c : text)
        ++counts[c];
    double entropy = 0;
    const double total = static_cast<double>(text.size());
    for (const auto count : counts) {
        if (count == 0)
            continue;
        const double p = count / total;
        entropy -= p * std::log2(p);
    }
    return entropy;
}

std::string github_checksum(std::string_view random_part) {
    uint32_t crc =
        static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(random_part.data()),
                                    static_cast<uInt>(random_part.size())));
    std::string digits;
    do {
        digits += kBase62[crc % 62];
        crc /= 62;
    } while (crc > 0);
    while (digits.size() < 6)
        digits += '0';
    std::reverse(digits.begin(), digits.end());
    return digits;
}

bool github_checksum_valid(std::string_view token) {
    const auto underscore = token.find_last_of('_');
    if (underscore == std::string_view::npos)
        return false;
    const auto body = token.substr(underscore + 1);
    if (body.size() != 36)
        return false;
    return github_checksum(body.substr(0, 30)) == body.substr(30);
}

std::optional<std::string> decode_base64(std::string_view text) {
    std::string standard;
    standard.reserve(text.size() + 3);
    for (const char c : text) {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/') {
            standard += c;
        } else if (c == '-') {
            standard += '+';
        } else if (c == '_') {
            standard += '/';
        } else if (c == '=') {
            break;
        } else {
            return std::nullopt;
        }
    }
    if (standard.size() % 4 == 1)
        return std::nullopt;
    const size_t padding = (4 - standard.size() % 4) % 4;
    standard.append(padding, '=');
    std::string out(standard.size() / 4 * 3, '\0');
    const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                        reinterpret_cast<const unsigned char*>(standard.data()),
                                        static_cast<int>(standard.size()));
    if (written < 0)
        return std::nullopt;
    out.resize(static_cast<size_t>(written) - padding);
    return out;
}

std::optional<std::string> jwt_payload(std::string_view token) {
    const auto first = token.find('.');
    const auto second = token.find('.', first + 1);
    if (first == std::string_view::npos || second == std::string_view::npos)
        return std::nullopt;
    const auto header = decode_base64(token.substr(0, first));
    if (!header)
        return std::nullopt;
    const auto header_json = nlohmann::json::parse(*header, nullptr, false);
    if (!header_json.is_object() || !header_json.contains("alg") || !header_json["alg"].is_string())
        return std::nullopt;
    auto payload = decode_base64(token.substr(first + 1, second - first - 1));
    if (!payload || !is_json_object(*payload))
        return std::nullopt;
    return payload;
}

bool jwt_valid(std::string_view token) {
    return jwt_payload(token).has_value();
}

bool base64_json_valid(std::string_view value) {
    // Tokens put a fixed prefix before the encoded object ("ops_", "sk.")
    // and sometimes a signature after a dot; the object itself starts with
    // '{' (base64 "eyJ" compact, "ew" pretty-printed).
    auto start = value.find("eyJ");
    if (start == std::string_view::npos)
        start = value.find("ew");
    if (start == std::string_view::npos)
        start = 0;
    auto encoded = value.substr(start);
    encoded = encoded.substr(0, encoded.find('.'));
    const auto decoded = decode_base64(encoded);
    return decoded && is_json_object(*decoded);
}

bool discord_bot_valid(std::string_view token) {
    const auto dot = token.find('.');
    if (dot == std::string_view::npos)
        return false;
    const auto id = decode_base64(token.substr(0, dot));
    return id && id->size() >= 17 && id->size() <= 20 &&
           std::all_of(id->begin(), id->end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_hex(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c)) != 0;
    });
}

bool is_uuid(std::string_view text) {
    if (text.size() != 36)
        return false;
    for (size_t i = 0; i < text.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash != (text[i] == '-'))
            return false;
        if (!dash && !std::isxdigit(static_cast<unsigned char>(text[i])))
            return false;
    }
    return true;
}

bool has_letter_and_digit(std::string_view text) {
    const auto is_alpha = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; };
    const auto is_digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
    return std::any_of(text.begin(), text.end(), is_alpha) &&
           std::any_of(text.begin(), text.end(), is_digit);
}

PemKey inspect_pem(std::string_view block) {
    const std::string text = normalise_pem(block);
    if (text.find("PGP PRIVATE KEY BLOCK") != std::string::npos)
        return inspect_pgp(text);

    PemKey key;
    std::unique_ptr<BIO, BioDeleter> bio(
        BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    char* raw_name = nullptr;
    char* raw_header = nullptr;
    unsigned char* raw_data = nullptr;
    long length = 0;
    if (bio == nullptr || PEM_read_bio(bio.get(), &raw_name, &raw_header, &raw_data, &length) != 1)
        return key;
    const std::unique_ptr<char, OpensslFree> name(raw_name);
    const std::unique_ptr<char, OpensslFree> header(raw_header);
    const std::unique_ptr<unsigned char, OpensslFree> data(raw_data);
    const std::string_view label(name.get());
    const std::string_view der(reinterpret_cast<const char*>(data.get()),
                               static_cast<size_t>(length));

    if (label == "OPENSSH PRIVATE KEY")
        return inspect_openssh(der);
    const unsigned char* cursor = data.get();
    if (label == "ENCRYPTED PRIVATE KEY") {
        key.kind = "PKCS#8";
        key.encrypted = true;
        const std::unique_ptr<X509_SIG, SigDeleter> sig(d2i_X509_SIG(nullptr, &cursor, length));
        key.parses = sig != nullptr;
        return key;
    }
    key.kind = label == "PRIVATE KEY" ? "PKCS#8" : std::string(label.substr(0, label.find(' ')));
    // Legacy OpenSSL encryption keeps the label and adds Proc-Type/DEK-Info
    // headers; without the passphrase only the envelope can be checked.
    if (std::strstr(header.get(), "ENCRYPTED") != nullptr) {
        key.encrypted = true;
        key.parses = length >= 64 && std::strstr(header.get(), "DEK-Info:") != nullptr;
        return key;
    }
    const std::unique_ptr<EVP_PKEY, PkeyDeleter> pkey(d2i_AutoPrivateKey(nullptr, &cursor, length));
    key.parses = pkey != nullptr;
    return key;
}

std::optional<std::string> placeholder_reason(std::string_view secret,
                                              const std::vector<std::string>& words,
                                              const std::vector<std::string>& values) {
    for (const auto& value : values) {
        if (equals_ignoring_case(secret, value))
            return "a documented example or default value";
    }
    for (const auto& word : words) {
        if (contains_ignoring_case(secret, word))
            return "contains '" + word + "'";
    }
    const size_t run = longest_run(secret);
    if (run >= 12 || (run >= 6 && run * 4 >= secret.size()))
        return "a character repeated " + std::to_string(run) + " times";
    if (secret.size() >= 8 && distinct_characters(secret) <= 3)
        return "only " + std::to_string(distinct_characters(secret)) + " distinct characters";
    for (const std::string_view sequence : {"123456789", "abcdefghij", "ABCDEFGHIJ"}) {
        if (secret.find(sequence) != std::string_view::npos)
            return "contains the sequence '" + std::string(sequence) + "'";
    }
    return std::nullopt;
}

}  // namespace hazmat::secrets
