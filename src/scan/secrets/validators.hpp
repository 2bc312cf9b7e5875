#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hazmat::secrets {

// Shannon entropy of the bytes of `text`, in bits per character.
double shannon_entropy(std::string_view text);

// GitHub's and npm's token checksum: the last six characters are the CRC32
// of the random part (between the prefix's '_' and the checksum), in base62
// left-padded with '0'. A random 36-character string passes with
// probability 1 in 56 billion, so this removes look-alikes completely.
bool github_checksum_valid(std::string_view token);
// The six checksum characters for a random part; used to build test tokens.
std::string github_checksum(std::string_view random_part);

// Decodes standard or URL-safe base64, with or without padding; nullopt if
// any other character appears.
std::optional<std::string> decode_base64(std::string_view text);

// A JSON Web Token: three base64url segments; the first two decode to JSON
// objects and the header names an algorithm ("alg").
bool jwt_valid(std::string_view token);
// The decoded payload of a valid JWT, for placeholder checks.
std::optional<std::string> jwt_payload(std::string_view token);

// The base64 part of the value (from the encoded '{', up to a '.') decodes
// to a JSON object.
bool base64_json_valid(std::string_view value);

// A Discord bot token's first segment is the base64 of the bot's numeric id.
bool discord_bot_valid(std::string_view token);

bool is_hex(std::string_view text);
bool is_uuid(std::string_view text);
bool has_letter_and_digit(std::string_view text);

// What a PEM private key block turned out to be.
struct PemKey {
    bool parses = false;
    bool encrypted = false;
    std::string kind;  // "RSA", "EC", "OpenSSH", "PKCS#8", "PGP" ...
};
// Parses a block from "-----BEGIN" to its END line with OpenSSL (or the
// OpenSSH key format). JSON-escaped newlines ("\n" as two characters) are
// accepted, since keys are often pasted into JSON strings.
PemKey inspect_pem(std::string_view block);

// Why a matched value is a placeholder or a documented example rather than a
// credential, if it is one. `words` and `values` come from the rule data
// (case-insensitive substrings and exact values).
std::optional<std::string> placeholder_reason(std::string_view secret,
                                              const std::vector<std::string>& words,
                                              const std::vector<std::string>& values);

}  // namespace hazmat::secrets
