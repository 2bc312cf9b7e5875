#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sandbox/workspace_apply.hpp"
#include "sandbox/workspace_diff.hpp"

namespace hazmat::sandbox {
namespace {

namespace fs = std::filesystem;

class WorkspaceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "hazmat-ws-XXXXXX").string();
        root_ = mkdtemp(pattern.data());
        upper_ = root_ / "upper";
        lower_ = root_ / "lower";
        fs::create_directories(upper_);
        fs::create_directories(lower_);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }
    static void write(const fs::path& path, std::string_view content) {
        fs::create_directories(path.parent_path());
        std::ofstream(path) << content;
    }
    static std::string read(const fs::path& path) {
        std::ifstream in(path);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }
    void whiteout(const std::string& name) {
        ASSERT_EQ(mknod((upper_ / name).c_str(), S_IFCHR | 0600, makedev(0, 0)), 0)
            << std::strerror(errno);
    }
    Result<WorkspaceDiff> diff() { return diff_workspace(upper_, lower_); }
    const WorkspaceChange* change(const WorkspaceDiff& d, std::string_view path) {
        for (const auto& c : d.changes) {
            if (c.path == path)
                return &c;
        }
        return nullptr;
    }

    fs::path root_, upper_, lower_;
};

TEST_F(WorkspaceTest, ListsAddedModifiedAndDeletedEntries) {
    write(lower_ / "keep.txt", "same");
    write(lower_ / "edit.txt", "old");
    write(lower_ / "gone.txt", "bye");
    write(upper_ / "keep.txt", "same");  // copied up, unchanged
    write(upper_ / "edit.txt", "new");
    write(upper_ / "out/model.json", "{}");
    whiteout("gone.txt");
    const auto d = diff();
    ASSERT_TRUE(d.ok()) << d.error().message;
    ASSERT_EQ(d->changes.size(), 4u);
    EXPECT_EQ(change(*d, "edit.txt")->kind, ChangeKind::modified);
    EXPECT_EQ(change(*d, "gone.txt")->kind, ChangeKind::deleted);
    EXPECT_EQ(change(*d, "out")->type, EntryType::directory);
    EXPECT_EQ(change(*d, "out/model.json")->kind, ChangeKind::added);
    EXPECT_EQ(change(*d, "keep.txt"), nullptr);
}

TEST_F(WorkspaceTest, OpaqueDirectoryDeletesWhatItHides) {
    write(lower_ / "data/a.csv", "1");
    write(lower_ / "data/b.csv", "2");
    write(upper_ / "data/b.csv", "3");
    ASSERT_EQ(setxattr((upper_ / "data").c_str(), "user.overlay.opaque", "y", 1, 0), 0)
        << std::strerror(errno);
    const auto d = diff();
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(change(*d, "data/a.csv")->kind, ChangeKind::deleted);
    EXPECT_EQ(change(*d, "data/b.csv")->kind, ChangeKind::modified);
}

TEST_F(WorkspaceTest, FlagsFilesThatRunCodeLater) {
    write(upper_ / ".git/hooks/post-checkout", "#!/bin/sh\n");
    write(upper_ / ".git/hooks/pre-commit.sample", "#!/bin/sh\n");
    write(upper_ / ".vscode/tasks.json", "{}");
    write(upper_ / "evil.pth", "import os");
    write(upper_ / "package.json", R"({"scripts": {"postinstall": "node x"}})");
    write(upper_ / ".envrc", "export X=1");
    write(upper_ / "tool", "#!/bin/sh\n");
    fs::permissions(upper_ / "tool", fs::perms::owner_all);
    const auto d = diff();
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(change(*d, ".git/hooks/post-checkout")->risks.front(),
              "git hook (runs on checkout, commit, merge)");
    EXPECT_FALSE(change(*d, ".git/hooks/pre-commit.sample")->risky());
    EXPECT_TRUE(change(*d, ".vscode/tasks.json")->risky());
    EXPECT_TRUE(change(*d, "evil.pth")->risky());
    EXPECT_EQ(change(*d, "package.json")->risks.front(),
              "package.json scripts (run on npm install)");
    EXPECT_TRUE(change(*d, ".envrc")->risky());
    EXPECT_EQ(change(*d, "tool")->risks.front(), "new executable");
}

