#include "sandbox/workspace_diff.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <set>

#include "sandbox/path_beneath.hpp"
#include "sandbox/path_watch.hpp"
#include "sandbox/unique_fd.hpp"

namespace hazmat::sandbox {

namespace fs = std::filesystem;

std::string_view to_string(ChangeKind kind) {
    switch (kind) {
        case ChangeKind::added:
            return "added";
        case ChangeKind::modified:
            return "modified";
        case ChangeKind::deleted:
            return "deleted";
    }
    return "changed";
}

std::string_view to_string(EntryType type) {
    switch (type) {
        case EntryType::file:
            return "file";
        case EntryType::directory:
            return "directory";
        case EntryType::symlink:
            return "symlink";
        case EntryType::other:
            return "special file";
    }
    return "entry";
}

namespace {

EntryType type_of(mode_t mode) {
    if (S_ISREG(mode))
        return EntryType::file;
    if (S_ISDIR(mode))
        return EntryType::directory;
    if (S_ISLNK(mode))
        return EntryType::symlink;
    return EntryType::other;
}

bool is_whiteout(const struct stat& info) {
    return S_ISCHR(info.st_mode) && info.st_rdev == makedev(0, 0);
}

std::string join(const std::string& dir, std::string_view name) {
    return dir.empty() ? std::string(name) : dir + "/" + std::string(name);
}

std::vector<std::string> list_dir(int dir_fd) {
    std::vector<std::string> names;
    const int copy = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (copy < 0)
        return names;
    DIR* dir = fdopendir(copy);
    if (dir == nullptr) {
        close(copy);
        return names;
    }
    while (const auto* entry = readdir(dir)) {
        const std::string_view name = entry->d_name;
        if (name != "." && name != "..")
            names.emplace_back(name);
    }
    closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
}

std::string read_prefix(int dir_fd, const std::string& name, uint64_t max_bytes) {
    auto file = open_beneath(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    if (!file)
        return {};
    struct stat info = {};
    if (fstat(file->get(), &info) != 0 || !S_ISREG(info.st_mode))
        return {};
    std::string content(std::min<uint64_t>(static_cast<uint64_t>(info.st_size), max_bytes), '\0');
    size_t filled = 0;
    while (filled < content.size()) {
        const auto n = pread(file->get(), content.data() + filled, content.size() - filled,
                             static_cast<off_t>(filled));
        if (n <= 0)
            break;
        filled += static_cast<size_t>(n);
    }
    content.resize(filled);
    return content;
}

bool same_content(int upper_dir, int lower_dir, const std::string& name, uint64_t size) {
    constexpr uint64_t kCompareLimit = 64ull << 20;
    if (size > kCompareLimit)
        return false;  // assume changed rather than read gigabytes
    return read_prefix(upper_dir, name, kCompareLimit) ==
           read_prefix(lower_dir, name, kCompareLimit);
}

class DiffWalker {
  public:
    DiffWalker(WorkspaceDiff& diff, size_t max_entries) : diff_(diff), max_entries_(max_entries) {}

    void walk(int upper_dir, int lower_dir, const std::string& prefix) {
        for (const auto& name : list_dir(upper_dir)) {
            if (++visited_ > max_entries_) {
                diff_.truncated = true;
                return;
            }
            struct stat info = {};
            if (fstatat(upper_dir, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0)
                continue;
            const auto path = join(prefix, name);
            struct stat lower_info = {};
            const bool in_lower = lower_dir >= 0 && fstatat(lower_dir, name.c_str(), &lower_info,
                                                            AT_SYMLINK_NOFOLLOW) == 0;
            if (is_whiteout(info)) {
                if (in_lower)
                    record_deleted(lower_dir, name, path, lower_info);
                continue;
            }
            if (S_ISDIR(info.st_mode)) {
                walk_directory(upper_dir, lower_dir, name, path, info, in_lower, lower_info);
                continue;
            }
            WorkspaceChange change;
            change.path = path;
            change.type = type_of(info.st_mode);
            change.size = static_cast<uint64_t>(info.st_size);
            change.mode = info.st_mode & 07777;
            change.kind = in_lower ? ChangeKind::modified : ChangeKind::added;
            if (change.type == EntryType::symlink) {
                char target[4096];
                const auto n = readlinkat(upper_dir, name.c_str(), target, sizeof(target) - 1);
                change.link_target.assign(target, n > 0 ? static_cast<size_t>(n) : 0);
                change.link_escapes = symlink_escapes(path, change.link_target);
            } else if (change.type == EntryType::file && in_lower && S_ISREG(lower_info.st_mode) &&
                       lower_info.st_size == info.st_size &&
                       (lower_info.st_mode & 07777) == change.mode &&
                       same_content(upper_dir, lower_dir, name, change.size)) {
                continue;  // copied up (opened for writing, touched) but unchanged
            }
            const auto content = change.type == EntryType::file
                                     ? read_prefix(upper_dir, name, 64 * 1024)
                                     : std::string();
            change.risks =
                change_risks(path, change.type, change.mode, change.link_escapes, content);
            if (change.type == EntryType::file && (change.mode & 0111) && change.risks.empty() &&
                !(in_lower && (lower_info.st_mode & 0111)))
                change.risks.push_back("new executable");
            diff_.changes.push_back(std::move(change));
        }
    }

  private:
    void walk_directory(int upper_dir, int lower_dir, const std::string& name,
                        const std::string& path, const struct stat& info, bool in_lower,
                        const struct stat& lower_info) {
        const bool lower_is_dir = in_lower && S_ISDIR(lower_info.st_mode);
        char opaque[4] = {};
        auto upper_child = open_beneath(upper_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (!upper_child)
            return;
        const bool is_opaque =
            fgetxattr(upper_child->get(), "user.overlay.opaque", opaque, sizeof(opaque)) > 0 &&
            opaque[0] == 'y';
        if (!lower_is_dir) {
            if (in_lower)
                record_deleted(lower_dir, name, path, lower_info);
            WorkspaceChange change;
            change.path = path;
            change.type = EntryType::directory;
            change.mode = info.st_mode & 07777;
            change.kind = ChangeKind::added;
            change.risks = change_risks(path, EntryType::directory, change.mode, false, {});
            diff_.changes.push_back(std::move(change));
            walk(upper_child->get(), -1, path);
            return;
        }
        auto lower_child = open_beneath(lower_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (is_opaque && lower_child) {
            // An opaque directory hides everything of the lower one: what is
            // not in the upper layer was deleted.
            const auto upper_names = list_dir(upper_child->get());
            const std::set<std::string> kept(upper_names.begin(), upper_names.end());
            for (const auto& lower_name : list_dir(lower_child->get())) {
                struct stat gone = {};
                if (!kept.count(lower_name) && fstatat(lower_child->get(), lower_name.c_str(),
                                                       &gone, AT_SYMLINK_NOFOLLOW) == 0)
                    record_deleted(lower_child->get(), lower_name, join(path, lower_name), gone);
            }
        }
        // In an opaque directory a name present in both layers still counts as
        // modified: it existed in the project before.
        walk(upper_child->get(), lower_child ? lower_child->get() : -1, path);
    }

    void record_deleted(int, const std::string&, const std::string& path, const struct stat& info) {
        WorkspaceChange change;
        change.path = path;
        change.kind = ChangeKind::deleted;
        change.type = type_of(info.st_mode);
        change.mode = info.st_mode & 07777;
        diff_.changes.push_back(std::move(change));
    }

    WorkspaceDiff& diff_;
    size_t max_entries_;
    size_t visited_ = 0;
};

bool matches_name(std::string_view path, std::string_view name) {
    return path == name || path.ends_with("/" + std::string(name));
}

}  // namespace

bool symlink_escapes(std::string_view link_path, std::string_view target) {
    if (target.empty() || target.starts_with('/'))
        return true;
    // Resolve lexically from the link's directory inside a virtual root.
    const auto slash = link_path.rfind('/');
    const std::string dir =
        "/" + std::string(slash == std::string_view::npos ? "" : link_path.substr(0, slash));
    int depth = 0;
    std::string_view rest = dir;
    while (!rest.empty()) {
        const auto next = rest.find('/');
        const auto part = rest.substr(0, next);
        rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
        if (!part.empty())
            ++depth;
    }
    rest = target;
    while (!rest.empty()) {
        const auto next = rest.find('/');
        const auto part = rest.substr(0, next);
        rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
        if (part == "..") {
            if (--depth < 0)
                return true;
        } else if (!part.empty() && part != ".") {
            ++depth;
        }
    }
    return false;
}

std::vector<std::string> change_risks(std::string_view path, EntryType type, uint32_t mode,
                                      bool link_escapes, std::string_view content) {
    std::vector<std::string> risks;
    if (type == EntryType::symlink && link_escapes)
        risks.push_back("symlink leading outside the workspace");
    if (type == EntryType::other)
        risks.push_back("special file (device, FIFO or socket)");
    if (path_within(path, ".git/hooks") && !path.ends_with(".sample") && path != ".git/hooks")
        risks.push_back("git hook (runs on checkout, commit, merge)");
    if (path == ".git/config")
        risks.push_back("git configuration (hooksPath, fsmonitor and filters run commands)");
    if (matches_name(path, ".gitattributes") || path == ".gitmodules")
        risks.push_back("git attributes or submodules (filters and remote checkouts)");
    if (path_within(path, ".vscode") || path_within(path, ".idea") ||
        path_within(path, ".devcontainer"))
        risks.push_back("editor configuration (tasks and settings run commands when opened)");
    if (matches_name(path, ".envrc"))
        risks.push_back("direnv script (runs when the directory is entered)");
    if (path.ends_with(".pth"))
        risks.push_back("Python .pth file (runs code at interpreter start)");
    if (matches_name(path, "sitecustomize.py") || matches_name(path, "usercustomize.py"))
        risks.push_back("Python startup hook");
    if (matches_name(path, "setup.py") || matches_name(path, "conftest.py") ||
        matches_name(path, "pyproject.toml") || matches_name(path, "setup.cfg"))
        risks.push_back("build, install or test hook");
    if (matches_name(path, "package.json") && content.find("\"scripts\"") != std::string_view::npos)
        risks.push_back("package.json scripts (run on npm install)");
    if (path_within(path, ".github/workflows") || matches_name(path, ".pre-commit-config.yaml") ||
        matches_name(path, ".gitlab-ci.yml"))
        risks.push_back("CI or pre-commit configuration");
    if (type == EntryType::file && (mode & 06000))
        risks.push_back("setuid or setgid bit");
    return risks;
}

Result<WorkspaceDiff> diff_workspace(const fs::path& upper, const fs::path& lower,
                                     size_t max_entries) {
    UniqueFd upper_fd(open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!upper_fd)
        return Error{fmt::format("cannot open the workspace layer {}: {}", upper.string(),
                                 std::strerror(errno))};
    UniqueFd lower_fd(open(lower.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!lower_fd)
        return Error{
            fmt::format("cannot open the project {}: {}", lower.string(), std::strerror(errno))};
    WorkspaceDiff diff;
    DiffWalker walker(diff, max_entries);
    walker.walk(upper_fd.get(), lower_fd.get(), "");
    std::sort(diff.changes.begin(), diff.changes.end(),
              [](const WorkspaceChange& a, const WorkspaceChange& b) { return a.path < b.path; });
    return diff;
}

void for_each_changed_file(const fs::path& upper, const WorkspaceDiff& diff, uint64_t max_bytes,
                           const std::function<void(const std::string&, std::string_view)>& visit) {
    UniqueFd upper_fd(open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!upper_fd)
        return;
    for (const auto& change : diff.changes) {
        if (change.kind == ChangeKind::deleted || change.type != EntryType::file)
            continue;
        const auto content = read_prefix(upper_fd.get(), change.path, max_bytes);
        visit(change.path, content);
    }
}

}  // namespace hazmat::sandbox
