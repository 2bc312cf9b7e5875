// The walker from the attacker's side: links that point out of the target
// or in circles, FIFOs that would block a reader, git metadata, directory
// trees deeper than anyone's recursion, and directories that cannot be read.

#include "core/walker.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "core/dispatcher.hpp"
#include "core/rule_ids.hpp"
#include "core/scanner.hpp"

namespace hazmat {
namespace {

namespace fs = std::filesystem;

class Walker : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "hazmat-walker-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        scratch_ = pattern;
        target_ = scratch_ / "target";
        fs::create_directory(target_);
    }
    void TearDown() override {
        std::error_code ec;
        fs::permissions(target_ / "locked", fs::perms::owner_all, ec);
        fs::remove_all(scratch_, ec);
    }

    void write_file(const fs::path& path, std::string_view content = "x") {
        fs::create_directories(path.parent_path());
        std::ofstream(path) << content;
    }

    std::string display(const std::string& relative) const {
        return (target_ / relative).generic_string();
    }

    std::vector<WalkEntry> walk() {
        skipped_ = 0;
        auto entries = walk_target(target_, report_, skipped_);
        report_.finish();
        return entries;
    }

    std::vector<std::string> displays(const std::vector<WalkEntry>& entries) const {
        std::vector<std::string> names;
        for (const auto& entry : entries)
            names.push_back(entry.display);
        return names;
    }

    static Location at(const std::string& path) {
        Location location;
        location.chain.push_back({LocationPart::Kind::file, path});
        return location;
    }

    fs::path scratch_;
    fs::path target_;
    Report report_;
    uint64_t skipped_ = 0;
};

TEST_F(Walker, SymlinkToAFileOutsideTheTargetIsReported) {
    write_file(scratch_ / "outside" / "secret.txt");
    fs::create_symlink(scratch_ / "outside" / "secret.txt", target_ / "link");
    EXPECT_TRUE(walk().empty());
    ASSERT_EQ(report_.findings().size(), 1u);
    const auto& finding = report_.findings()[0];
    EXPECT_EQ(finding.rule_id, rules::kScanSymlinkOutside);
    EXPECT_EQ(finding.location, at(display("link")));
    EXPECT_EQ(finding.evidence, std::vector<std::string>{
                                    "resolves to " + (scratch_ / "outside/secret.txt").string()});
}

TEST_F(Walker, SymlinkInsideTheTargetIsSkippedSilently) {
    write_file(target_ / "model.pt");
    fs::create_symlink("model.pt", target_ / "alias.pt");
    fs::create_directory(target_ / "dir");
    fs::create_directory_symlink("../dir", target_ / "dir" / "self");
    EXPECT_EQ(displays(walk()), std::vector{display("model.pt")});
    EXPECT_TRUE(report_.findings().empty());
    EXPECT_EQ(skipped_, 2u);
}

TEST_F(Walker, SymlinkLoopIsReportedWithoutHanging) {
    fs::create_symlink("b", target_ / "a");
    fs::create_symlink("a", target_ / "b");
    EXPECT_TRUE(walk().empty());
    ASSERT_EQ(report_.findings().size(), 2u);
    for (const auto& finding : report_.findings())
        EXPECT_EQ(finding.rule_id, rules::kScanUnreadable);
    EXPECT_EQ(report_.findings()[0].location, at(display("a")));
    EXPECT_EQ(report_.findings()[0].message,
              "'" + display("a") +
                  "' links to 'b', which cannot be resolved: Too many levels of symbolic links.");
}

TEST_F(Walker, SymlinkToRootIsReportedAndNotFollowed) {
    fs::create_directory_symlink("/", target_ / "root");
    EXPECT_TRUE(walk().empty());
    ASSERT_EQ(report_.findings().size(), 1u);
    EXPECT_EQ(report_.findings()[0].rule_id, rules::kScanSymlinkOutside);
    EXPECT_EQ(report_.findings()[0].message,
              "'" + display("root") + "' links to '/', outside the target.");
}

TEST_F(Walker, FifoIsReportedAndTheScanDoesNotBlock) {
    ASSERT_EQ(mkfifo((target_ / "pipe").c_str(), 0600), 0);
    write_file(target_ / "file.txt");
    // A reader that opened the FIFO would wait for a writer forever.
    auto scan = std::async(std::launch::async, [&] {
        const Dispatcher dispatcher({});
        Scanner scanner(dispatcher, ScanLimits{}, 2);
        Report report;
        scanner.scan(target_, report);
        report.finish();
        return report.findings();
    });
    ASSERT_EQ(scan.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    const auto findings = scan.get();
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].rule_id, rules::kScanSpecialFile);
    EXPECT_EQ(findings[0].location, at(display("pipe")));
    EXPECT_EQ(findings[0].message, "'" + display("pipe") + "' is a FIFO; it was not opened.");
}

