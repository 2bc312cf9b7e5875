#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "scan/deps/version_set.hpp"

// Python package versions and version specifiers as PEP 440 defines them,
// with the exact semantics pip applies (the `packaging` library's behaviour
// where the standard leaves room): pre-, post- and development releases,
// epochs, local versions, `~=`, `==X.*` prefix matching and `===`.
namespace hazmat::deps::pep440 {

class Version {
  public:
    // A part of a local version label ("+ubuntu.1" has two): numbers sort
    // above words, words compare case-insensitively (stored lower-case).
    using LocalPart = std::variant<uint64_t, std::string>;

    struct Pre {
        char kind;  // 'a', 'b' or 'c' (rc); sorts in that order
        uint64_t number;
        auto operator<=>(const Pre&) const = default;
    };

    uint64_t epoch = 0;
    std::vector<uint64_t> release;
    std::optional<Pre> pre;
    std::optional<uint64_t> post;
    std::optional<uint64_t> dev;
    std::vector<LocalPart> local;

    // Markers used only as interval bounds: a version that sorts above every
    // version sharing its epoch and release ("above 1.7 and all its post and
    // local releases"), or above every local variant of its public version.
    enum class Beyond : uint8_t { nothing, local_variants, release_family };
    Beyond beyond = Beyond::nothing;

    bool is_prerelease() const { return pre.has_value() || dev.has_value(); }
    bool is_postrelease() const { return post.has_value(); }
    bool has_local() const { return !local.empty(); }

    // Epoch and release only ("1!2.0" of "1!2.0rc1.post2+x").
    Version base() const;
    // Everything but the local label.
    Version public_version() const;

    // The normalised form ("1.0rc1.post2.dev3+ubuntu.1").
    std::string to_string() const;
};

std::strong_ordering operator<=>(const Version& a, const Version& b);
inline bool operator==(const Version& a, const Version& b) {
    return (a <=> b) == 0;
}

// Parses a version in any spelling PEP 440 accepts ("v1.0-RC.1", "1.0.post-2")
// and fails on anything else (legacy versions like "1.0-foo").
Result<Version> parse_version(std::string_view text);

enum class Operator {
    compatible,
    equal,
    not_equal,
    less_equal,
    greater_equal,
    less,
    greater,
    arbitrary
};

std::string_view to_string(Operator op);

class Specifier {
  public:
    Operator op = Operator::equal;
    std::string version_text;  // as written, without the operator (".*" included)
    Version version;           // parsed (unused for ===)
    bool wildcard = false;     // "==1.4.*" / "!=1.4.*"

    // Whether the specifier names a pre-release itself, which lets
    // pre-releases satisfy it (pip's default excludes them otherwise).
    bool allows_prereleases() const;

    // Exact membership, with pre-releases allowed or not.
    bool contains(const Version& candidate, bool prereleases) const;

    // The versions this specifier admits, as intervals. Pre-release
    // exclusions are ignored, so the set may be slightly larger than
    // `contains` says: callers use it only to ask "might a vulnerable
    // version be installed?", where erring larger is the safe side.
    VersionSet<Version> admitted() const;

    std::string to_string() const;
};

class SpecifierSet {
  public:
    std::vector<Specifier> specifiers;

    bool empty() const { return specifiers.empty(); }

    // pip's rule: pre-releases satisfy the set only if some specifier names one.
    bool contains(const Version& candidate) const;
    bool contains(const Version& candidate, bool prereleases) const;

    VersionSet<Version> admitted() const;

    // The single version the set pins, if it is "==V" (without wildcard) or "===V".
    std::optional<Version> pinned() const;

    std::string to_string() const;
};

// Parses a comma-separated specifier list ("~=1.4.2, !=1.4.5"); the empty
// string is the empty set (anything).
Result<SpecifierSet> parse_specifiers(std::string_view text);

}  // namespace hazmat::deps::pep440
