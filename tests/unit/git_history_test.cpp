// Git history as a source of blobs. The repositories are built in each test
// with the git command, a fixed author and date, and no user configuration.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "core/scanner.hpp"
#include "scan/analyzers.hpp"
#include "scan/secrets/validators.hpp"
#include "secrets_test_support.hpp"

namespace hazmat {
namespace {

namespace fs = std::filesystem;

std::string github_token(std::string_view body) {
    return "ghp_" + std::string(body) + secrets::github_checksum(body);
}

class GitRepository {
  public:
    GitRepository() {
        char pattern[] = "/tmp/hazmat-git-XXXXXX";
        root_ = mkdtemp(pattern);
        git("init -q -b main .");
    }
    ~GitRepository() { fs::remove_all(root_); }

    const fs::path& root() const { return root_; }

    void git(const std::string& arguments) const {
        const auto command = "cd '" + root_.string() +
                             "' && HOME=/nonexistent GIT_CONFIG_NOSYSTEM=1 "
                             "GIT_CONFIG_GLOBAL=/dev/null GIT_AUTHOR_NAME=fixture "
                             "GIT_AUTHOR_EMAIL=fixture@example.invalid GIT_COMMITTER_NAME=fixture "
                             "GIT_COMMITTER_EMAIL=fixture@example.invalid "
                             "GIT_AUTHOR_DATE='2024-03-04T05:06:07Z' "
                             "GIT_COMMITTER_DATE='2024-03-04T05:06:07Z' git " +
                             arguments + " >/dev/null 2>&1";
        // A failing step (a merge conflict) is expected in some tests.
        [[maybe_unused]] const int status = std::system(command.c_str());
    }

    std::string rev(const std::string& name) const {
        const auto out = root_ / ".rev";
        const auto command = "cd '" + root_.string() + "' && git rev-parse " + name + " > .rev";
        [[maybe_unused]] const int status = std::system(command.c_str());
        std::ifstream in(out);
        std::string sha;
        in >> sha;
        fs::remove(out);
        return sha;
    }

    void write(const std::string& path, const std::string& text) const {
        std::ofstream(root_ / path, std::ios::binary) << text;
    }

