// The dependency analyzer end to end: fixture projects on disk scanned
// with the shipped data, checking rule, severity, file and line of every
// finding that matters for the attack each fixture imitates.

#include <gtest/gtest.h>

#include "core/archive/archive_analyzers.hpp"
#include "core/rule_ids.hpp"
#include "deps_test_support.hpp"
#include "scan/deps/dependency_rules.hpp"

namespace hazmat::deps {
namespace {

using namespace hazmat::deps::testing;

std::string in(const std::string& directory, const std::string& file) {
    return (fixture(directory) / file).string();
}

// Exactly one finding of `rule` at `file`:`line`.
const Finding& only(const std::vector<Finding>& findings, std::string_view rule,
                    const std::string& file, uint32_t line) {
    std::vector<const Finding*> matching;
    for (const auto& finding : findings) {
        if (finding.rule_id == rule && finding.location == at(file, line))
            matching.push_back(&finding);
    }
    if (matching.size() != 1)
        throw std::runtime_error(
            fmt::format("expected one {} at {}:{}, got {}", rule, file, line, matching.size()));
    return *matching.front();
}

size_t count(const std::vector<Finding>& findings, std::string_view rule) {
    return with_rule(findings, rule).size();
}

TEST(DependencyScan, PinnedVulnerableTorchAndPillowReportAdvisoriesWithAliases) {
    const auto findings = scan_path(fixture("vulnerable"));
    const auto file = in("vulnerable", "requirements.txt");
    const auto& torch = only(findings, rules::kDepVulnerable, file, 1);
    EXPECT_EQ(torch.severity, Severity::high);
    EXPECT_EQ(torch.message,
              "torch 1.12.0 is affected by PYSEC-2022-43015 (CVE-2022-45907); fixed in 1.13.1.");
    EXPECT_EQ(torch.evidence,
              std::vector<std::string>{
                  "PYSEC-2022-43015 (CVE-2022-45907): In PyTorch before trunk/89695, "
                  "torch.jit.annotations.parse_type_line can cause arbitrary code execution "
                  "because eval is used unsafely.; affected: 1.12.0; fixed in 1.13.1"});

    const auto& pillow = only(findings, rules::kDepVulnerable, file, 2);
    EXPECT_EQ(pillow.severity, Severity::high);
    EXPECT_TRUE(pillow.message.starts_with("Pillow 8.0.0 is affected by 26 known advisories ("))
        << pillow.message;
    EXPECT_TRUE(pillow.message.ends_with("upgrading to 10.0.1 or later fixes all of them."))
        << pillow.message;
    EXPECT_EQ(pillow.evidence.size(), 26u);
    // Each advisory with its CVE and GHSA aliases, e.g. the ImageMath.eval one.
    EXPECT_NE(std::find(pillow.evidence.begin(), pillow.evidence.end(),
                        "PYSEC-2022-10 (CVE-2022-22817, GHSA-8vj2-vxx3-667w): PIL.ImageMath.eval "
                        "in Pillow before 9.0.0 allows evaluation of arbitrary expressions, such "
                        "as ones that use the Python exec method.; affected: 8.0.0; fixed in "
                        "9.0.0"),
              pillow.evidence.end());
    EXPECT_EQ(findings.size(), 2u);
}

TEST(DependencyScan, TyposquatsModelledOnIncidentsAreCaught) {
    const auto findings = scan_path(fixture("typosquat"));
    const auto requirements = in("typosquat", "requirements.txt");
    const auto package_json = in("typosquat", "package.json");
    EXPECT_EQ(only(findings, rules::kDepLookalike, requirements, 1).severity, Severity::high);
    EXPECT_EQ(only(findings, rules::kDepTypo, requirements, 2).severity, Severity::high);
    EXPECT_EQ(only(findings, rules::kDepLookalike, package_json, 4).evidence.front(),
              "'crossenv' and 'cross-env' differ only in separators");
    EXPECT_EQ(only(findings, rules::kDepTypo, package_json, 5).evidence.front(),
              "'electorn' is 'electron' with two adjacent letters swapped");
    EXPECT_EQ(only(findings, rules::kDepScopeConfusion, package_json, 6).evidence.front(),
              "'@typescript_eslint/parser' puts 'parser' under the scope '@typescript_eslint' "
              "instead of '@typescript-eslint'");
    // react is the real thing.
    for (const auto& finding : findings)
        EXPECT_NE(finding.location, at(package_json, 7)) << finding.message;
}

TEST(DependencyScan, InternalNameWithAHighVersionNextToAnExtraIndex) {
    const auto findings = scan_path(fixture("confusion"));
    const auto file = in("confusion", "requirements.txt");
    const auto& merged = only(findings, rules::kDepExtraIndex, file, 2);
    EXPECT_EQ(merged.severity, Severity::high);
    EXPECT_EQ(merged.evidence,
              (std::vector<std::string>{
                  "index merged with the others: https://pypi.internal.invalid/simple",
                  "exposed: acme-internal-tools==99.0.0 (internal-looking name)",
                  "exposed: requests>=2.31 (no exact version)"}));
    EXPECT_EQ(only(findings, rules::kDepConfusionVersion, file, 3).message,
              "acme-internal-tools 99.0.0 has a version number typical of dependency-confusion "
              "uploads, and its name looks internal.");
    EXPECT_EQ(only(findings, rules::kDepCustomIndex, file, 2).severity, Severity::medium);
}

TEST(DependencyScan, WellKnownPackagesFromElsewhereAndInsecureIndexes) {
    const auto findings = scan_path(fixture("provenance"));
    const auto file = in("provenance", "requirements.txt");
    EXPECT_EQ(only(findings, rules::kDepInsecureIndex, file, 1).message,
              "Packages are fetched over plain HTTP from http://mirror.internal.invalid/simple.");
    EXPECT_EQ(only(findings, rules::kDepInsecureIndex, file, 2).message,
              "Certificate verification is turned off for mirror.internal.invalid.");
    EXPECT_EQ(only(findings, rules::kDepWellKnownElsewhere, file, 3).severity, Severity::high);
    EXPECT_EQ(only(findings, rules::kDepWellKnownElsewhere, file, 4).message,
              "'anthropic' (rank 272 among PyPI packages) is installed from a Git repository: "
              "git+https://github.com/someone-else/anthropic-sdk-python.git@main.");
    EXPECT_EQ(only(findings, rules::kDepGitWithoutCommit, file, 4).severity, Severity::low);
    EXPECT_EQ(only(findings, rules::kDepWellKnownElsewhere, file, 5).message,
              "'torch' (rank 330 among PyPI packages) is installed from a local path: "
              "./wheels/torch-2.0.0-cp311-cp311-linux_x86_64.whl.");
    // An unknown tool pinned to a commit is only noted.
    EXPECT_EQ(only(findings, rules::kDepDirectSource, file, 6).severity, Severity::low);
    EXPECT_EQ(count(findings, rules::kDepGitWithoutCommit), 1u);
}

TEST(DependencyScan, IncludesAreFollowedOnDiskButNotOutOfTheProject) {
    const auto findings = scan_path(fixture("includes"));
    const auto includer = in("includes", "requirements.txt");
    const auto base = in("includes", "reqs/base.txt");
    // The included file's entries are checked, at their own file and line.
    EXPECT_EQ(only(findings, rules::kDepTypo, base, 4).severity, Severity::high);
    EXPECT_EQ(only(findings, rules::kDepExtraIndex, base, 3).severity, Severity::high);
    EXPECT_EQ(only(findings, rules::kDepIncludeNotFollowed, includer, 2).message,
              fmt::format("'../outside.txt' is included here but was not examined as part of "
                          "this file: it lies outside {}.",
                          fixture("includes").string()));
    // The cycle back to requirements.txt is read once.
    EXPECT_EQ(count(findings, rules::kDepTypo), 1u);
}

TEST(DependencyScan, IncludeThroughASymlinkIsNotFollowed) {
    TempDir dir;
    std::ofstream(dir.path() / "real.txt") << "colourama\n";
    std::filesystem::create_symlink("real.txt", dir.path() / "linked.txt");
    std::ofstream(dir.path() / "requirements.txt") << "-r linked.txt\n";
    const auto findings = scan_path(dir.path() / "requirements.txt");
    const auto& skipped = only(findings, rules::kDepIncludeNotFollowed,
                               (dir.path() / "requirements.txt").string(), 1);
    EXPECT_TRUE(skipped.message.ends_with("it is reached through a symbolic link."))
        << skipped.message;
    EXPECT_EQ(count(findings, rules::kDepTypo), 0u);
}

TEST(DependencyScan, IncludedRequirementsFileWithItsOwnScanIsNotReportedTwice) {
    TempDir dir;
    std::ofstream(dir.path() / "requirements-dev.txt") << "-r requirements.txt\npytest\n";
    std::ofstream(dir.path() / "requirements.txt") << "colourama==0.1\n";
    const auto findings = scan_path(dir.path());
    EXPECT_EQ(count(findings, rules::kDepTypo), 1u);
    EXPECT_EQ(
        only(findings, rules::kDepTypo, (dir.path() / "requirements.txt").string(), 1).severity,
        Severity::high);
}

TEST(DependencyScan, LockfileAliasesInternalNamesMissingHashesAndMirrors) {
    const auto findings = scan_path(fixture("lockfiles"));
    const auto lock = in("lockfiles", "package-lock.json");
    EXPECT_EQ(only(findings, rules::kDepAlias, lock, 6).message,
              "'react' installs the package 'not-react-at-all' under the name 'react'.");
    EXPECT_EQ(only(findings, rules::kDepInternalName, lock, 12).message,
              "'corp-auth-internal' looks like an internal package, but it was downloaded from "
              "registry.npmjs.org.");
    EXPECT_EQ(only(findings, rules::kDepMissingHash, lock, 17).message,
              "left-pad@1.3.0 has no hash, while other entries of this file do.");
    EXPECT_EQ(only(findings, rules::kDepCustomIndex, lock, 21).message,
              "mirror-pkg@2.0.0 was downloaded from npm.mirror.invalid, not the public registry.");
    EXPECT_EQ(only(findings, rules::kDepVulnerable, in("lockfiles", "poetry.lock"), 2).severity,
              Severity::high);
    // Lockfiles pin by construction: no hygiene findings.
    EXPECT_EQ(count(findings, rules::kDepUnpinned), 0u);
}

TEST(DependencyScan, InstallCommandsInDocumentationNotebooksDockerfilesAndScripts) {
    const auto findings = scan_path(fixture("docs"));
    EXPECT_EQ(only(findings, rules::kDepTypo, in("docs", "README.md"), 3).severity, Severity::high);
    EXPECT_EQ(only(findings, rules::kDepVulnerable, in("docs", "README.md"), 6).severity,
              Severity::high);
    EXPECT_EQ(only(findings, rules::kDepLookalike, in("docs", "notebook.ipynb"), 7).severity,
              Severity::high);
    EXPECT_EQ(only(findings, rules::kDepTypo, in("docs", "setup.sh"), 2).severity, Severity::high);
    EXPECT_EQ(only(findings, rules::kDepCustomIndex, in("docs", "setup.sh"), 2).severity,
              Severity::medium);
    // A Dockerfile builds an image: an unpinned install there is hygiene;
    // documentation only shows commands, so it gets none.
    EXPECT_EQ(only(findings, rules::kDepUnpinned, in("docs", "Dockerfile"), 2).severity,
              Severity::low);
    EXPECT_EQ(count(findings, rules::kDepUnpinned), 2u);  // Dockerfile and setup.sh
}

TEST(DependencyScan, HygieneFindingsAreLow) {
    const auto findings = scan_path(fixture("hygiene"));
    const auto package_json = in("hygiene", "package.json");
    EXPECT_EQ(only(findings, rules::kDepWildcard, package_json, 3).severity, Severity::low);
    EXPECT_EQ(only(findings, rules::kDepWildcard, package_json, 4).severity, Severity::low);
    EXPECT_EQ(only(findings, rules::kDepGitWithoutCommit, package_json, 5).severity, Severity::low);
    EXPECT_EQ(count(findings, rules::kDepGitWithoutCommit), 1u);
    EXPECT_EQ(only(findings, rules::kDepUnpinned, in("hygiene", "requirements.txt"), 1).severity,
              Severity::low);
    EXPECT_EQ(count(findings, rules::kDepUnpinned), 1u);
    for (const auto& finding : findings)
        EXPECT_LE(finding.severity, Severity::low) << finding.message;
}

TEST(DependencyScan, ManifestInsideAnSdistIsRead) {
    std::vector<std::unique_ptr<Analyzer>> analyzers = archive_analyzers();
    analyzers.push_back(make_dependency_analyzer(shipped_data_pointer()));
    const Dispatcher dispatcher(std::move(analyzers));
    auto bytes = map_file(fixture("sdist/demo-1.0.tar.gz"));
    ASSERT_TRUE(bytes);
    Report report;
    scan_bytes(dispatcher, ScanLimits{}, std::move(bytes).value(), "demo-1.0.tar.gz", report);
    report.finish();
    const auto vulnerable = with_rule(report.findings(), rules::kDepVulnerable);
    ASSERT_EQ(vulnerable.size(), 1u);
    Location expected;
    expected.chain = {{LocationPart::Kind::file, "demo-1.0.tar.gz"},
                      {LocationPart::Kind::decompressed, "gzip"},
                      {LocationPart::Kind::member, "demo-1.0/requirements.txt"}};
    expected.line = 1;
    EXPECT_EQ(vulnerable[0]->location, expected);
    EXPECT_EQ(with_rule(report.findings(), rules::kDepTypo).size(), 1u);
}

TEST(DependencyScan, BinaryContentUnderAManifestNameIsUnverified) {
    TempDir dir;
    std::ofstream(dir.path() / "requirements.txt", std::ios::binary)
        << std::string("torch\0\x01\x02", 8);
    const auto findings = scan_path(dir.path());
    const auto& unverified =
        only(findings, rules::kScanUnparseable, (dir.path() / "requirements.txt").string(), 0);
    EXPECT_EQ(unverified.message,
              "'requirements.txt' is named like a dependency manifest but is not text; the "
              "dependencies it may declare were not checked.");
}

TEST(DependencyScan, UnreadableLinesAreUnverifiedWithTheirLine) {
    TempDir dir;
    std::ofstream(dir.path() / "requirements.txt") << "good==1.0\nbroken>=\n";
    const auto findings = scan_path(dir.path());
    const auto& unverified =
        only(findings, rules::kScanUnparseable, (dir.path() / "requirements.txt").string(), 2);
    EXPECT_EQ(unverified.severity, Severity::high);
    EXPECT_TRUE(
        unverified.message.starts_with("Part of this requirements file could not be read ("))
        << unverified.message;
}

// setup.py is read from its syntax tree: a typosquat in a list bound to a
// name, a vulnerable pin concatenated onto it and one in an extra are each
// reported at the line of the string that names them.
TEST(DependencyScan, SetupPyRequirementsAreReadWithoutRunningIt) {
    const auto findings = scan_path(fixture("setuppy"));
    const auto file = in("setuppy", "setup.py");
    const auto& typo = only(findings, rules::kDepTypo, file, 5);
    EXPECT_EQ(typo.severity, Severity::high);
    EXPECT_EQ(typo.message.substr(0, 33), "'reqeusts' resembles 'requests', ");
    const auto& torch = only(findings, rules::kDepVulnerable, file, 13);
    EXPECT_EQ(torch.severity, Severity::high);
    EXPECT_EQ(torch.message,
              "torch 1.12.0 is affected by PYSEC-2022-43015 (CVE-2022-45907); fixed in 1.13.1.");
    const auto& pillow = only(findings, rules::kDepVulnerable, file, 16);
    EXPECT_EQ(pillow.severity, Severity::high);
    EXPECT_TRUE(pillow.message.starts_with("Pillow 8.0.0 is affected by 26 known advisories ("))
        << pillow.message;
    EXPECT_EQ(count(findings, rules::kDepComputedRequirements), 0u);
    EXPECT_EQ(findings.size(), 3u);
}

// Requirements hidden behind a function call (here read from a file hazmat
// does not scan on its own) are not a silent pass.
TEST(DependencyScan, SetupPyWithComputedRequirementsIsNotSilentlyClean) {
    const auto findings = scan_path(fixture("setuppy-computed"));
    const auto& computed =
        only(findings, rules::kDepComputedRequirements, in("setuppy-computed", "setup.py"), 11);
    EXPECT_EQ(computed.severity, Severity::info);
    EXPECT_EQ(computed.message,
              "The dependencies of this setup.py are not all known without running it: setup() "
              "computes 'install_requires' when it runs; they were not checked.");
    EXPECT_EQ(findings.size(), 1u);
}

TEST(DependencyScan, SetupPyKeywordsFromADictionaryOrNoSetupCallAreUnverified) {
    TempDir dir;
    std::filesystem::create_directories(dir.path() / "splat");
    std::filesystem::create_directories(dir.path() / "wrapper");
    std::ofstream(dir.path() / "splat" / "setup.py")
        << "import setuptools\n\nsetuptools.setup(**CONFIG)\n";
    std::ofstream(dir.path() / "wrapper" / "setup.py")
        << "from skbuild import setup as build\n\nbuild(install_requires=['reqeusts'])\n";
    const auto findings = scan_path(dir.path());
    EXPECT_EQ(only(findings, rules::kDepComputedRequirements,
                   (dir.path() / "splat" / "setup.py").string(), 3)
                  .severity,
              Severity::info);
    const auto& wrapper = only(findings, rules::kDepComputedRequirements,
                               (dir.path() / "wrapper" / "setup.py").string(), 0);
    EXPECT_EQ(wrapper.message,
              "The dependencies of this setup.py are not all known without running it: no "
              "setuptools or distutils setup() call was found; they were not checked.");
    EXPECT_EQ(findings.size(), 2u);
}

// Packages fetched over plain HTTP can be swapped by anyone on the path:
// an index, a lockfile's recorded downloads and a direct archive URL.
TEST(DependencyScan, PlainHttpDownloadsInLockfilesAndRequirementsAreReported) {
    const auto findings = scan_path(fixture("plainhttp"));
    const auto& lock =
        only(findings, rules::kDepInsecureIndex, in("plainhttp", "package-lock.json"), 6);
    EXPECT_EQ(lock.severity, Severity::high);
    EXPECT_EQ(
        lock.message,
        "left-pad@1.3.0 and 1 more were downloaded over plain HTTP from registry.npmjs.org, 2 "
        "of them without a hash.");
    const auto& yarn = only(findings, rules::kDepInsecureIndex, in("plainhttp", "yarn.lock"), 5);
    EXPECT_EQ(yarn.severity, Severity::medium);
    EXPECT_EQ(yarn.message,
              "left-pad@1.3.0 was downloaded over plain HTTP from registry.yarnpkg.com; its "
              "recorded hash still guards the content.");
    const auto& pnpm =
        only(findings, rules::kDepInsecureIndex, in("plainhttp", "pnpm-lock.yaml"), 5);
    EXPECT_EQ(pnpm.message,
              "left-pad@1.3.0 was downloaded over plain HTTP from npm.mirror.invalid; its "
              "recorded hash still guards the content.");
    const auto requirements = in("plainhttp", "requirements.txt");
    EXPECT_EQ(only(findings, rules::kDepInsecureIndex, requirements, 1).message,
              "Packages are fetched over plain HTTP from http://pypi.mirror.invalid/simple.");
    const auto& archive = only(findings, rules::kDepInsecureIndex, requirements, 3);
    EXPECT_EQ(archive.severity, Severity::high);
    EXPECT_EQ(
        archive.message,
        "'helper' is downloaded over plain HTTP: http://files.mirror.invalid/helper-1.0.tar.gz.");
    EXPECT_EQ(count(findings, rules::kDepInsecureIndex), 5u);
    // A plain-HTTP host is reported as insecure, not also as a custom registry.
    EXPECT_EQ(count(findings, rules::kDepCustomIndex), 0u);
}

}  // namespace
}  // namespace hazmat::deps
