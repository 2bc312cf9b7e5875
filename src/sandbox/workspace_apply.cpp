#include "sandbox/workspace_apply.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "sandbox/path_beneath.hpp"
#include "sandbox/persona.hpp"
#include "sandbox/unique_fd.hpp"

namespace hazmat::sandbox {

namespace fs = std::filesystem;

namespace {

std::string parent_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string name_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string temporary_name(const std::string& name) {
    return fmt::format(".{}.hazmat-{:08x}", name, random_between(0, 0xffffffff));
}

Status copy_bytes(int from, int to) {
    char buffer[65536];
    for (;;) {
        const auto n = read(from, buffer, sizeof(buffer));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return sys_error("read");
        }
        if (n == 0)
            return done();
        ssize_t written = 0;
        while (written < n) {
            const auto w = write(to, buffer + written, static_cast<size_t>(n - written));
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                return sys_error("write");
            }
            written += w;
        }
    }
}

Status remove_beneath(int parent, const std::string& name) {
    struct stat info = {};
    if (fstatat(parent, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? done() : sys_error(fmt::format("fstatat({})", name));
    if (!S_ISDIR(info.st_mode)) {
        if (unlinkat(parent, name.c_str(), 0) != 0)
            return sys_error(fmt::format("unlinkat({})", name));
        return done();
    }
    auto dir = open_beneath(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!dir)
        return dir.error();
    std::vector<std::string> names;
    {
        const int copy = openat(dir->get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR* listing = copy >= 0 ? fdopendir(copy) : nullptr;
        if (listing == nullptr) {
            if (copy >= 0)
                close(copy);
            return sys_error(fmt::format("opendir({})", name));
        }
        while (const auto* entry = readdir(listing)) {
            const std::string_view child = entry->d_name;
            if (child != "." && child != "..")
                names.emplace_back(child);
        }
        closedir(listing);
    }
    for (const auto& child : names) {
        if (auto status = remove_beneath(dir->get(), child); !status)
            return status;
    }
    if (unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0)
        return sys_error(fmt::format("rmdir({})", name));
    return done();
}

class Applier {
  public:
    Applier(int upper, int project) : upper_(upper), project_(project) {}

    Status apply(const WorkspaceChange& change) {
        auto parent = make_dirs_beneath(project_, parent_of(change.path));
        if (!parent)
            return Error{fmt::format("parent directory: {}", parent.error().message)};
        auto parent_dir = open_beneath(parent->get(), ".", O_RDONLY | O_DIRECTORY);
        if (!parent_dir)
            return parent_dir.error();
        const auto name = name_of(change.path);
        if (change.kind == ChangeKind::deleted)
            return remove_beneath(parent_dir->get(), name);
        switch (change.type) {
            case EntryType::directory: {
                struct stat info = {};
                if (fstatat(parent_dir->get(), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 &&
                    !S_ISDIR(info.st_mode)) {
                    if (auto status = remove_beneath(parent_dir->get(), name); !status)
                        return status;
                }
                if (mkdirat(parent_dir->get(), name.c_str(), change.mode & 0777) != 0 &&
                    errno != EEXIST)
                    return sys_error(fmt::format("mkdirat({})", change.path));
                return done();
            }
            case EntryType::file:
                return write_file(parent_dir->get(), name, change);
            case EntryType::symlink:
                return write_symlink(parent_dir->get(), name, change);
            case EntryType::other:
                return Error{"special files are never applied"};
        }
        return done();
    }

  private:
    Status replace(int parent, const std::string& temporary, const std::string& name) {
        struct stat info = {};
        if (fstatat(parent, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISDIR(info.st_mode)) {
            if (auto status = remove_beneath(parent, name); !status)
                return status;
        }
        // renameat replaces the name itself: an existing symlink there is
        // replaced, never followed.
        if (renameat(parent, temporary.c_str(), parent, name.c_str()) != 0) {
            const auto error = sys_error(fmt::format("renameat({})", name));
            unlinkat(parent, temporary.c_str(), 0);
            return error;
        }
        return done();
    }

    Status write_file(int parent, const std::string& name, const WorkspaceChange& change) {
        auto source = open_beneath(upper_, change.path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
        if (!source)
            return source.error();
        struct stat info = {};
        if (fstat(source->get(), &info) != 0 || !S_ISREG(info.st_mode))
            return Error{"not a regular file in the layer any more"};
        const auto temporary = temporary_name(name);
        UniqueFd target(openat(parent, temporary.c_str(),
                               O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!target)
            return sys_error(fmt::format("openat({})", temporary));
        auto copied = copy_bytes(source->get(), target.get());
        if (copied)
            copied = fchmod(target.get(), info.st_mode & 0777) == 0 ? done() : sys_error("fchmod");
        if (!copied) {
            unlinkat(parent, temporary.c_str(), 0);
            return copied;
        }
        return replace(parent, temporary, name);
    }

    Status write_symlink(int parent, const std::string& name, const WorkspaceChange& change) {
        if (change.link_escapes)
            return Error{"a symlink leading outside the workspace is never applied"};
        const auto temporary = temporary_name(name);
        if (symlinkat(change.link_target.c_str(), parent, temporary.c_str()) != 0)
            return sys_error(fmt::format("symlinkat({})", temporary));
        return replace(parent, temporary, name);
    }

    int upper_;
    int project_;
};

}  // namespace

Result<ApplyOutcome> apply_changes(const fs::path& upper, const fs::path& project,
                                   const WorkspaceDiff& diff, const ApplyOptions& options) {
    UniqueFd upper_fd(open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!upper_fd)
        return sys_error(fmt::format("open({})", upper.string()));
    UniqueFd project_fd(open(project.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!project_fd)
        return sys_error(fmt::format("open({})", project.string()));

    ApplyOutcome outcome;
    Applier applier(upper_fd.get(), project_fd.get());
    for (const auto& change : diff.changes) {
        if (change.type == EntryType::symlink && change.link_escapes) {
            outcome.skipped.push_back(fmt::format("{}: symlink to {} leads outside the workspace",
                                                  change.path, change.link_target));
            continue;
        }
        if (change.risky() && !options.include_risky) {
            outcome.skipped.push_back(fmt::format("{}: {} (use --include-risky to apply)",
                                                  change.path, change.risks.front()));
            continue;
        }
        if (auto status = applier.apply(change); !status) {
            outcome.skipped.push_back(fmt::format("{}: {}", change.path, status.error().message));
            continue;
        }
        outcome.applied.push_back(change.path);
    }
    return outcome;
}

}  // namespace hazmat::sandbox
