#include "core/walker.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <system_error>

#include "core/rule_ids.hpp"

namespace hazmat {

namespace fs = std::filesystem;

namespace {

Location file_location(const std::string& display) {
    Location location;
    location.chain.push_back({LocationPart::Kind::file, display});
    return location;
}

std::string join_display(const std::string& base, const fs::path& relative) {
    if (base.empty() || base == ".")
        return relative.generic_string();
    if (base.back() == '/')
        return base + relative.generic_string();
    return base + "/" + relative.generic_string();
}

bool is_within(const fs::path& candidate, const fs::path& root) {
    const auto [root_end, candidate_it] =
        std::mismatch(root.begin(), root.end(), candidate.begin(), candidate.end());
    return root_end == root.end();
}

class Walker {
  public:
    Walker(const fs::path& target, FindingSink& sink, uint64_t& skipped)
        : target_(target), sink_(sink), skipped_(skipped) {
        std::error_code ec;
        root_ = fs::weakly_canonical(fs::absolute(target, ec), ec);
        display_base_ = target.generic_string();
        while (display_base_.size() > 1 && display_base_.back() == '/')
            display_base_.pop_back();
    }

    std::vector<WalkEntry> run() {
        std::error_code ec;
        // The target itself is the user's choice: follow it if it is a link.
        const auto status = fs::status(target_, ec);
        if (ec) {
            report_unreadable(display_base_, "stat", ec);
            return {};
        }
        if (fs::is_directory(status)) {
            walk_directory();
        } else {
            // Files are opened without following a final link, so a target
            // given as a link to a file is opened through its resolved path.
            const auto resolved = fs::canonical(target_, ec);
            visit(ec ? target_ : resolved, display_base_, status);
        }
        std::sort(entries_.begin(), entries_.end(),
                  [](const WalkEntry& a, const WalkEntry& b) { return a.display < b.display; });
        return std::move(entries_);
    }

  private:
    void walk_directory() {
        // An explicit stack: 10,000 nested directories must not exhaust the
        // call stack.
        // LIMITATION: directories are opened by path, so a directory whose
        // path exceeds PATH_MAX is reported unreadable instead of walked, and
        // a directory swapped for a link between listing and opening is
        // followed. Walking with openat(O_NOFOLLOW) descriptors would close both.
        std::vector<fs::path> pending{fs::path()};
        while (!pending.empty()) {
            const fs::path relative = std::move(pending.back());
            pending.pop_back();
            const fs::path directory = relative.empty() ? target_ : target_ / relative;
            std::error_code ec;
            fs::directory_iterator it(directory, fs::directory_options::none, ec);
            if (ec) {
                report_unreadable(join_display(display_base_, relative), "opendir", ec);
                continue;
            }
            for (; it != fs::directory_iterator(); it.increment(ec)) {
                const fs::path child_relative = relative / it->path().filename();
                const auto display = join_display(display_base_, child_relative);
                const auto status = it->symlink_status(ec);
                if (ec) {
                    report_unreadable(display, "lstat", ec);
                    ec.clear();
                    continue;
                }
                if (fs::is_directory(status)) {
                    if (it->path().filename() == ".git") {
                        spdlog::debug("{}: git metadata is not walked as ordinary files", display);
                        ++skipped_;
                        continue;
                    }
                    pending.push_back(child_relative);
                    continue;
                }
                visit(it->path(), display, status);
            }
            if (ec)
                report_unreadable(join_display(display_base_, relative), "readdir", ec);
        }
    }

    void visit(const fs::path& path, const std::string& display, const fs::file_status& status) {
        if (fs::is_symlink(status)) {
            visit_symlink(path, display);
            return;
        }
        if (fs::is_regular_file(status)) {
            std::error_code ec;
            const auto size = fs::file_size(path, ec);
            entries_.push_back({path, display, ec ? 0 : size});
            return;
        }
        ++skipped_;
        sink_.add(Finding::make(
            rules::kScanSpecialFile,
            fmt::format("'{}' is a {}; it was not opened.", display, describe(status.type())),
            file_location(display)));
    }

    void visit_symlink(const fs::path& path, const std::string& display) {
        ++skipped_;
        std::error_code ec;
        const auto destination = fs::read_symlink(path, ec);
        const auto resolved = fs::weakly_canonical(path, ec);
        if (ec) {
            // A loop (or a chain too long to follow) points nowhere that
            // could be scanned; resolution stops at the kernel's limit.
            sink_.add(Finding::make(rules::kScanUnreadable,
                                    fmt::format("'{}' links to '{}', which cannot be resolved: {}.",
                                                display, destination.string(), ec.message()),
                                    file_location(display)));
            return;
        }
        if (is_within(resolved, root_)) {
            spdlog::debug("{}: link to {} inside the target, scanned where it lives", display,
                          destination.string());
            return;
        }
        sink_.add(Finding::make(rules::kScanSymlinkOutside,
                                fmt::format("'{}' links to '{}', outside the target.", display,
                                            destination.string()),
                                file_location(display))
                      .with_evidence(fmt::format("resolves to {}", resolved.string())));
    }

    void report_unreadable(const std::string& display, std::string_view call,
                           const std::error_code& ec) {
        ++skipped_;
        sink_.add(Finding::make(rules::kScanUnreadable,
                                fmt::format("{} failed: {}", call, ec.message()),
                                file_location(display)));
    }

    static std::string_view describe(fs::file_type type) {
        switch (type) {
            case fs::file_type::fifo:
                return "FIFO";
            case fs::file_type::socket:
                return "socket";
            case fs::file_type::block:
                return "block device";
            case fs::file_type::character:
                return "character device";
            default:
                return "special file";
        }
    }

    fs::path target_;
    fs::path root_;
    std::string display_base_;
    FindingSink& sink_;
    uint64_t& skipped_;
    std::vector<WalkEntry> entries_;
};

}  // namespace

std::vector<WalkEntry> walk_target(const fs::path& target, FindingSink& sink, uint64_t& skipped) {
    return Walker(target, sink, skipped).run();
}

}  // namespace hazmat
