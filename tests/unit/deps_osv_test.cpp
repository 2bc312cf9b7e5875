// The OSV evaluation algorithm (introduced/fixed/last_affected/limit, the
// "0" origin, explicit versions) and range-versus-range questions.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "scan/deps/osv.hpp"

namespace hazmat::deps {
namespace {

OsvAffected affected(Ecosystem ecosystem, std::vector<std::vector<OsvEvent>> ranges,
                     std::vector<std::string> versions = {}) {
    OsvAffected entry;
    entry.ecosystem = ecosystem;
    entry.name = "pkg";
    for (auto& events : ranges)
        entry.ranges.push_back({true, std::move(events)});
    entry.versions = std::move(versions);
    return entry;
}

using K = OsvEvent::Kind;

bool hit(const OsvAffected& entry, std::string_view version) {
    return match_version(entry, version).affected;
}

pep440::SpecifierSet specs(std::string_view text) {
    return *pep440::parse_specifiers(text);
}

TEST(Osv, IntroducedZeroToFixed) {
    const auto entry = affected(Ecosystem::pypi, {{{K::introduced, "0"}, {K::fixed, "1.13.1"}}});
    EXPECT_TRUE(hit(entry, "0.1"));
    EXPECT_TRUE(hit(entry, "1.12.0"));
    EXPECT_TRUE(hit(entry, "1.13.1rc1"));
    EXPECT_FALSE(hit(entry, "1.13.1"));
    EXPECT_FALSE(hit(entry, "2.0"));
    EXPECT_EQ(match_version(entry, "1.12.0").fixed_in, std::vector<std::string>{"1.13.1"});
}

TEST(Osv, SeveralIntervalsInOneRange) {
    const auto entry = affected(
        Ecosystem::pypi,
        {{{K::introduced, "1.0"}, {K::fixed, "1.2"}, {K::introduced, "2.0"}, {K::fixed, "2.1"}}});
    EXPECT_FALSE(hit(entry, "0.9"));
    EXPECT_TRUE(hit(entry, "1.1"));
    EXPECT_FALSE(hit(entry, "1.5"));
    EXPECT_TRUE(hit(entry, "2.0"));
    EXPECT_FALSE(hit(entry, "2.1"));
}

TEST(Osv, EventsAreSortedBeforeTheyAreWalked) {
    const auto entry = affected(Ecosystem::pypi, {{{K::fixed, "1.2"}, {K::introduced, "1.0"}}});
    EXPECT_TRUE(hit(entry, "1.1"));
    EXPECT_FALSE(hit(entry, "1.2"));
    EXPECT_FALSE(hit(entry, "0.5"));
}

TEST(Osv, LastAffectedIncludesItsVersionOnly) {
    const auto entry =
        affected(Ecosystem::pypi, {{{K::introduced, "0"}, {K::last_affected, "2.1.214"}}});
    EXPECT_TRUE(hit(entry, "2.1.214"));
    EXPECT_FALSE(hit(entry, "2.1.214.post1"));
    EXPECT_FALSE(hit(entry, "2.1.215"));
}

TEST(Osv, LimitCapsTheRange) {
    const auto limited = affected(Ecosystem::npm, {{{K::introduced, "0"}, {K::limit, "2.0.0"}}});
    EXPECT_TRUE(hit(limited, "1.9.9"));
    EXPECT_FALSE(hit(limited, "2.0.0"));
    const auto unlimited = affected(Ecosystem::npm, {{{K::introduced, "0"}, {K::limit, "*"}}});
    EXPECT_TRUE(hit(unlimited, "7.0.0"));
    // Several limits: below any one of them suffices.
    const auto two = affected(
        Ecosystem::npm, {{{K::introduced, "1.0.0"}, {K::limit, "1.5.0"}, {K::limit, "3.0.0"}}});
    EXPECT_TRUE(hit(two, "2.0.0"));
    EXPECT_FALSE(hit(two, "3.0.0"));
}

TEST(Osv, ExplicitVersionsAreAffectedOutsideRanges) {
    const auto entry = affected(Ecosystem::pypi, {}, {"3.1.4", "legacy-1"});
    EXPECT_TRUE(hit(entry, "3.1.4"));
    EXPECT_TRUE(hit(entry, "3.1.4.0"));
    EXPECT_FALSE(hit(entry, "3.1.5"));
    // A version no scheme parses is still matched as written.
    EXPECT_TRUE(hit(entry, "legacy-1"));
}

TEST(Osv, SemverPrereleasesOrderBelowTheirRelease) {
    const auto entry =
        affected(Ecosystem::npm, {{{K::introduced, "2.0.0-beta.1"}, {K::fixed, "2.0.0"}}});
    EXPECT_TRUE(hit(entry, "2.0.0-rc.1"));
    EXPECT_FALSE(hit(entry, "2.0.0-alpha.9"));
    EXPECT_FALSE(hit(entry, "2.0.0"));
    EXPECT_FALSE(hit(entry, "1.9.0"));
}

TEST(Osv, UnreadableBoundErrsTowardsAffectedAndSaysSo) {
    const auto entry =
        affected(Ecosystem::pypi, {{{K::introduced, "1.0"}, {K::fixed, "2019-09-12"}}});
    const auto match = match_version(entry, "2.0");
    EXPECT_TRUE(match.affected);
    EXPECT_TRUE(match.incomplete);
    EXPECT_FALSE(hit(entry, "0.9"));
    const auto unreadable_start =
        affected(Ecosystem::pypi, {{{K::introduced, "legacy"}, {K::fixed, "3.0"}}});
    EXPECT_TRUE(hit(unreadable_start, "0.1"));
    EXPECT_FALSE(hit(unreadable_start, "3.0"));
}

TEST(Osv, RangeRequirementReportsTheAffectedPart) {
    const auto entry = affected(Ecosystem::pypi, {{{K::introduced, "0"}, {K::fixed, "1.13.1"}}});
    const auto open = match_specifiers(entry, specs(">=1.10"));
    EXPECT_TRUE(open.affected);
    EXPECT_EQ(open.affected_versions, ">=1.10, <1.13.1");
    EXPECT_FALSE(open.newest_admitted_affected);
    const auto capped = match_specifiers(entry, specs(">=1.10,<1.13"));
    EXPECT_TRUE(capped.affected);
    EXPECT_TRUE(capped.newest_admitted_affected);
    EXPECT_FALSE(match_specifiers(entry, specs(">=1.13.1")).affected);
    EXPECT_FALSE(match_specifiers(entry, specs("~=2.0")).affected);
    EXPECT_EQ(match_specifiers(entry, specs("")).affected_versions, "<1.13.1");
}

TEST(Osv, UnfixedAdvisoryAffectsTheNewestVersionOfAnOpenRange) {
    const auto entry = affected(Ecosystem::pypi, {{{K::introduced, "2.0"}}});
    const auto match = match_specifiers(entry, specs(">=1.0"));
    EXPECT_TRUE(match.affected);
    EXPECT_TRUE(match.newest_admitted_affected);
    EXPECT_EQ(match.affected_versions, ">=2.0");
}

TEST(Osv, ExplicitVersionsAnswerRangeRequirements) {
    const auto entry = affected(Ecosystem::pypi, {}, {"1.4.0", "1.4.1"});
    const auto match = match_specifiers(entry, specs("~=1.4.0"));
    EXPECT_TRUE(match.affected);
    EXPECT_EQ(match.affected_versions, "1.4.0, 1.4.1");
    EXPECT_FALSE(match_specifiers(entry, specs(">=1.5")).affected);
}

TEST(Osv, NpmRangeRequirement) {
    const auto entry = affected(Ecosystem::npm, {{{K::introduced, "0"}, {K::fixed, "4.17.21"}}});
    const auto match = match_npm_range(entry, *semver::parse_range("^4.17.0"));
    EXPECT_TRUE(match.affected);
    EXPECT_EQ(match.affected_versions, ">=4.17.0, <4.17.21");
    EXPECT_FALSE(match_npm_range(entry, *semver::parse_range("^4.17.21")).affected);
    EXPECT_TRUE(match_npm_range(entry, *semver::parse_range("4.17.20")).affected);
}

TEST(Osv, RecordParsingKeepsCheckedEcosystemsOnly) {
    const auto record = nlohmann::json::parse(R"({
      "id": "TEST-1", "modified": "2024-01-01T00:00:00Z", "aliases": ["CVE-2099-0001"],
      "summary": "first line\nsecond line",
      "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
      "affected": [
        {"package": {"ecosystem": "PyPI", "name": "Foo_Bar"},
         "ranges": [{"type": "GIT", "repo": "x", "events": [{"introduced": "0"}]},
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2"}]}]},
        {"package": {"ecosystem": "Go", "name": "example.invalid/x"}}]})");
    size_t skipped = 0;
    const auto advisory = parse_osv_record(record, &skipped);
    ASSERT_TRUE(advisory);
    EXPECT_EQ(advisory->id, "TEST-1");
    EXPECT_EQ(advisory->summary, "first line");
    EXPECT_EQ(advisory->severity, Severity::critical);
    ASSERT_EQ(advisory->affected.size(), 1u);
    EXPECT_EQ(advisory->affected[0].name, "foo-bar");
    EXPECT_EQ(advisory->affected[0].ranges.size(), 1u);
    EXPECT_EQ(skipped, 1u);
    EXPECT_FALSE(advisory->malicious());
}

TEST(Osv, Cvss3BaseScores) {
    EXPECT_EQ(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), 9.8);
    EXPECT_EQ(cvss3_base_score("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:N/A:N"), 6.8);
    EXPECT_EQ(cvss3_base_score("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H"), 5.5);
    EXPECT_EQ(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"), 0.0);
    EXPECT_FALSE(cvss3_base_score("CVSS:4.0/AV:N"));
    EXPECT_FALSE(cvss3_base_score("CVSS:3.1/AV:N/AC:L"));
}

}  // namespace
}  // namespace hazmat::deps

namespace hazmat::deps {
namespace {

// Range bounds of the shipped snapshot are PEP 440 versions, except two
// legacy ones that are evaluated conservatively (see above). A new snapshot
// with more of them should be looked at.
TEST(Osv, ShippedSnapshotHasOnlyTheKnownLegacyBounds) {
    std::ifstream in(std::string(HAZMAT_SOURCE_DIR) + "/data/osv-pypi.jsonl");
    ASSERT_TRUE(in);
    std::string line;
    std::vector<std::string> unreadable;
    size_t records = 0;
    while (std::getline(in, line)) {
        const auto advisory = parse_osv_record(nlohmann::json::parse(line));
        ASSERT_TRUE(advisory);
        ++records;
        for (const auto& entry : advisory->affected) {
            for (const auto& range : entry.ranges) {
                for (const auto& event : range.events) {
                    if (event.version != "0" && !pep440::parse_version(event.version))
                        unreadable.push_back(advisory->id + ": " + event.version);
                }
            }
        }
    }
    EXPECT_EQ(records, 2661u);
    std::sort(unreadable.begin(), unreadable.end());
    EXPECT_EQ(unreadable, (std::vector<std::string>{"PYSEC-2019-125: 2019-09-12",
                                                    "PYSEC-2021-371: 0.2.0-n653"}));
}

}  // namespace
}  // namespace hazmat::deps
