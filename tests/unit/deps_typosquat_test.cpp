// Look-alike names, modelled on public typosquatting incidents, against the
// shipped popular-package lists; and the popular packages themselves,
// which must never be flagged.

#include <gtest/gtest.h>

#include "deps_test_support.hpp"
#include "scan/deps/dependency_rules.hpp"
#include "scan/deps/parsers.hpp"
#include "scan/deps/requirements_file.hpp"

namespace hazmat::deps {
namespace {

using namespace hazmat::deps::testing;

struct Expected {
    std::string_view name;
    LookalikeKind kind;
    std::string_view popular;
};

void expect_lookalikes(Ecosystem ecosystem, std::initializer_list<Expected> cases) {
    for (const auto& c : cases) {
        const auto found = popular(ecosystem).lookalike(c.name);
        ASSERT_TRUE(found) << c.name;
        EXPECT_EQ(found->kind, c.kind) << c.name << ": " << found->detail;
        EXPECT_EQ(found->popular, c.popular) << c.name;
    }
}

TEST(Typosquat, PythonIncidentsAreCaught) {
    expect_lookalikes(Ecosystem::pypi,
                      {
                          // A capital I for a lower-case l ("jeIlyfish", 2019).
                          {"jeIlyfish", LookalikeKind::confusable, "jellyfish"},
                          // One letter off a colour library ("colourama", 2018).
                          {"colourama", LookalikeKind::typo, "colorama"},
                          {"reqeusts", LookalikeKind::swap, "requests"},
                          {"rnatplotlib", LookalikeKind::confusable, "matplotlib"},
                          {"r\xD0\xB5quests", LookalikeKind::confusable, "requests"},  // Cyrillic e
                          {"urlIib3", LookalikeKind::confusable, "urllib3"},
                          {"pythondateutil", LookalikeKind::separators, "python-dateutil"},
                          {"python-requests", LookalikeKind::combosquat, "requests"},
                          {"requests2", LookalikeKind::combosquat, "requests"},
                          {"matplotlib-py", LookalikeKind::combosquat, "matplotlib"},
                          {"dateutil-python", LookalikeKind::word_order, "python-dateutil"},
                      });
}

TEST(Typosquat, NpmIncidentsAreCaught) {
    expect_lookalikes(
        Ecosystem::npm,
        {
            // "crossenv" for "cross-env" (2017).
            {"crossenv", LookalikeKind::separators, "cross-env"},
            {"electorn", LookalikeKind::swap, "electron"},
            {"colours", LookalikeKind::typo, "colors"},
            {"lodash_es", LookalikeKind::separators, "lodash-es"},
            {"@typescript_eslint/parser", LookalikeKind::scope, "@typescript-eslint/parser"},
            {"@typescrpt-eslint/parser", LookalikeKind::scope, "@typescript-eslint/parser"},
            {"lodashjs", LookalikeKind::combosquat, "lodash"},
        });
}

TEST(Typosquat, ShortAndUnrelatedNamesAreLeftAlone) {
    for (const std::string_view name : {"sxi", "abc", "my-own-project-name", "zz", "numpy2d-tools"})
        EXPECT_FALSE(popular(Ecosystem::pypi).lookalike(name)) << name;
    // Same project under PEP 503 rules: case and separators do not matter.
    for (const std::string_view name : {"Python_Dateutil", "PyYAML", "typing.extensions"})
        EXPECT_FALSE(popular(Ecosystem::pypi).lookalike(name)) << name;
}

TEST(Typosquat, PopularPackagesResemblingEachOtherAreNotFlagged) {
    // Both are on the list: each is established in its own right.
    EXPECT_TRUE(popular(Ecosystem::pypi).rank("pyaml"));
    EXPECT_TRUE(popular(Ecosystem::pypi).rank("pyyaml"));
    EXPECT_FALSE(popular(Ecosystem::pypi).lookalike("pyaml"));
    EXPECT_FALSE(popular(Ecosystem::npm).lookalike("babel-core"));
}

std::vector<const Finding*> name_findings(const std::vector<Finding>& findings) {
    std::vector<const Finding*> matching;
    for (const auto& finding : findings) {
        if (finding.rule_id == rules::kDepTypo || finding.rule_id == rules::kDepLookalike ||
            finding.rule_id == rules::kDepCombosquat ||
            finding.rule_id == rules::kDepScopeConfusion)
            matching.push_back(&finding);
    }
    return matching;
}

TEST(Typosquat, FiveHundredMostPopularPythonPackagesRaiseNothing) {
    std::string requirements;
    const auto& names = popular(Ecosystem::pypi).names();
    for (size_t i = 0; i < 500; ++i)
        requirements += names[i] + "\n";
    const auto manifest = parse_requirements(requirements, "requirements.txt");
    ASSERT_EQ(manifest.dependencies.size(), 500u);
    const auto findings = check(manifest, "requirements.txt");
    EXPECT_TRUE(name_findings(findings).empty()) << name_findings(findings).front()->message;
}

TEST(Typosquat, FiveHundredMostPopularNpmPackagesRaiseNothing) {
    std::string package_json = "{\"dependencies\": {";
    const auto& names = popular(Ecosystem::npm).names();
    for (size_t i = 0; i < 500; ++i)
        package_json += fmt::format("{}\"{}\": \"^1.0.0\"", i == 0 ? "" : ",", names[i]);
    package_json += "}}";
    const auto manifest = parse_package_json(package_json);
    ASSERT_EQ(manifest.dependencies.size(), 500u);
    const auto findings = check(manifest, "package.json");
    EXPECT_TRUE(name_findings(findings).empty()) << name_findings(findings).front()->message;
}

TEST(Typosquat, FindingNamesThePopularPackageAndItsRank) {
    const auto findings =
        check(parse_requirements("jeIlyfish==0.6.1\n", "requirements.txt"), "requirements.txt");
    const auto found = with_rule(findings, rules::kDepLookalike);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0]->severity, Severity::high);
    EXPECT_EQ(found[0]->location, at("requirements.txt", 1));
    EXPECT_EQ(found[0]->message,
              "'jeIlyfish' resembles 'jellyfish', one of the most downloaded PyPI packages (rank "
              "1240), but is a different package.");
    EXPECT_EQ(found[0]->evidence,
              (std::vector<std::string>{
                  "'jeIlyfish' renders like 'jellyfish' (look-alike characters)",
                  "'jeIlyfish' is not among the 10000 most downloaded PyPI packages"}));
}

}  // namespace
}  // namespace hazmat::deps
