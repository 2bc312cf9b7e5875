#include "sandbox/host_support.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "sandbox/landlock.hpp"
#include "sandbox/limits.hpp"
#include "sandbox/state_store.hpp"
#include "sandbox/user_namespace.hpp"

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

namespace hazmat::sandbox {

namespace fs = std::filesystem;

namespace {

std::optional<long> read_number(const char* path) {
    std::ifstream in(path);
    long value = 0;
    if (in >> value)
        return value;
    return std::nullopt;
}

// Runs `body` in a child process and returns its exit status (the body
// returns an errno, 0 for success); the child cannot disturb hazmat.
int in_child(const std::function<int()>& body) {
    const pid_t pid = fork();
    if (pid == 0)
        _exit(body());
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

// Enters a new user namespace with this user mapped, as `hazmat run` does.
int enter_user_namespace() {
    const uid_t uid = getuid();
    const gid_t gid = getgid();
    if (unshare(CLONE_NEWUSER) != 0)
        return errno;
    const auto write = [](const char* file, const std::string& text) {
        const int fd = open(file, O_WRONLY);
        if (fd < 0)
            return false;
        const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
        close(fd);
        return ok;
    };
    if (!write("/proc/self/setgroups", "deny") ||
        !write("/proc/self/uid_map", fmt::format("0 {} 1", uid)) ||
        !write("/proc/self/gid_map", fmt::format("0 {} 1", gid)))
        return errno ? errno : EPERM;
    return 0;
}

LayerCheck check_user_namespaces() {
    LayerCheck check;
    check.layer = "unprivileged user namespaces";
    const auto max = read_number("/proc/sys/user/max_user_namespaces");
    const auto debian_switch = read_number("/proc/sys/kernel/unprivileged_userns_clone");
    const auto apparmor = read_number("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
    const int error = in_child(enter_user_namespace);
    if (error == 0) {
        check.state = LayerCheck::State::available;
        check.detail = fmt::format("a user namespace with this user mapped can be created{}",
                                   geteuid() == 0 ? " (running as root)" : "");
        return check;
    }
    check.detail = fmt::format("unshare(CLONE_NEWUSER) failed: {}", std::strerror(error));
    if (max && *max == 0) {
        check.advice =
            "user.max_user_namespaces is 0; an administrator can allow them with "
            "'sysctl user.max_user_namespaces=15000'.";
    } else if (debian_switch && *debian_switch == 0) {
        check.advice =
            "kernel.unprivileged_userns_clone is 0 (a Debian/Ubuntu switch); an "
            "administrator can set it to 1 with sysctl.";
    } else if (apparmor && *apparmor == 1) {
        check.advice =
            "AppArmor restricts unprivileged user namespaces "
            "(kernel.apparmor_restrict_unprivileged_userns=1, Ubuntu 23.10 and later). "
            "An administrator can install an AppArmor profile for the hazmat binary "
            "that allows 'userns,' (see docs/sandbox.md), or set the sysctl to 0.";
    } else {
        check.advice =
            "Something on this host (a seccomp policy of a container, an LSM) refuses "
            "user namespaces; run hazmat directly on the host, or ask the administrator.";
    }
    return check;
}

LayerCheck check_namespaces() {
    LayerCheck check;
    check.layer = "mount, PID, IPC, UTS, network, cgroup and time namespaces";
    const int error = in_child([] {
        if (const int e = enter_user_namespace(); e != 0)
            return e;
        const int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET |
                          CLONE_NEWCGROUP;
        if (unshare(flags) != 0)
            return errno;
        if (unshare(0x00000080 /* CLONE_NEWTIME */) != 0)
            return errno + 100;
        return 0;
    });
    if (error == 0) {
        check.state = LayerCheck::State::available;
        check.detail = "all can be created inside the user namespace";
    } else if (error > 100 && error < 200) {
        check.state = LayerCheck::State::degraded;
        check.required = false;
        check.detail = "no time namespace: the sandbox shows the host's uptime";
    } else {
        check.detail = fmt::format("unshare failed: {}", std::strerror(error));
        check.advice = "The kernel lacks a namespace type (CONFIG_*_NS) or a policy blocks it.";
    }
    return check;
}

LayerCheck check_overlay() {
    LayerCheck check;
    check.layer = "overlayfs in a user namespace";
    auto state = state_root();
    if (!state) {
        check.detail = state.error().message;
        return check;
    }
    const auto dir = *state / fmt::format("doctor-{}", getpid());
    std::error_code ec;
    for (const char* sub : {"lower", "upper", "work", "merged"})
        fs::create_directories(dir / sub, ec);
    std::ofstream(dir / "lower" / "file") << "x";
    const int error = in_child([&] {
        if (const int e = enter_user_namespace(); e != 0)
            return e;
        if (unshare(CLONE_NEWNS) != 0)
            return errno;
        const auto options =
            fmt::format("lowerdir={},upperdir={},workdir={},userxattr", (dir / "lower").string(),
                        (dir / "upper").string(), (dir / "work").string());
        if (mount("overlay", (dir / "merged").c_str(), "overlay", 0, options.c_str()) != 0)
            return errno;
        // A deletion needs a whiteout in the upper layer.
        if (unlink((dir / "merged" / "file").c_str()) != 0)
            return errno;
        return 0;
    });
    (void)remove_tree(dir);
    if (error == 0) {
        check.state = LayerCheck::State::available;
        check.detail = fmt::format("works on the file system holding {}", state->string());
    } else {
        check.detail = fmt::format("mounting an overlay on {} failed: {}", state->string(),
                                   std::strerror(error));
        check.advice =
            "Kernels before 5.11 cannot mount overlayfs in a user namespace, and the "
            "upper layer needs a file system with user extended attributes (ext4, "
            "xfs, btrfs, tmpfs from 6.6). Set HAZMAT_STATE_DIR to such a file system, "
            "or run with --workspace rw or ro.";
    }
    return check;
}

LayerCheck check_landlock() {
    LayerCheck check;
    check.layer = "Landlock";
    const int abi = landlock_abi();
    if (abi == 0) {
        check.detail = "not available";
        check.advice =
            "Landlock needs kernel 5.13 or later with CONFIG_SECURITY_LANDLOCK and "
            "'landlock' in the lsm= boot parameter (see /sys/kernel/security/lsm).";
        return check;
    }
    check.state = abi >= 6 ? LayerCheck::State::available : LayerCheck::State::degraded;
    check.detail = fmt::format("ABI {}{}", abi,
                               abi >= 6   ? " (file access, truncation, device ioctls, abstract "
                                            "socket and signal scoping)"
                               : abi >= 3 ? "; no abstract-socket and signal scoping before ABI 6 "
                                            "(the namespaces confine both)"
                                          : "; no truncation control before ABI 3");
    if (abi < 6)
        check.advice = "A kernel of 6.12 or later offers Landlock ABI 6.";
    return check;
}

// A filter that notifies nothing hazmat uses here (it is never triggered):
// enough to get a listener and try its flags.
int try_notification_listener(bool* sync_wake_up) {
    struct sock_filter allow_all[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    struct sock_fprog program = {1, allow_all};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return errno;
    const long listener =
        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &program);
    if (listener < 0)
        return errno;
    *sync_wake_up = ioctl(static_cast<int>(listener), SECCOMP_IOCTL_NOTIF_SET_FLAGS,
                          SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0;
    return *sync_wake_up ? 0 : 200;
}

LayerCheck check_seccomp() {
    LayerCheck check;
    check.layer = "seccomp filter with user notification";
    const int result = in_child([] {
        bool sync = false;
        return try_notification_listener(&sync);
    });
    if (result == 0) {
        check.state = LayerCheck::State::available;
        check.detail = "available, with synchronous wake-up (kernel 6.6+)";
    } else if (result == 200) {
        check.state = LayerCheck::State::available;
        check.detail =
            "available; no synchronous wake-up before kernel 6.6 (notified syscalls "
            "cost more)";
    } else {
        check.detail = fmt::format("seccomp(NEW_LISTENER) failed: {}", std::strerror(result));
        check.advice =
            "User notification needs kernel 5.0 or later; without it, run with "
            "--allow-degraded (isolation only, nothing recorded).";
    }
    return check;
}

LayerCheck check_cgroups() {
    LayerCheck check;
    check.layer = "resource limits";
    check.required = false;
    ResourceLimits limits = ResourceLimits::defaults();
    auto controller = ResourceController::create(limits, fmt::format("doctor-{}", getpid()));
    if (!controller) {
        check.state = LayerCheck::State::degraded;
        check.detail = controller.error().message;
        return check;
    }
    const auto& mechanisms = controller->mechanisms();
    controller->remove();
    check.detail =
        fmt::format("memory by {}, processes by {}", mechanisms.memory, mechanisms.processes);
    if (mechanisms.memory.starts_with("cgroup")) {
        check.state = LayerCheck::State::available;
    } else {
        check.state = LayerCheck::State::degraded;
        check.advice =
            "No cgroup this user may write: memory is bounded per process only. With "
            "systemd, run hazmat under a delegated scope ('systemd-run --user --scope "
            "-p Delegate=yes hazmat run ...'), or as root for cgroup v1 controllers.";
    }
    return check;
}

}  // namespace

std::vector<LayerCheck> check_host_support() {
    std::vector<LayerCheck> checks;
    checks.push_back(check_user_namespaces());
    if (checks.back().state == LayerCheck::State::available) {
        checks.push_back(check_namespaces());
        checks.push_back(check_overlay());
    }
    checks.push_back(check_landlock());
    checks.push_back(check_seccomp());
    checks.push_back(check_cgroups());
    return checks;
}

}  // namespace hazmat::sandbox
