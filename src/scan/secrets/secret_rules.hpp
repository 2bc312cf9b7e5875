#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/severity.hpp"

namespace hazmat::secrets {

// Offline checks that turn a pattern match into a credential. Each one cuts
// a class of false positives that a regular expression cannot.
enum class Validator {
    github_crc32,  // last 6 characters are the base62 CRC32 of the body (GitHub, npm)
    jwt,           // header and payload are base64url JSON, the header names an algorithm
    base64_json,   // the value (or its part after a fixed prefix) decodes to a JSON object
    pem,           // a PEM block that parses as a private key (encrypted ones included)
    discord_bot,   // first segment is the base64 of a numeric user id
    not_hex,       // rejects pure hexadecimal (hashes and commit ids look like keys)
    not_uuid,      // rejects canonical UUIDs
    mixed_chars,   // needs both a letter and a digit (rules out words and numbers)
};

std::optional<Validator> parse_validator(std::string_view name);
std::string_view to_string(Validator validator);

// One token format, as written in rules/secrets/<family>.toml.
struct SecretRule {
    std::string id;    // HZ-SEC-NNN
    std::string name;  // stable slug: "openai-project-key"
    std::string family;
    std::string title;
    Severity severity = Severity::high;
    std::string description;
    std::string remediation;
    // A regular expression in the common subset of vectorscan and RE2. When
    // it has a capturing group, group 1 is the secret; otherwise the match.
    std::string pattern;
    bool case_insensitive = false;
    // Context: when `keywords` or `partner` is set, one of the keywords
    // (case-insensitive) or a match of the partner rule must lie within
    // `context_lines` lines of the match.
    std::vector<std::string> keywords;
    std::string partner;
    uint32_t context_lines = 3;
    std::vector<Validator> validators;
    // Minimum Shannon entropy of the secret in bits per character (0: none).
    double min_entropy = 0;
    // Generic rules (a password assignment, a bare high-entropy value) yield
    // to a specific rule matching the same text and are not applied to
    // binary content, where such shapes occur by chance.
    bool generic = false;
    // The pattern matches a BEGIN line; the secret runs to its END line.
    bool pem_block = false;
    // The pattern matches the start of a long base64 value; the secret runs
    // on while base64 characters follow (up to 64 KiB). Regex engines bound
    // repetitions, and a service account file is several KiB of base64.
    bool extend_base64 = false;
};

// A finding the analyzer raises about the scan itself rather than a token
// (an ignore marker next to a secret, a scanner configuration in the target).
struct SecretNotice {
    std::string id;
    std::string title;
    Severity severity = Severity::info;
    std::string description;
    std::string remediation;
};

struct SecretRuleSet {
    std::vector<SecretRule> rules;
    std::vector<SecretNotice> notices;
    // [placeholders]: a secret containing one of `words` (case-insensitive)
    // or equal to one of `values` is an example, reported at info.
    std::vector<std::string> placeholder_words;
    std::vector<std::string> placeholder_values;
    // [suppressions]: other tools' inline ignore markers, and the file names
    // of secret scanners' configurations. hazmat obeys neither; it reports
    // a marker next to a secret, and a configuration file wherever it is.
    std::vector<std::string> ignore_markers;
    std::vector<std::string> scanner_config_names;
};

// Parses one rules file. `file_name` appears in error messages. Checks
// everything that does not need a regex engine: required fields, id format,
// severities, validator names, duplicate ids and names.
Result<SecretRuleSet> parse_rule_file(std::string_view text, std::string_view file_name);

// Parses every *.toml file of a directory (sorted by name) into one set and
// checks that partners refer to rules that exist.
Result<SecretRuleSet> load_rule_directory(const std::filesystem::path& directory);

// The rules files compiled into the binary (generated at build time from
// rules/secrets/), for the registry's metadata.
struct EmbeddedRuleFile {
    std::string_view name;
    std::string_view text;
};
std::span<const EmbeddedRuleFile> embedded_rule_files();

// The same files, parsed once. Aborts if they do not parse: that is a build
// defect, caught by the tests.
const SecretRuleSet& embedded_rule_set();

}  // namespace hazmat::secrets
