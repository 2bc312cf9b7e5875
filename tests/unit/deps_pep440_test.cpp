// PEP 440 versions and specifiers, checked against the ordering and the
// matching rules the standard spells out (and pip applies).

#include <gtest/gtest.h>

#include "scan/deps/pep440.hpp"

namespace hazmat::deps::pep440 {
namespace {

Version v(std::string_view text) {
    auto parsed = parse_version(text);
    if (!parsed)
        throw std::runtime_error(parsed.error().message);
    return *parsed;
}

SpecifierSet specs(std::string_view text) {
    auto parsed = parse_specifiers(text);
    if (!parsed)
        throw std::runtime_error(parsed.error().message);
    return *parsed;
}

TEST(Pep440, OrdersTheStandardsExampleSequence) {
    // The example ordering of PEP 440's "Summary of permitted suffixes".
    const std::vector<std::string> ordered = {
        "1.dev0",
        "1.0.dev456",
        "1.0a1",
        "1.0a2.dev456",
        "1.0a12.dev456",
        "1.0a12",
        "1.0b1.dev456",
        "1.0b2",
        "1.0b2.post345.dev456",
        "1.0b2.post345",
        "1.0rc1.dev456",
        "1.0rc1",
        "1.0",
        "1.0+abc.5",
        "1.0+abc.7",
        "1.0+5",
        "1.0.post456.dev34",
        "1.0.post456",
        "1.0.15",
        "1.1.dev1",
    };
    for (size_t i = 0; i + 1 < ordered.size(); ++i)
        EXPECT_LT(v(ordered[i]), v(ordered[i + 1])) << ordered[i] << " < " << ordered[i + 1];
}

TEST(Pep440, EpochOutranksRelease) {
    EXPECT_GT(v("1!0.1"), v("2024.10"));
    EXPECT_LT(v("0!9"), v("1!0"));
}

TEST(Pep440, TrailingZerosDoNotMatter) {
    EXPECT_EQ(v("1.0"), v("1.0.0.0"));
    EXPECT_EQ(v("1"), v("1.0"));
    EXPECT_LT(v("1.0"), v("1.0.0.1"));
}

TEST(Pep440, NormalisesAlternativeSpellings) {
    const std::pair<std::string_view, std::string_view> cases[] = {
        {"v1.0", "1.0"},
        {"1.0-RC1", "1.0rc1"},
        {"1.0.POST", "1.0.post0"},
        {"1.0-1", "1.0.post1"},
        {"1.0alpha", "1.0a0"},
        {"1.0.dev", "1.0.dev0"},
        {"1.0c1", "1.0rc1"},
        {"1.0-preview-2", "1.0rc2"},
        {"1.0+Ubuntu-1", "1.0+ubuntu.1"},
        {"01.02", "1.2"},
        {" 2.0 ", "2.0"},
        {"1.0.r4", "1.0.post4"},
        {"1.0a.post1", "1.0a0.post1"},
        {"1!2.0b3.dev4", "1!2.0b3.dev4"},
    };
    for (const auto& [written, normal] : cases)
        EXPECT_EQ(v(written).to_string(), normal) << written;
}

TEST(Pep440, RefusesLegacyAndMalformedVersions) {
    for (const std::string_view bad :
         {"", "1.0-foo", "french toast", "1.0.", "1..0", "1.0+", "1.0+_x", "1.0rc1-foo", "1.0 2",
          "99999999999999999999999"}) {
        EXPECT_FALSE(parse_version(bad)) << "'" << bad << "'";
    }
}

struct Case {
    std::string_view specifier;
    std::string_view version;
    bool matches;
};

TEST(Pep440, SpecifiersMatchAsPipDoes) {
    const Case cases[] = {
        {"~=2.0", "2.0", true},
        {"~=2.0", "2.9", true},
        {"~=2.0", "3.0", false},
        {"~=2.0", "1.9", false},
        {"~=2.0", "2.0.post1", true},
        {"~=1.4.5", "1.4.9", true},
        {"~=1.4.5", "1.5.0", false},
        {"~=1.4.5a4", "1.4.5a4", true},
        {"~=1.4.5a4", "1.4.5", true},
        {"~=1.4.5a4", "1.5", false},
        {"==2.0", "2.0.0", true},
        {"==2.0", "2.0+local", true},
        {"==2.0+local", "2.0", false},
        {"==2.0+local", "2.0+local", true},
        {"==2.*", "2.1", true},
        {"==2.*", "2.0", true},
        {"==2.*", "3.0", false},
        {"==2.0.*", "2", true},
        {"==2.*", "2.0rc1", false},
        {"!=2.0", "2.0", false},
        {"!=2.0", "2.0+local", false},
        {"!=2.0", "2.1", true},
        {"!=2.*", "2.1", false},
        {"!=2.*", "3.0", true},
        {"<2.0", "1.9", true},
        {"<2.0", "2.0", false},
        {"<2.0", "2.0rc1", false},
        {"<2.0rc2", "2.0rc1", true},
        {">2.0", "2.0.post1", false},
        {">2.0", "2.0+local", false},
        {">2.0", "2.0.1", true},
        {">2.0.post1", "2.0.post2", true},
        {"<=2.0", "2.0+local", true},
        {">=2.0", "2.0", true},
        {">=2.0", "1.9", false},
        {"===1.0", "1.0", true},
        {"===1.0", "1.0.0", false},
        {">=1!0", "2.0", false},
        {">=1!0", "1!0.1", true},
        {">=1.0,<2.0,!=1.5", "1.5", false},
        {">=1.0,<2.0,!=1.5", "1.6", true},
        {"", "1.0", true},
        {"", "1.0rc1", false},
        {">=1.0rc1", "1.0rc2", true},
        {"<=2.0", "1.0.dev1", false},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(specs(c.specifier).contains(v(c.version)), c.matches)
            << c.specifier << " vs " << c.version;
    }
}

TEST(Pep440, PrereleasesMatchWhenAskedFor) {
    EXPECT_TRUE(specs("<2.0").contains(v("1.9rc1"), true));
    EXPECT_FALSE(specs("<2.0").contains(v("2.0rc1"), true));
    EXPECT_TRUE(specs("==2.*").contains(v("2.0rc1"), true));
}

TEST(Pep440, RefusesMalformedSpecifiers) {
    for (const std::string_view bad : {"~=1", ">=1.0.*", ">=1.0+local", "==1.0+local.*", "foo",
                                       "=>1.0", ">=", "==1.0,", "== 1.0 2", "===a b"}) {
        EXPECT_FALSE(parse_specifiers(bad)) << bad;
    }
}

TEST(Pep440, PinnedOnlyForExactEquality) {
    EXPECT_EQ(specs("==1.2.3").pinned()->to_string(), "1.2.3");
    EXPECT_EQ(specs("===1.2.3").pinned()->to_string(), "1.2.3");
    EXPECT_FALSE(specs("==1.2.*").pinned());
    EXPECT_FALSE(specs(">=1.2.3").pinned());
}

// The intervals used for overlap questions may be wider than exact
// matching, never narrower: a version a specifier accepts is always inside.
TEST(Pep440, AdmittedIntervalsContainEveryMatchingVersion) {
    const std::vector<std::string_view> specifiers = {
        "~=2.0", "~=1.4.5a4", "==2.0",           "==2.0+local", "==2.*",      "!=2.0",   "!=2.*",
        "<2.0",  "<2.0rc2",   "<2.0.post1",      ">2.0",        ">2.0.post1", ">2.0rc1", "<=2.0",
        ">=2.0", "===2.0",    ">=1.0,<2.0,!=1.5"};
    const std::vector<std::string_view> versions = {
        "0.9",       "1.0",         "1.5",   "1.9rc1", "2.0.dev1", "2.0rc1", "2.0",  "2.0+local",
        "2.0.post1", "2.0.post1+x", "2.0.1", "2.1",    "2.9.9",    "3.0",    "1!0.1"};
    for (const auto specifier : specifiers) {
        const auto set = specs(specifier);
        const auto admitted = set.admitted();
        for (const auto version : versions) {
            if (set.contains(v(version), true)) {
                EXPECT_TRUE(contains(admitted, v(version))) << specifier << " vs " << version;
            }
        }
    }
}

TEST(Pep440, AdmittedIntervalsExcludeWhatIsOutside) {
    EXPECT_FALSE(contains(specs(">=1.13.1").admitted(), v("1.13.0")));
    EXPECT_FALSE(contains(specs("<1.13").admitted(), v("1.13.0")));
    EXPECT_FALSE(contains(specs(">2.0").admitted(), v("2.0.post3")));
    EXPECT_FALSE(contains(specs("~=2.2").admitted(), v("3.0.dev0")));
}

}  // namespace
}  // namespace hazmat::deps::pep440