TEST_F(WorkspaceTest, ReportsLinksAsLinksAndNeverOpensFifos) {
    ASSERT_EQ(symlink("/etc/passwd", (upper_ / "passwd").c_str()), 0);
    ASSERT_EQ(symlink("../../../etc", (upper_ / "up").c_str()), 0);
    ASSERT_EQ(symlink("sub/file", (upper_ / "inside").c_str()), 0);
    ASSERT_EQ(mkfifo((upper_ / "trap").c_str(), 0600), 0);
    const auto d = diff();  // would hang here if the FIFO were opened
    ASSERT_TRUE(d.ok());
    EXPECT_TRUE(change(*d, "passwd")->link_escapes);
    EXPECT_TRUE(change(*d, "up")->link_escapes);
    EXPECT_FALSE(change(*d, "inside")->link_escapes);
    EXPECT_EQ(change(*d, "trap")->type, EntryType::other);
    std::vector<std::string> scanned;
    for_each_changed_file(upper_, *d, 1 << 20, [&](const std::string& path, std::string_view) {
        scanned.push_back(path);
    });
    EXPECT_TRUE(scanned.empty());
}

TEST(SandboxSymlinks, EscapeIsJudgedFromTheLinksDirectory) {
    EXPECT_TRUE(symlink_escapes("a", "/etc"));
    EXPECT_TRUE(symlink_escapes("a", ".."));
    EXPECT_FALSE(symlink_escapes("a/b", ".."));
    EXPECT_TRUE(symlink_escapes("a/b", "../.."));
    EXPECT_FALSE(symlink_escapes("a/b", "../c/./d"));
    EXPECT_TRUE(symlink_escapes("a", "x/../../y"));
}

TEST_F(WorkspaceTest, ApplyWritesOrdinaryChangesAndSkipsRiskyOnes) {
    write(lower_ / "gone.txt", "bye");
    write(lower_ / "edit.txt", "old");
    write(upper_ / "edit.txt", "new");
    write(upper_ / "results/metrics.json", "{\"acc\": 1}");
    write(upper_ / ".git/hooks/post-checkout", "#!/bin/sh\n");
    whiteout("gone.txt");
    const auto d = diff();
    ASSERT_TRUE(d.ok());
    const auto outcome = apply_changes(upper_, lower_, *d, {});
    ASSERT_TRUE(outcome.ok()) << outcome.error().message;
    EXPECT_EQ(read(lower_ / "edit.txt"), "new");
    EXPECT_EQ(read(lower_ / "results/metrics.json"), "{\"acc\": 1}");
    EXPECT_FALSE(fs::exists(lower_ / "gone.txt"));
    EXPECT_FALSE(fs::exists(lower_ / ".git/hooks/post-checkout"));
    ASSERT_EQ(outcome->skipped.size(), 1u);
    EXPECT_TRUE(outcome->skipped.front().starts_with(".git/hooks/post-checkout: git hook"));
}

TEST_F(WorkspaceTest, ApplyNeverWritesThroughALinkInTheProject) {
    // The project holds a link to a directory outside it; a change below
    // that name must not land outside.
    const auto outside = root_ / "outside";
    fs::create_directories(outside);
    ASSERT_EQ(symlink(outside.c_str(), (lower_ / "data").c_str()), 0);
    write(upper_ / "data/x.txt", "payload");  // the upper layer has a real directory there
    WorkspaceDiff d;
    d.changes.push_back({"data/x.txt", ChangeKind::added, EntryType::file, 7, 0644, "", false, {}});
    const auto outcome = apply_changes(upper_, lower_, d, {});
    ASSERT_TRUE(outcome.ok());
    EXPECT_FALSE(fs::exists(outside / "x.txt"));
    ASSERT_EQ(outcome->skipped.size(), 1u);
}

TEST_F(WorkspaceTest, ApplyNeverCreatesEscapingLinksEvenWhenAskedForRiskyChanges) {
    ASSERT_EQ(symlink("/etc/shadow", (upper_ / "shadow").c_str()), 0);
    ASSERT_EQ(mkfifo((upper_ / "trap").c_str(), 0600), 0);
    const auto d = diff();
    ASSERT_TRUE(d.ok());
    ApplyOptions options;
    options.include_risky = true;
    const auto outcome = apply_changes(upper_, lower_, *d, options);
    ASSERT_TRUE(outcome.ok());
    EXPECT_FALSE(fs::exists(fs::symlink_status(lower_ / "shadow")));
    EXPECT_FALSE(fs::exists(fs::symlink_status(lower_ / "trap")));
    EXPECT_EQ(outcome->skipped.size(), 2u);
}

TEST_F(WorkspaceTest, ApplyDropsSetuidBits) {
    write(upper_ / "tool", "#!/bin/sh\n");
    ASSERT_EQ(chmod((upper_ / "tool").c_str(), 04755), 0);
    const auto d = diff();
    ASSERT_TRUE(d.ok());
    ApplyOptions options;
    options.include_risky = true;
    ASSERT_TRUE(apply_changes(upper_, lower_, *d, options).ok());
    struct stat info = {};
    ASSERT_EQ(stat((lower_ / "tool").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 07777, 0755u);
}

}  // namespace
}  // namespace hazmat::sandbox
