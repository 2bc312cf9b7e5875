#include "sandbox/path_beneath.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace hazmat::sandbox {

namespace {

std::string_view parent_of(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? std::string_view(".") : path.substr(0, slash);
}

std::string_view name_of(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view strip_slashes(std::string_view path) {
    while (path.starts_with('/'))
        path.remove_prefix(1);
    while (path.ends_with('/'))
        path.remove_suffix(1);
    return path;
}

}  // namespace

Result<UniqueFd> open_beneath(int root, std::string_view relative, int flags, unsigned mode) {
    const std::string path(strip_slashes(relative).empty() ? "." : strip_slashes(relative));
    struct open_how how = {};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    const long fd = syscall(SYS_openat2, root, path.c_str(), &how, sizeof(how));
    if (fd < 0)
        return sys_error(fmt::format("openat2({}, beneath, no symlinks)", path));
    return UniqueFd(static_cast<int>(fd));
}

Result<UniqueFd> make_dirs_beneath(int root, std::string_view relative, unsigned mode) {
    const auto path = strip_slashes(relative);
    auto current = open_beneath(root, ".", O_PATH | O_DIRECTORY);
    if (!current)
        return current;
    size_t start = 0;
    while (start < path.size()) {
        auto end = path.find('/', start);
        if (end == std::string_view::npos)
            end = path.size();
        const std::string component(path.substr(start, end - start));
        start = end + 1;
        if (component.empty() || component == ".")
            continue;
        if (component == "..")
            return Error{fmt::format("{}: '..' is not allowed in a sandbox path", relative)};
        if (mkdirat(current->get(), component.c_str(), mode) != 0 && errno != EEXIST)
            return sys_error(fmt::format("mkdirat({})", component));
        auto next = open_beneath(current->get(), component, O_PATH | O_DIRECTORY | O_NOFOLLOW);
        if (!next)
            return next;
        current = std::move(next);
    }
    return current;
}

Result<UniqueFd> make_mount_point(int root, std::string_view relative, bool directory) {
    const auto path = strip_slashes(relative);
    if (directory)
        return make_dirs_beneath(root, path);
    auto parent = make_dirs_beneath(root, parent_of(path));
    if (!parent)
        return parent;
    const std::string name(name_of(path));
    auto file = open_beneath(parent->get(), name, O_CREAT | O_WRONLY | O_NOFOLLOW, 0644);
    if (!file)
        return file;
    return open_beneath(parent->get(), name, O_PATH | O_NOFOLLOW);
}

Status write_file_beneath(int root, std::string_view relative, std::string_view content,
                          unsigned mode) {
    const auto path = strip_slashes(relative);
    auto parent = make_dirs_beneath(root, parent_of(path), 0700);
    if (!parent)
        return parent.error();
    auto file = open_beneath(parent->get(), name_of(path), O_CREAT | O_EXCL | O_WRONLY, mode);
    if (!file)
        return file.error();
    size_t written = 0;
    while (written < content.size()) {
        const auto n = write(file->get(), content.data() + written, content.size() - written);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return sys_error(fmt::format("write({})", path));
        }
        written += static_cast<size_t>(n);
    }
    if (fchmod(file->get(), mode) != 0)
        return sys_error(fmt::format("fchmod({})", path));
    return done();
}

}  // namespace hazmat::sandbox
