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

// npm package versions (SemVer 2.0.0) and npm's range syntax with the
// semantics of the `semver` package npm itself uses: `^`, `~`, x-ranges,
// hyphen ranges, `||`, and the rule that a pre-release only satisfies a
// range whose comparators name a pre-release of the same major.minor.patch.
namespace hazmat::deps::semver {

struct Version {
    // Numeric identifiers compare as numbers and sort below alphanumeric ones.
    using Identifier = std::variant<uint64_t, std::string>;

    uint64_t major = 0;
    uint64_t minor = 0;
    uint64_t patch = 0;
    std::vector<Identifier> prerelease;
    std::string build;  // ignored by precedence

    bool is_prerelease() const { return !prerelease.empty(); }
    bool same_release(const Version& other) const {
        return major == other.major && minor == other.minor && patch == other.patch;
    }
    std::string to_string() const;
};

// Precedence as SemVer 2.0.0 section 11 defines it (build metadata ignored).
std::strong_ordering operator<=>(const Version& a, const Version& b);
inline bool operator==(const Version& a, const Version& b) {
    return (a <=> b) == 0;
}

// A full version, "1.2.3-beta.1+build"; a leading "v" or "=" is accepted as
// npm accepts it.
Result<Version> parse_version(std::string_view text);

struct Comparator {
    enum class Op { equal, less, less_equal, greater, greater_equal };
    Op op = Op::equal;
    Version version;

    bool matches(const Version& candidate) const;
    std::string to_string() const;
};

// Comparators that must all hold; an empty set matches every version.
struct ComparatorSet {
    std::vector<Comparator> comparators;
    // "<0.0.0-0": a set that nothing satisfies (">2" with major x, say).
    bool matches_nothing = false;
};

class Range {
  public:
    std::vector<ComparatorSet> alternatives;  // joined by ||

    bool satisfies(const Version& candidate, bool include_prerelease = false) const;
    VersionSet<Version> admitted() const;
    // The version the range pins ("1.2.3" or "=1.2.3"), if it is exactly one.
    std::optional<Version> pinned() const;
    std::string to_string() const;
};

// Parses an npm range ("^1.2.3 || ~2.0", "1.x", ">=1.0.0 <2", "1.2 - 1.4",
// "*", ""). Fails on what npm would treat as a dist-tag or URL.
Result<Range> parse_range(std::string_view text);

}  // namespace hazmat::deps::semver