TEST_F(Walker, GitMetadataIsNotWalked) {
    write_file(target_ / ".git" / "config");
    write_file(target_ / ".git" / "hooks" / "pre-commit");
    write_file(target_ / "train.py");
    EXPECT_EQ(displays(walk()), std::vector{display("train.py")});
    EXPECT_TRUE(report_.findings().empty());
}

// Builds `levels` nested directories named `name` under `root` through
// directory descriptors, so neither the builder nor the cleanup depends on
// the whole path fitting PATH_MAX. Returns the path relative to `root`.
fs::path make_nested_directories(const fs::path& root, const std::string& name, int levels) {
    int fd = open(root.c_str(), O_RDONLY | O_DIRECTORY);
    fs::path relative;
    for (int level = 0; level < levels; ++level) {
        EXPECT_EQ(mkdirat(fd, name.c_str(), 0700), 0);
        const int next = openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY);
        close(fd);
        fd = next;
        relative /= name;
    }
    const int file = openat(fd, "f", O_WRONLY | O_CREAT, 0600);
    close(file);
    close(fd);
    return relative;
}

void remove_nested_directories(const fs::path& root, const std::string& name, int levels) {
    int fd = open(root.c_str(), O_RDONLY | O_DIRECTORY);
    for (int level = 0; level < levels; ++level) {
        const int next = openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY);
        close(fd);
        fd = next;
    }
    unlinkat(fd, "f", 0);
    close(fd);
    // Bottom-up, re-walking from the root each time: at most two descriptors open.
    for (int depth = levels; depth > 0; --depth) {
        fd = open(root.c_str(), O_RDONLY | O_DIRECTORY);
        for (int level = 0; level < depth - 1; ++level) {
            const int next = openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY);
            close(fd);
            fd = next;
        }
        unlinkat(fd, name.c_str(), AT_REMOVEDIR);
        close(fd);
    }
}

TEST_F(Walker, TwoThousandNestedDirectoriesAreWalked) {
    const auto relative = make_nested_directories(target_, "d", 2000);
    const auto entries = walk();
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].path, target_ / relative / "f");
    EXPECT_TRUE(report_.findings().empty());
}

TEST_F(Walker, DirectoryThatCannotBeOpenedIsReported) {
    // Directories with 250-character names, deeper than a path can name
    // (17 * 251 characters > PATH_MAX): reading the deepest fails for every
    // user, root included.
    const std::string name(250, 'n');
    constexpr int kLevels = 17;
    make_nested_directories(target_, name, kLevels);
    walk();
    remove_nested_directories(target_, name, kLevels);
    ASSERT_EQ(report_.findings().size(), 1u);
    const auto& finding = report_.findings()[0];
    EXPECT_EQ(finding.rule_id, rules::kScanUnreadable);
    EXPECT_EQ(finding.message, "lstat failed: File name too long");
    EXPECT_TRUE(finding.location.file().starts_with(display("")));
}

TEST_F(Walker, DirectoryWithoutPermissionIsReported) {
    if (geteuid() == 0)
        GTEST_SKIP() << "root reads any directory; DirectoryThatCannotBeOpenedIsReported covers "
                        "the same path";
    write_file(target_ / "locked" / "inside.txt");
    fs::permissions(target_ / "locked", fs::perms::none);
    walk();
    ASSERT_EQ(report_.findings().size(), 1u);
    EXPECT_EQ(report_.findings()[0].rule_id, rules::kScanUnreadable);
    EXPECT_EQ(report_.findings()[0].location, at(display("locked")));
}

TEST_F(Walker, SingleFileTargetIsOneEntry) {
    write_file(target_ / "model.pt", "12345");
    uint64_t skipped = 0;
    const auto entries = walk_target(target_ / "model.pt", report_, skipped);
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].display, display("model.pt"));
    EXPECT_EQ(entries[0].size, 5u);
    EXPECT_TRUE(report_.findings().empty());
}

TEST_F(Walker, TargetGivenAsALinkToAFileIsOpenedThroughIt) {
    write_file(scratch_ / "real.txt", "12345");
    fs::create_symlink(scratch_ / "real.txt", scratch_ / "link.txt");
    const Dispatcher dispatcher({});
    Scanner scanner(dispatcher, ScanLimits{}, 1);
    Report report;
    scanner.scan(scratch_ / "link.txt", report);
    for (const auto& finding : report.findings())
        ADD_FAILURE() << finding.rule_id << ": " << finding.message;
    EXPECT_EQ(report.stats().files, 1u);
    EXPECT_EQ(report.stats().bytes, 5u);
}

}  // namespace
}  // namespace hazmat