  private:
    fs::path root_;
};

const Dispatcher& history_dispatcher() {
    static const auto dispatcher = [] {
        auto built =
            build_history_dispatcher(AnalyzerOptions{DataDir{HAZMAT_BUILD_DATA_DIR}, {}, {}, {}});
        if (!built)
            std::abort();
        return std::move(*built);
    }();
    return *dispatcher;
}

std::vector<Finding> scan_repository(const fs::path& root, bool all_objects = false) {
    Scanner scanner(testing::secrets_dispatcher(), ScanLimits{}, 1);
    GitHistoryOptions options;
    options.all_objects = all_objects;
    scanner.enable_history(history_dispatcher(), options);
    Report report;
    scanner.scan(root, report);
    report.finish();
    std::vector<Finding> out;
    for (const auto& finding : report.findings()) {
        if (finding.rule_id == "HZ-SEC-160")
            out.push_back(finding);
    }
    return out;
}

bool has_evidence(const Finding& finding, std::string_view text) {
    return std::any_of(
        finding.evidence.begin(), finding.evidence.end(),
        [&](const std::string& line) { return line.find(text) != std::string::npos; });
}

const LocationPart* part(const Finding& finding, LocationPart::Kind kind) {
    for (const auto& hop : finding.location.chain) {
        if (hop.kind == kind)
            return &hop;
    }
    return nullptr;
}

TEST(GitHistory, KeyOnlyInMergeResolutionIsFound) {
    GitRepository repo;
    repo.write("config.py", "token = None\n");
    repo.git("add config.py");
    repo.git("commit -q -m base");
    repo.git("checkout -q -b feature");
    repo.write("config.py", "token = 'from-feature'\n");
    repo.git("commit -q -am feature");
    repo.git("checkout -q main");
    repo.write("config.py", "token = 'from-main'\n");
    repo.git("commit -q -am main");
    repo.git("merge -q feature");  // conflicts
    const auto token = github_token("Mg9vT4kQ2rLx7BnW5cJ8pYd3Fs6Hz1");
    repo.write("config.py", "token = '" + token + "'\n");
    repo.git("commit -q -am merge");
    const auto merge = repo.rev("HEAD");
    ASSERT_EQ(merge.size(), 40u);
    // Not in the working tree: only history can show it.
    repo.write("config.py", "token = None\n");

    const auto found = scan_repository(repo.root());
    ASSERT_EQ(found.size(), 1u);
    const auto* commit = part(found[0], LocationPart::Kind::commit);
    ASSERT_NE(commit, nullptr);
    EXPECT_EQ(commit->name, merge);
    EXPECT_EQ(found[0].location.chain.front().name, repo.root().string() + "/.git");
    EXPECT_EQ(found[0].location.chain.back().name, "config.py");
    EXPECT_EQ(found[0].location.line, 1u);
    EXPECT_EQ(found[0].location.column, 10u);
    EXPECT_TRUE(has_evidence(found[0], "first committed in " + merge +
                                           " (author date 2024-03-04 05:06:07 UTC) at config.py"));
    EXPECT_TRUE(has_evidence(found[0], "still present at HEAD in config.py"));
}

TEST(GitHistory, KeyCommittedAndInTheWorkingTreeIsReportedOnce) {
    GitRepository repo;
    const auto token = github_token("Wq3nR8vK2mTx6BpL9cJ4hYd7Fs1Gz5");
    repo.write("settings.py", "token = '" + token + "'\n");
    repo.git("add settings.py");
    repo.git("commit -q -m settings");

    // The working tree holds the committed version: one finding, from it.
    auto found = scan_repository(repo.root());
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(part(found[0], LocationPart::Kind::commit), nullptr);
    EXPECT_EQ(found[0].location.chain.back().name, (repo.root() / "settings.py").string());

    // An uncommitted edit removed it: history is now the only place.
    repo.write("settings.py", "token = None\n");
    found = scan_repository(repo.root());
    ASSERT_EQ(found.size(), 1u);
    EXPECT_NE(part(found[0], LocationPart::Kind::commit), nullptr);
    EXPECT_TRUE(has_evidence(found[0], "still present at HEAD in settings.py"));
}

TEST(GitHistory, GitFilePointingElsewhereIsReportedNotSkipped) {
    GitRepository repo;
    fs::remove_all(repo.root() / ".git");
    repo.write(".git", "gitdir: /somewhere/else/.git/worktrees/x\n");
    Scanner scanner(testing::secrets_dispatcher(), ScanLimits{}, 1);
    scanner.enable_history(history_dispatcher(), GitHistoryOptions{});
    Report report;
    scanner.scan(repo.root(), report);
    report.finish();
    const auto& findings = report.findings();
    const auto it = std::find_if(findings.begin(), findings.end(), [](const Finding& f) {
        return f.rule_id == "HZ-SCAN-005" &&
               f.message.find("not a directory but a pointer") != std::string::npos;
    });
    ASSERT_NE(it, findings.end());
    EXPECT_EQ(it->severity, Severity::high);
}

TEST(GitHistory, KeyCommittedThenDeletedIsReportedOnceAsGoneFromHead) {
    GitRepository repo;
    const auto token = github_token("Pq3wE8rT5yU2iO9pA4sD7fG1hJ6kL0");
    repo.write("secret.env", "GITHUB_TOKEN=" + token + "\n");
    repo.git("add secret.env");
    repo.git("commit -q -m add");
    const auto added = repo.rev("HEAD");
    repo.write("secret.env", "# moved\nGITHUB_TOKEN=" + token + "\n");
    repo.git("commit -q -am edit");
    repo.git("rm -q secret.env");
    repo.git("commit -q -m remove");

    const auto found = scan_repository(repo.root());
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(part(found[0], LocationPart::Kind::commit)->name, added);
    EXPECT_TRUE(has_evidence(found[0], "no longer present at HEAD in secret.env"));
    EXPECT_TRUE(has_evidence(found[0], "found in 2 versions of the file"));
}

TEST(GitHistory, AmendedAwayCommitNeedsAllObjects) {
    GitRepository repo;
    const auto token = github_token("Zx4cV7bN2mQ9wE5rT8yU3iO6pA1sD0");
    repo.write("a.txt", token + "\n");
    repo.git("add a.txt");
    repo.git("commit -q -m first");
    repo.write("a.txt", "clean\n");
    repo.git("commit -q --amend -am first");

    EXPECT_TRUE(scan_repository(repo.root()).empty());
    const auto found = scan_repository(repo.root(), /*all_objects=*/true);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_NE(part(found[0], LocationPart::Kind::commit), nullptr);
}

TEST(GitHistory, ConfigIncludingOtherFilesIsNotOpened) {
    GitRepository repo;
    repo.write("a.txt", "x\n");
    repo.git("add a.txt");
    repo.git("commit -q -m first");
    std::ofstream(repo.root() / ".git" / "config", std::ios::app)
        << "[include]\n\tpath = /etc/hostname\n";
    Scanner scanner(testing::secrets_dispatcher(), ScanLimits{}, 1);
    scanner.enable_history(history_dispatcher(), {});
    Report report;
    scanner.scan(repo.root(), report);
    const auto& findings = report.findings();
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].rule_id, "HZ-SCAN-005");
    EXPECT_EQ(findings[0].severity, Severity::high);
}

TEST(GitHistory, HooksAreNeverRun) {
    GitRepository repo;
    const auto marker = repo.root() / "hook-ran";
    repo.write("a.txt", "x\n");
    repo.git("add a.txt");
    repo.git("commit -q -m first");
    for (const auto* hook :
         {"post-checkout", "pre-commit", "post-merge", "reference-transaction"}) {
        const auto path = repo.root() / ".git" / "hooks" / hook;
        std::ofstream(path) << "#!/bin/sh\ntouch '" << marker.string() << "'\n";
        fs::permissions(path, fs::perms::owner_all);
    }
    scan_repository(repo.root(), true);
    EXPECT_FALSE(fs::exists(marker));
}

}  // namespace
}  // namespace hazmat
