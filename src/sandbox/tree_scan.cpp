#include "sandbox/tree_scan.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "sandbox/path_watch.hpp"
#include "sandbox/unique_fd.hpp"

namespace hazmat::sandbox {

namespace {

constexpr int kMaxDepth = 40;
constexpr size_t kMaxEntries = 100'000;

struct Walk {
    uint64_t max_file_bytes;
    uint64_t remaining;
    const std::vector<std::string>& skip;
    const std::function<void(const std::string&, std::string_view)>& visit;
    size_t entries = 0;
    bool complete = true;

    void directory(int dir_fd, const std::string& prefix, int depth) {
        if (depth > kMaxDepth) {
            complete = false;
            return;
        }
        const int copy = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR* dir = copy >= 0 ? fdopendir(copy) : nullptr;
        if (dir == nullptr) {
            if (copy >= 0)
                close(copy);
            return;
        }
        std::vector<std::string> names;
        while (const auto* entry = readdir(dir)) {
            const std::string_view name = entry->d_name;
            if (name != "." && name != "..")
                names.emplace_back(name);
        }
        closedir(dir);
        std::sort(names.begin(), names.end());
        for (const auto& name : names) {
            if (++entries > kMaxEntries || remaining == 0) {
                complete = false;
                return;
            }
            const auto path = prefix.empty() ? name : prefix + "/" + name;
            struct stat info = {};
            if (fstatat(dir_fd, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0)
                continue;
            if (S_ISDIR(info.st_mode)) {
                if (std::find(skip.begin(), skip.end(), path) != skip.end())
                    continue;
                UniqueFd child(
                    openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
                if (child)
                    directory(child.get(), path, depth + 1);
            } else if (S_ISREG(info.st_mode)) {
                file(dir_fd, name, path, static_cast<uint64_t>(info.st_size));
            }
        }
    }

    void file(int dir_fd, const std::string& name, const std::string& path, uint64_t size) {
        UniqueFd fd(openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
        if (!fd)
            return;
        struct stat info = {};
        if (fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode))
            return;
        const auto wanted = std::min({size, max_file_bytes, remaining});
        if (wanted < size)
            complete = false;
        std::string content(wanted, '\0');
        size_t filled = 0;
        while (filled < content.size()) {
            const auto n = pread(fd.get(), content.data() + filled, content.size() - filled,
                                 static_cast<off_t>(filled));
            if (n <= 0)
                break;
            filled += static_cast<size_t>(n);
        }
        content.resize(filled);
        remaining -= filled;
        visit(path, content);
    }
};

}  // namespace

bool walk_files(int root_fd, uint64_t max_file_bytes, uint64_t max_total_bytes,
                const std::vector<std::string>& skip,
                const std::function<void(const std::string&, std::string_view)>& visit) {
    Walk walk{max_file_bytes, max_total_bytes, skip, visit};
    walk.directory(root_fd, "", 0);
    return walk.complete;
}

std::vector<HomeChange> compare_home(
    const std::vector<DecoyFile>& planted,
    const std::vector<std::pair<std::string, std::string>>& files_found) {
    std::map<std::string, const DecoyFile*> original;
    for (const auto& file : planted)
        original[file.path] = &file;
    std::vector<HomeChange> changes;
    const auto& persistence = home_persistence_paths();
    for (const auto& [path, content] : files_found) {
        const auto it = original.find(path);
        if (it != original.end() && it->second->content == content)
            continue;
        HomeChange change;
        change.path = path;
        change.added = it == original.end();
        change.persistence =
            std::any_of(persistence.begin(), persistence.end(), [&](std::string_view p) {
                if (p.ends_with('/'))
                    return path_within(path, p.substr(0, p.size() - 1));
                return path == p;
            });
        changes.push_back(std::move(change));
    }
    return changes;
}

}  // namespace hazmat::sandbox
