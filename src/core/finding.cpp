#include "core/finding.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <tuple>

namespace hazmat {

Finding Finding::from_rule(const RuleInfo& rule, std::string message, Location location) {
    Finding finding;
    finding.rule_id = std::string(rule.id);
    finding.severity = rule.severity;
    finding.title = std::string(rule.title);
    finding.message = std::move(message);
    finding.location = std::move(location);
    finding.remediation = std::string(rule.remediation);
    finding.cwe = rule.cwe;
    return finding;
}

Finding Finding::make(std::string_view rule_id, std::string message, Location location) {
    return from_rule(RuleRegistry::builtin().at(rule_id), std::move(message), std::move(location));
}

namespace {

auto chain_key(const Location& location) {
    std::vector<std::tuple<std::string_view, int>> key;
    key.reserve(location.chain.size());
    for (const auto& part : location.chain) {
        key.emplace_back(part.name, static_cast<int>(part.kind));
    }
    return key;
}

}  // namespace

std::string fingerprint_path(const Location& location, std::string_view target_display) {
    std::string path;
    for (const auto& part : location.chain) {
        switch (part.kind) {
            case LocationPart::Kind::file: {
                std::string_view name = part.name;
                if (path.empty() && !target_display.empty() && name.starts_with(target_display)) {
                    const auto rest = name.substr(target_display.size());
                    // A file target is its own display: keep its base name.
                    if (rest.empty()) {
                        const auto slash = name.find_last_of('/');
                        name = slash == std::string_view::npos ? name : name.substr(slash + 1);
                    } else if (rest.front() == '/') {
                        name = rest.substr(1);
                    } else if (target_display.back() == '/') {
                        name = rest;
                    }
                }
                path += path.empty() ? "" : "!";
                path += name;
                break;
            }
            case LocationPart::Kind::member:
                path += "!" + part.name;
                break;
            case LocationPart::Kind::decompressed:
                path += "|" + part.name;
                break;
            case LocationPart::Kind::embedded:
            case LocationPart::Kind::stream:
            case LocationPart::Kind::commit:
                break;
        }
    }
    return path;
}

std::string sha256_hex(std::string_view bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
    std::string hex;
    hex.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i)
        hex += fmt::format("{:02x}", digest[i]);
    return hex;
}

std::string make_fingerprint(std::string_view rule_id, std::string_view path,
                             std::string_view key) {
    std::string material = "hazmat-fingerprint-1";
    for (const auto field : {rule_id, path, key}) {
        material += '\0';
        material += field;
    }
    return sha256_hex(material).substr(0, 32);
}

void finalize_fingerprint(Finding& finding, std::string_view target_display) {
    if (finding.fingerprint_key.empty() || !finding.fingerprint.empty())
        return;
    finding.fingerprint =
        make_fingerprint(finding.rule_id, fingerprint_path(finding.location, target_display),
                         finding.fingerprint_key);
}

bool finding_order(const Finding& a, const Finding& b) {
    const auto key_a = chain_key(a.location);
    const auto key_b = chain_key(b.location);
    if (key_a != key_b)
        return key_a < key_b;
    const auto pos_a = std::tuple(a.location.line.value_or(0), a.location.offset.value_or(0));
    const auto pos_b = std::tuple(b.location.line.value_or(0), b.location.offset.value_or(0));
    if (pos_a != pos_b)
        return pos_a < pos_b;
    if (a.rule_id != b.rule_id)
        return a.rule_id < b.rule_id;
    return a.message < b.message;
}

}  // namespace hazmat
