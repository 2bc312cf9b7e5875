// npm versions and ranges, checked against SemVer 2.0.0's precedence rules
// and the range semantics of the `semver` package npm uses.

#include <gtest/gtest.h>

#include "scan/deps/semver.hpp"

namespace hazmat::deps::semver {
namespace {

Version v(std::string_view text) {
    auto parsed = parse_version(text);
    if (!parsed)
        throw std::runtime_error(parsed.error().message);
    return *parsed;
}

Range r(std::string_view text) {
    auto parsed = parse_range(text);
    if (!parsed)
        throw std::runtime_error(parsed.error().message);
    return *parsed;
}

TEST(Semver, OrdersTheSpecificationsExampleSequence) {
    // SemVer 2.0.0, section 11.
    const std::vector<std::string_view> ordered = {
        "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
        "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
        "1.0.0-rc.1",  "1.0.0",         "1.0.1",
        "1.1.0",       "2.0.0"};
    for (size_t i = 0; i + 1 < ordered.size(); ++i)
        EXPECT_LT(v(ordered[i]), v(ordered[i + 1])) << ordered[i] << " < " << ordered[i + 1];
}

TEST(Semver, BuildMetadataDoesNotOrder) {
    EXPECT_EQ(v("1.0.0+build.1"), v("1.0.0+build.2"));
    EXPECT_EQ(v("1.0.0+build.1").to_string(), "1.0.0+build.1");
    EXPECT_EQ(v("v1.2.3").to_string(), "1.2.3");
}

TEST(Semver, RefusesMalformedVersions) {
    for (const std::string_view bad :
         {"1.0", "01.0.0", "1.0.0-01", "1.0.0-", "1.0.0+", "a.b.c", "1.0.0.0", "1.0.0-a..b", ""}) {
        EXPECT_FALSE(parse_version(bad)) << "'" << bad << "'";
    }
}

struct Case {
    std::string_view range;
    std::string_view version;
    bool satisfies;
};

TEST(Semver, RangesMatchAsNpmDoes) {
    const Case cases[] = {
        {"^1.2.3", "1.2.3", true},
        {"^1.2.3", "1.9.9", true},
        {"^1.2.3", "2.0.0", false},
        {"^1.2.3", "1.2.2", false},
        {"^1.2.3", "1.3.0-beta", false},
        {"^0.2.3", "0.2.9", true},
        {"^0.2.3", "0.3.0", false},
        {"^0.0.3", "0.0.3", true},
        {"^0.0.3", "0.0.4", false},
        {"^1.2.3-beta.2", "1.2.3-beta.4", true},
        {"^1.2.3-beta.2", "1.2.4-beta.2", false},
        {"^1.2.3-beta.2", "1.2.3", true},
        {"^0.x", "0.9.0", true},
        {"^0.x", "1.0.0", false},
        {"~1.2.3", "1.2.9", true},
        {"~1.2.3", "1.3.0", false},
        {"~1.2", "1.2.0", true},
        {"~1.2", "1.3.0", false},
        {"~1", "1.9.0", true},
        {"~1", "2.0.0", false},
        {"~>1.2", "1.2.5", true},
        {"1.x", "1.0.0", true},
        {"1.x", "1.9.9", true},
        {"1.x", "2.0.0", false},
        {"1.2.x", "1.2.9", true},
        {"1.2.x", "1.3.0", false},
        {"*", "9.9.9", true},
        {"*", "1.0.0-beta", false},
        {"", "1.0.0", true},
        {"1.2.3 - 2.3.4", "1.2.3", true},
        {"1.2.3 - 2.3.4", "2.3.4", true},
        {"1.2.3 - 2.3.4", "2.3.5", false},
        {"1.2 - 2.3", "2.3.9", true},
        {"1.2 - 2.3", "2.4.0", false},
        {">=1.0.0 <2.0.0 || >=3.0.0", "1.5.0", true},
        {">=1.0.0 <2.0.0 || >=3.0.0", "2.5.0", false},
        {">=1.0.0 <2.0.0 || >=3.0.0", "3.1.0", true},
        {">1.2", "1.2.9", false},
        {">1.2", "1.3.0", true},
        {"<1.2", "1.1.9", true},
        {"<1.2", "1.2.0", false},
        {"<=1.2", "1.2.9", true},
        {"=1.2.3", "1.2.3", true},
        {">= 1.2.3", "1.2.3", true},
        {"1.2.3", "1.2.4", false},
        {"<2.0.0", "2.0.0-rc.1", false},
        {">1.x", "2.0.0", true},
        {">1.x", "1.9.0", false},
        {"<1.x", "0.9.0", true},
    };
    for (const auto& c : cases)
        EXPECT_EQ(r(c.range).satisfies(v(c.version)), c.satisfies)
            << c.range << " vs " << c.version;
}

TEST(Semver, PrereleasesMatchAnyRangeWhenIncluded) {
    EXPECT_TRUE(r("<2.0.0").satisfies(v("2.0.0-rc.1"), true));
    EXPECT_TRUE(r("^1.2.3").satisfies(v("1.3.0-beta"), true));
}

TEST(Semver, RefusesWhatIsNotARange) {
    for (const std::string_view bad : {"latest", "github:user/repo", "1.2.3a", ">=", "1.2.3.4",
                                       "user/repo", "https://example.invalid/x.tgz"}) {
        EXPECT_FALSE(parse_range(bad)) << bad;
    }
}

TEST(Semver, PinnedOnlyForOneExactVersion) {
    EXPECT_EQ(r("1.2.3").pinned()->to_string(), "1.2.3");
    EXPECT_EQ(r("=1.2.3").pinned()->to_string(), "1.2.3");
    EXPECT_FALSE(r("1.2").pinned());
    EXPECT_FALSE(r("^1.2.3").pinned());
}

TEST(Semver, AdmittedIntervalsFollowTheComparators) {
    const auto admitted = r("^4.17.0").admitted();
    EXPECT_TRUE(contains(admitted, v("4.17.20")));
    EXPECT_FALSE(contains(admitted, v("5.0.0")));
    EXPECT_FALSE(contains(admitted, v("4.16.9")));
    const auto above_two = r(">2").admitted();
    EXPECT_TRUE(contains(above_two, v("3.0.0")));
    EXPECT_FALSE(contains(above_two, v("2.5.0")));
    const auto either = r("<1.0.0 || >=3.0.0").admitted();
    EXPECT_TRUE(contains(either, v("0.5.0")));
    EXPECT_FALSE(contains(either, v("2.0.0")));
    EXPECT_TRUE(contains(either, v("3.0.0")));
}

}  // namespace
}  // namespace hazmat::deps::semver
