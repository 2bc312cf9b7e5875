#include "sandbox/mount_namespace.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string_view>
#include <utility>

#include "sandbox/path_beneath.hpp"
#include "sandbox/unique_fd.hpp"

namespace hazmat::sandbox {

namespace {

std::string_view relative(std::string_view inside) {
    while (inside.starts_with('/'))
        inside.remove_prefix(1);
    return inside;
}

// The kernel explains a failed fsconfig() in messages read from the
// context descriptor ("e overlayfs: ..."); they name the bad option.
std::string fs_context_messages(int fs_fd) {
    std::string messages;
    char buffer[512];
    for (;;) {
        const auto n = read(fs_fd, buffer, sizeof(buffer) - 1);
        if (n <= 0)
            break;
        if (!messages.empty())
            messages += "; ";
        messages.append(buffer, static_cast<size_t>(n));
    }
    return messages;
}

struct FsOption {
    std::string key;
    std::string value;  // empty: a flag
};

// A new, detached file system instance (fsopen/fsconfig/fsmount).
Result<UniqueFd> new_filesystem(const char* type, const std::vector<FsOption>& options,
                                unsigned attributes) {
    UniqueFd context(fsopen(type, FSOPEN_CLOEXEC));
    if (!context)
        return sys_error(fmt::format("fsopen({})", type));
    for (const auto& option : options) {
        const int rc = option.value.empty() ? fsconfig(context.get(), FSCONFIG_SET_FLAG,
                                                       option.key.c_str(), nullptr, 0)
                                            : fsconfig(context.get(), FSCONFIG_SET_STRING,
                                                       option.key.c_str(), option.value.c_str(), 0);
        if (rc != 0) {
            const int error = errno;
            return Error{fmt::format("fsconfig({}, {}={}): {} {}", type, option.key, option.value,
                                     std::strerror(error), fs_context_messages(context.get()))};
        }
    }
    if (fsconfig(context.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
        const int error = errno;
        return Error{fmt::format("fsconfig({}, create): {} {}", type, std::strerror(error),
                                 fs_context_messages(context.get()))};
    }
    UniqueFd mount(fsmount(context.get(), FSMOUNT_CLOEXEC, attributes));
    if (!mount)
        return sys_error(fmt::format("fsmount({})", type));
    return mount;
}

Status attach(int mount_fd, int root, std::string_view inside, bool directory,
              std::string_view what) {
    auto target = make_mount_point(root, relative(inside), directory);
    if (!target)
        return Error{
            fmt::format("mount point {} for {}: {}", inside, what, target.error().message)};
    if (move_mount(mount_fd, "", target->get(), "",
                   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
        return sys_error(fmt::format("move_mount({} onto {})", what, inside));
    return done();
}

Status mount_filesystem(int root, std::string_view inside, const char* type,
                        const std::vector<FsOption>& options, unsigned attributes) {
    auto mount = new_filesystem(type, options, attributes);
    if (!mount)
        return mount.error();
    return attach(mount->get(), root, inside, true, type);
}

Result<UniqueFd> clone_tree(int dir_fd, const char* path, bool recursive, unsigned attributes) {
    const unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0) |
                           (*path == '\0' ? AT_EMPTY_PATH : 0);
    UniqueFd tree(open_tree(dir_fd, path, flags));
    if (!tree)
        return sys_error(fmt::format("open_tree({})", *path ? path : "<fd>"));
    struct mount_attr attr = {};
    attr.attr_set = attributes;
    if (mount_setattr(tree.get(), "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
                      sizeof(attr)) != 0)
        return sys_error(fmt::format("mount_setattr({})", *path ? path : "<fd>"));
    return tree;
}

Status bind(const BindMount& bind_mount, int root) {
    struct stat info = {};
    if (stat(bind_mount.source.c_str(), &info) != 0)
        return sys_error(fmt::format("stat({})", bind_mount.source.string()));
    const bool directory = S_ISDIR(info.st_mode);
    unsigned attributes = MOUNT_ATTR_NOSUID;
    if (!bind_mount.writable)
        attributes |= MOUNT_ATTR_RDONLY;
    if (!bind_mount.device)
        attributes |= MOUNT_ATTR_NODEV;
    auto tree = clone_tree(AT_FDCWD, bind_mount.source.c_str(), directory, attributes);
    if (!tree)
        return tree.error();
    return attach(tree->get(), root, bind_mount.target, directory, bind_mount.source.string());
}

// A host symlink reproduced inside (merged-/usr systems make /bin, /lib ...
// links into /usr).
Status copy_symlink(const std::string& host_path, int root, std::string_view inside) {
    char target[4096];
    const auto length = readlink(host_path.c_str(), target, sizeof(target) - 1);
    if (length < 0)
        return sys_error(fmt::format("readlink({})", host_path));
    target[length] = '\0';
    const std::string rel(relative(inside));
    const auto slash = rel.rfind('/');
    auto parent = make_dirs_beneath(root, slash == std::string::npos ? "" : rel.substr(0, slash));
    if (!parent)
        return parent.error();
    const auto name = slash == std::string::npos ? rel : rel.substr(slash + 1);
    if (symlinkat(target, parent->get(), name.c_str()) != 0 && errno != EEXIST)
        return sys_error(fmt::format("symlinkat({} -> {})", inside, target));
    return done();
}

// A host path bound read-only if it is a directory or file, reproduced if
// it is a symlink, skipped if absent.
Status mirror_host_path(const std::string& host_path, int root, std::string_view inside) {
    struct stat info = {};
    if (lstat(host_path.c_str(), &info) != 0)
        return done();
    if (S_ISLNK(info.st_mode))
        return copy_symlink(host_path, root, inside);
    if (!S_ISDIR(info.st_mode) && !S_ISREG(info.st_mode))
        return done();
    return bind({host_path, std::string(inside), false, false}, root);
}

Status make_symlink(int root, std::string_view inside, const char* target) {
    const std::string rel(relative(inside));
    const auto slash = rel.rfind('/');
    auto parent = make_dirs_beneath(root, slash == std::string::npos ? "" : rel.substr(0, slash));
    if (!parent)
        return parent.error();
    const auto name = slash == std::string::npos ? rel : rel.substr(slash + 1);
    if (symlinkat(target, parent->get(), name.c_str()) != 0)
        return sys_error(fmt::format("symlinkat({} -> {})", inside, target));
    return done();
}

Status mount_system_dirs(int root) {
    // Host system directories, read-only: programs and libraries, nothing
    // that describes the host's users or configuration.
    for (const char* dir : {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "opt"}) {
        if (auto status = mirror_host_path(std::string("/") + dir, root, dir); !status)
            return status;
    }
    return done();
}

Status copy_host_file(const std::string& host_path, int dir, const std::string& name) {
    UniqueFd source(open(host_path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!source)
        return sys_error(fmt::format("open({})", host_path));
    std::string content;
    char buffer[65536];
    for (;;) {
        const auto n = read(source.get(), buffer, sizeof(buffer));
        if (n < 0)
            return sys_error(fmt::format("read({})", host_path));
        if (n == 0)
            break;
        content.append(buffer, static_cast<size_t>(n));
    }
    return write_file_beneath(dir, name, content, 0644);
}

Status populate_etc(const RootLayout& layout, int root) {
    auto etc = make_dirs_beneath(root, "etc");
    if (!etc)
        return etc.error();
    for (const auto& file : layout.etc) {
        if (auto status = write_file_beneath(etc->get(), file.name, file.content, 0644); !status)
            return status;
    }
    for (const auto entry : host_etc_entries()) {
        const std::string name(entry);
        // Small files are copied: cheaper than a mount each, and the copy is
        // the sandbox's own.
        struct stat info = {};
        if (lstat(("/etc/" + name).c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
            info.st_size <= (1 << 20)) {
            if (auto status = copy_host_file("/etc/" + name, etc->get(), name); !status)
                return status;
            continue;
        }
        if (auto status = mirror_host_path("/etc/" + name, root, "etc/" + name); !status)
            return status;
    }
    return make_symlink(root, "etc/mtab", "../proc/self/mounts");
}

// Entries of a fresh /proc that reveal or control the host kernel: hidden
// behind /dev/null (files) or an empty read-only tmpfs (directories), as
// container runtimes do.
constexpr std::array<std::string_view, 7> kMaskedProcFiles = {
    "kcore", "keys", "timer_list", "sched_debug", "latency_stats", "kallsyms", "sysrq-trigger",
};
constexpr std::array<std::string_view, 4> kMaskedProcDirs = {"acpi", "asound", "scsi", "driver"};
constexpr std::array<std::string_view, 4> kReadOnlyProcDirs = {"sys", "irq", "bus", "fs"};

Status mask_proc(int root, bool keep_driver) {
    auto proc = open_beneath(root, "proc", O_PATH | O_DIRECTORY);
    if (!proc)
        return proc.error();
    for (const auto name : kReadOnlyProcDirs) {
        const std::string path(name);
        auto target = open_beneath(proc->get(), path, O_PATH | O_DIRECTORY);
        if (!target)
            continue;
        auto tree = clone_tree(
            target->get(), "", true,
            MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        if (!tree)
            return tree.error();
        if (move_mount(tree->get(), "", target->get(), "",
                       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
            return sys_error("move_mount(read-only /proc/" + path + ")");
    }
    for (const auto name : kMaskedProcFiles) {
        const std::string path(name);
        auto target = open_beneath(proc->get(), path, O_PATH | O_NOFOLLOW);
        if (!target)
            continue;
        auto null = clone_tree(AT_FDCWD, "/dev/null", false, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID);
        if (!null)
            return null.error();
        if (move_mount(null->get(), "", target->get(), "",
                       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
            return sys_error("move_mount(/dev/null over /proc/" + path + ")");
    }
    for (const auto name : kMaskedProcDirs) {
        const std::string path(name);
        if (keep_driver && path == "driver")
            continue;  // GPU drivers publish their state there
        auto target = open_beneath(proc->get(), path, O_PATH | O_DIRECTORY);
        if (!target)
            continue;
        auto empty = new_filesystem(
            "tmpfs", {{"size", "4k"}, {"mode", "0555"}},
            MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        if (!empty)
            return empty.error();
        if (move_mount(empty->get(), "", target->get(), "",
                       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
            return sys_error("move_mount(empty tmpfs over /proc/" + path + ")");
    }
    return done();
}

Status mount_proc(const RootLayout& layout, int root) {
    if (auto status = mount_filesystem(root, "/proc", "proc", {},
                                       MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        !status)
        return status;
    return mask_proc(root, layout.gpu);
}

Status mount_dev(const RootLayout& layout, int root) {
    if (auto status = mount_filesystem(root, "/dev", "tmpfs", {{"size", "64k"}, {"mode", "0755"}},
                                       MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
        !status)
        return status;
    for (const auto& node : layout.device_nodes) {
        if (auto status = bind({"/dev/" + node, "/dev/" + node, true, true}, root); !status)
            return status;
    }
    // A private pts instance: the command's terminal, invisible to and from
    // the host's terminals.
    if (auto status =
            mount_filesystem(root, "/dev/pts", "devpts",
                             {{"newinstance", ""}, {"ptmxmode", "0666"}, {"mode", "0620"}},
                             MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
        !status)
        return status;
    if (auto status =
            mount_filesystem(root, "/dev/shm", "tmpfs",
                             {{"size", std::to_string(layout.shm_bytes)}, {"mode", "1777"}},
                             MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
        !status)
        return status;
    const std::array<std::pair<const char*, const char*>, 5> links = {{
        {"/dev/ptmx", "pts/ptmx"},
        {"/dev/fd", "/proc/self/fd"},
        {"/dev/stdin", "/proc/self/fd/0"},
        {"/dev/stdout", "/proc/self/fd/1"},
        {"/dev/stderr", "/proc/self/fd/2"},
    }};
    for (const auto& [link, target] : links) {
        if (auto status = make_symlink(root, link, target); !status)
            return status;
    }
    return done();
}

Status mount_home(const RootLayout& layout, int root) {
    if (auto status =
            mount_filesystem(root, layout.home, "tmpfs",
                             {{"size", std::to_string(layout.home_bytes)}, {"mode", "0750"}},
                             MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
        !status)
        return status;
    auto home = open_beneath(root, relative(layout.home), O_PATH | O_DIRECTORY);
    if (!home)
        return home.error();
    for (const auto& file : layout.home_files) {
        if (auto status = write_file_beneath(home->get(), file.path, file.content, file.mode);
            !status)
            return Error{fmt::format("writing ~/{}: {}", file.path, status.error().message)};
    }
    return done();
}

Status mount_workspace(const RootLayout& layout, int root) {
    const unsigned attributes = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    switch (layout.workspace_mode) {
        case WorkspaceMode::overlay: {
            // LIMITATION: only the invoking user and group are mapped, so an
            // unprivileged run cannot modify project files owned by another
            // user or group (the copy-up fails with EOVERFLOW).
            // The real project is the read-only lower layer; every write
            // lands in the upper layer, which hazmat lists and applies only
            // on request. "userxattr" is what an overlay mounted inside a
            // user namespace uses for its whiteouts and opaque directories.
            // LIMITATION: a run's own layer is mounted "volatile" (not synced
            // when the sandbox ends); after a host crash its unapplied changes
            // may be incomplete. Kept layers (--keep) are synced.
            std::vector<FsOption> options = {
                {"lowerdir", escape_overlay_path(layout.project.string())},
                {"upperdir", layout.upper.string()},
                {"workdir", layout.work.string()},
                {"userxattr", ""}};
            if (layout.volatile_upper)
                options.push_back({"volatile", ""});
            auto mount = new_filesystem("overlay", options, attributes);
            if (!mount && layout.volatile_upper) {
                options.pop_back();  // kernels before 5.10 lack "volatile"
                mount = new_filesystem("overlay", options, attributes);
            }
            if (!mount)
                return mount.error();
            return attach(mount->get(), root, layout.workspace, true, "workspace overlay");
        }
        case WorkspaceMode::writable:
            return bind({layout.project, layout.workspace, true, false}, root);
        case WorkspaceMode::read_only:
            return bind({layout.project, layout.workspace, false, false}, root);
    }
    return done();
}

Status prepare_skeleton(int root) {
    for (const char* dir : {"run", "var", "mnt", "srv", "root"}) {
        auto made = make_dirs_beneath(root, dir, 0755);
        if (!made)
            return made.error();
    }
    return make_symlink(root, "/var/tmp", "../tmp");
}

}  // namespace

std::string escape_overlay_path(const std::string& path) {
    std::string out;
    for (const char c : path) {
        if (c == ':' || c == '\\' || c == ',')
            out += '\\';
        out += c;
    }
    return out;
}

Status build_root(const RootLayout& layout) {
    // Nothing mounted from here on may propagate back to the host.
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return sys_error("mount(/, MS_REC|MS_PRIVATE)");

    auto root_fs = new_filesystem("tmpfs", {{"size", "16m"}, {"mode", "0755"}},
                                  MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
    if (!root_fs)
        return root_fs.error();
    if (move_mount(root_fs->get(), "", AT_FDCWD, layout.mount_point.c_str(),
                   MOVE_MOUNT_F_EMPTY_PATH) != 0)
        return sys_error(
            fmt::format("move_mount(root tmpfs onto {})", layout.mount_point.string()));
    UniqueFd root(open(layout.mount_point.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!root)
        return sys_error(fmt::format("open({})", layout.mount_point.string()));

    using Step = Status (*)(const RootLayout&, int);
    const std::array<std::pair<const char*, Step>, 9> steps = {{
        {"system directories", [](const RootLayout&, int r) { return mount_system_dirs(r); }},
        {"skeleton", [](const RootLayout&, int r) { return prepare_skeleton(r); }},
        {"/etc", populate_etc},
        {"/proc", mount_proc},
        {"/dev", mount_dev},
        {"/tmp",
         [](const RootLayout& l, int r) {
             return mount_filesystem(r, "/tmp", "tmpfs",
                                     {{"size", std::to_string(l.tmp_bytes)}, {"mode", "1777"}},
                                     MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
         }},
        {"home", mount_home},
        {"workspace", mount_workspace},
        {"sysfs",
         [](const RootLayout& l, int r) {
             if (!l.mask_sysfs_cpu)
                 return done();
             // CPU topology only: libraries size their thread pools from it.
             return mirror_host_path("/sys/devices/system/cpu", r, "sys/devices/system/cpu");
         }},
    }};
    for (const auto& [name, step] : steps) {
        if (auto status = step(layout, root.get()); !status)
            return Error{fmt::format("preparing {}: {}", name, status.error().message)};
    }
    for (const auto& extra : layout.binds) {
        if (auto status = bind(extra, root.get()); !status)
            return Error{
                fmt::format("binding {}: {}", extra.source.string(), status.error().message)};
    }
    return done();
}

Status enter_root(const RootLayout& layout) {
    if (chdir(layout.mount_point.c_str()) != 0)
        return sys_error(fmt::format("chdir({})", layout.mount_point.string()));
    // pivot_root(".", ".") stacks the old root on top of the new one;
    // detaching it leaves no path from inside back to the host's tree.
    if (syscall(SYS_pivot_root, ".", ".") != 0)
        return sys_error("pivot_root(., .)");
    if (umount2(".", MNT_DETACH) != 0)
        return sys_error("umount2(old root, MNT_DETACH)");
    if (chdir("/") != 0)
        return sys_error("chdir(/)");
    // The root directory itself stays read-only: the command writes only to
    // the workspace, its home, /tmp and /dev/shm.
    struct mount_attr attr = {};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    if (mount_setattr(AT_FDCWD, "/", 0, &attr, sizeof(attr)) != 0)
        return sys_error("mount_setattr(/, read-only)");
    return done();
}

}  // namespace hazmat::sandbox
