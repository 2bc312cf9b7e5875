#include "sandbox/seccomp_filter.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "sandbox/unique_fd.hpp"

// The installed kernel headers (6.1) predate this flag (6.0 has it, but be
// explicit for older build hosts): a notified task waits killably once the
// supervisor has received its notification, so a signal cannot make it
// restart the syscall forever.
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

namespace hazmat::sandbox {

namespace {

// Syscalls an ordinary program (Python, its native extensions, compilers,
// shells, package managers, ML runtimes) needs, allowed in the kernel.
constexpr std::array kAllowed = std::to_array<std::string_view>({
    // files and descriptors
    "read",
    "write",
    "close",
    "stat",
    "fstat",
    "lstat",
    "newfstatat",
    "statx",
    "poll",
    "ppoll",
    "lseek",
    "pread64",
    "pwrite64",
    "readv",
    "writev",
    "preadv",
    "pwritev",
    "preadv2",
    "pwritev2",
    "access",
    "faccessat",
    "faccessat2",
    "pipe",
    "pipe2",
    "select",
    "pselect6",
    "dup",
    "dup2",
    "dup3",
    "fcntl",
    "flock",
    "fsync",
    "fdatasync",
    "sync",
    "syncfs",
    "sync_file_range",
    "truncate",
    "ftruncate",
    "fallocate",
    "fadvise64",
    "readahead",
    "getdents",
    "getdents64",
    "getcwd",
    "chdir",
    "fchdir",
    "rename",
    "renameat",
    "renameat2",
    "mkdir",
    "mkdirat",
    "rmdir",
    "link",
    "linkat",
    "unlink",
    "unlinkat",
    "symlink",
    "symlinkat",
    "readlink",
    "readlinkat",
    "chmod",
    "fchmod",
    "fchmodat",
    "chown",
    "fchown",
    "lchown",
    "fchownat",
    "umask",
    "utime",
    "utimes",
    "utimensat",
    "futimesat",
    "mknod",
    "mknodat",
    "statfs",
    "fstatfs",
    "sendfile",
    "splice",
    "tee",
    "vmsplice",
    "copy_file_range",
    "close_range",
    "setxattr",
    "lsetxattr",
    "fsetxattr",
    "getxattr",
    "lgetxattr",
    "fgetxattr",
    "listxattr",
    "llistxattr",
    "flistxattr",
    "removexattr",
    "lremovexattr",
    "fremovexattr",
    "inotify_init",
    "inotify_init1",
    "inotify_add_watch",
    "inotify_rm_watch",
    "memfd_create",
    "name_to_handle_at",
    // memory
    "mmap",
    "mprotect",
    "munmap",
    "mremap",
    "msync",
    "mincore",
    "madvise",
    "brk",
    "mlock",
    "mlock2",
    "munlock",
    "mlockall",
    "munlockall",
    "remap_file_pages",
    "mbind",
    "set_mempolicy",
    "get_mempolicy",
    "set_mempolicy_home_node",
    "pkey_mprotect",
    "pkey_alloc",
    "pkey_free",
    "membarrier",
    // processes, threads, signals
    "fork",
    "vfork",
    "exit",
    "exit_group",
    "wait4",
    "waitid",
    "kill",
    "tkill",
    "tgkill",
    "getpid",
    "getppid",
    "gettid",
    "getpgid",
    "setpgid",
    "getpgrp",
    "getsid",
    "setsid",
    "set_tid_address",
    "set_robust_list",
    "get_robust_list",
    "futex",
    "futex_waitv",
    "rseq",
    "restart_syscall",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "rt_sigpending",
    "rt_sigtimedwait",
    "rt_sigqueueinfo",
    "rt_tgsigqueueinfo",
    "rt_sigsuspend",
    "sigaltstack",
    "pause",
    "pidfd_open",
    "pidfd_send_signal",
    "prctl",
    "arch_prctl",
    "seccomp",
    "landlock_create_ruleset",
    "landlock_add_rule",
    "landlock_restrict_self",
    "capget",
    "capset",
    // identity (without capabilities these can only keep or drop ids)
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "getresuid",
    "getresgid",
    "getgroups",
    "setuid",
    "setgid",
    "setreuid",
    "setregid",
    "setresuid",
    "setresgid",
    "setfsuid",
    "setfsgid",
    "setgroups",
    // scheduling and resources
    "sched_yield",
    "sched_setparam",
    "sched_getparam",
    "sched_setscheduler",
    "sched_getscheduler",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_rr_get_interval",
    "sched_setaffinity",
    "sched_getaffinity",
    "sched_setattr",
    "sched_getattr",
    "getpriority",
    "setpriority",
    "ioprio_get",
    "ioprio_set",
    "getrlimit",
    "setrlimit",
    "prlimit64",
    "getrusage",
    "sysinfo",
    "times",
    "uname",
    "getcpu",
    // time
    "nanosleep",
    "clock_nanosleep",
    "clock_gettime",
    "clock_getres",
    "gettimeofday",
    "time",
    "getitimer",
    "setitimer",
    "alarm",
    "timer_create",
    "timer_settime",
    "timer_gettime",
    "timer_getoverrun",
    "timer_delete",
    "timerfd_create",
    "timerfd_settime",
    "timerfd_gettime",
    "adjtimex",
    // event notification
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
    "eventfd",
    "eventfd2",
    "signalfd",
    "signalfd4",
    // asynchronous I/O (the old interface; io_uring is denied)
    "io_setup",
    "io_destroy",
    "io_getevents",
    "io_pgetevents",
    "io_submit",
    "io_cancel",
    // System V and POSIX IPC (private to the IPC namespace)
    "shmget",
    "shmat",
    "shmdt",
    "shmctl",
    "semget",
    "semop",
    "semtimedop",
    "semctl",
    "msgget",
    "msgsnd",
    "msgrcv",
    "msgctl",
    "mq_open",
    "mq_unlink",
    "mq_timedsend",
    "mq_timedreceive",
    "mq_notify",
    "mq_getsetattr",
    // sockets (creation is filtered by family below)
    // LIMITATION: sendmsg and sendmmsg are allowed unwatched (the command's
    // process hands hazmat the notification descriptor with sendmsg before
    // execve), so their destination addresses are not recorded; connect and
    // sendto are, and the namespace lets none of them out.
    "accept",
    "accept4",
    "recvfrom",
    "recvmsg",
    "recvmmsg",
    "sendmsg",
    "sendmmsg",
    "shutdown",
    "getsockname",
    "getpeername",
    "setsockopt",
    "getsockopt",
    // randomness
    "getrandom",
});

// Syscalls newer than the libseccomp this was built against knows, by
// x86_64 number.
struct NumberedSyscall {
    std::string_view name;
    int number;
};
constexpr std::array kAllowedX8664ByNumber = std::to_array<NumberedSyscall>({
    {"uretprobe", 335},
    {"cachestat", 451},
    {"fchmodat2", 452},
    {"map_shadow_stack", 453},
    {"futex_wake", 454},
    {"futex_wait", 455},
    {"futex_requeue", 456},
    {"mseal", 462},
    {"setxattrat", 463},
    {"getxattrat", 464},
    {"listxattrat", 465},
    {"removexattrat", 466},
    {"file_getattr", 468},
    {"file_setattr", 469},
});

// The telling syscalls the supervisor records and lets through.
constexpr std::array kWatched = std::to_array<std::string_view>({
    "execve",
    "execveat",
    "connect",
    "sendto",
    "bind",
    "listen",
    "open",
    "openat",
    "openat2",
    "creat",
});

// Kernel surfaces an ML workload never needs, by kind.
struct Denied {
    std::string_view name;
    std::string_view kind;
    int error;
};
constexpr std::array kDenied = std::to_array<Denied>({
    {"ptrace", "process inspection", EPERM},
    {"process_vm_readv", "process inspection", EPERM},
    {"process_vm_writev", "process inspection", EPERM},
    {"kcmp", "process inspection", EPERM},
    {"pidfd_getfd", "process inspection", EPERM},
    {"process_madvise", "process inspection", EPERM},
    {"process_mrelease", "process inspection", EPERM},
    {"keyctl", "kernel keyring", EPERM},
    {"add_key", "kernel keyring", EPERM},
    {"request_key", "kernel keyring", EPERM},
    {"bpf", "BPF programs", EPERM},
    {"perf_event_open", "performance events", EPERM},
    {"userfaultfd", "userfaultfd", EPERM},
    {"init_module", "kernel modules", EPERM},
    {"finit_module", "kernel modules", EPERM},
    {"delete_module", "kernel modules", EPERM},
    {"kexec_load", "kernel modules", EPERM},
    {"kexec_file_load", "kernel modules", EPERM},
    {"mount", "mounts", EPERM},
    {"umount2", "mounts", EPERM},
    {"pivot_root", "mounts", EPERM},
    {"chroot", "mounts", EPERM},
    {"move_mount", "mounts", EPERM},
    {"open_tree", "mounts", EPERM},
    {"fsopen", "mounts", EPERM},
    {"fsconfig", "mounts", EPERM},
    {"fsmount", "mounts", EPERM},
    {"fspick", "mounts", EPERM},
    {"mount_setattr", "mounts", EPERM},
    {"unshare", "namespace creation", EPERM},
    {"setns", "namespace creation", EPERM},
    {"clone", "namespace creation", EPERM},
    {"io_uring_setup", "io_uring", ENOSYS},
    {"io_uring_enter", "io_uring", ENOSYS},
    {"io_uring_register", "io_uring", ENOSYS},
    {"socket", "socket family", EPERM},
    {"socketpair", "socket family", EPERM},
    {"ioctl", "terminal injection", EPERM},
    {"personality", "personality change", EPERM},
    {"open_by_handle_at", "file handles", EPERM},
    {"fanotify_init", "file system monitoring", EPERM},
    {"fanotify_mark", "file system monitoring", EPERM},
    {"memfd_secret", "memory hidden from the kernel", EPERM},
    {"migrate_pages", "memory placement of other processes", EPERM},
    {"move_pages", "memory placement of other processes", EPERM},
    {"reboot", "system control", EPERM},
    {"swapon", "system control", EPERM},
    {"swapoff", "system control", EPERM},
    {"sethostname", "system control", EPERM},
    {"setdomainname", "system control", EPERM},
    {"settimeofday", "system control", EPERM},
    {"clock_settime", "system control", EPERM},
    {"clock_adjtime", "system control", EPERM},
    {"acct", "system control", EPERM},
    {"quotactl", "system control", EPERM},
    {"quotactl_fd", "system control", EPERM},
    {"syslog", "system control", EPERM},
    {"vhangup", "system control", EPERM},
    {"iopl", "system control", EPERM},
    {"ioperm", "system control", EPERM},
    {"modify_ldt", "system control", EPERM},
    {"lookup_dcookie", "system control", EPERM},
});

constexpr std::array kDeniedX8664ByNumber = std::to_array<NumberedSyscall>({
    {"open_tree_attr", 467},
});

// Namespace flags of clone() and unshare(). CLONE_NEWTIME shares its bit
// with the exit signal in clone(), so it only matters for unshare().
constexpr uint64_t kCloneNamespaceFlags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS |
                                          CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                                          CLONE_NEWNET;
constexpr uint64_t kCloneNewTime = 0x00000080;

// ioctl requests that push input into a terminal or take it over
// (CVE-2017-5226 and the TIOCSTI sandbox escapes that followed).
constexpr uint32_t kTiocsti = 0x5412;
constexpr uint32_t kTioclinux = 0x541C;
constexpr uint32_t kTioccons = 0x541D;
constexpr uint32_t kTiocsetd = 0x5423;

constexpr int kMptcp = 262;

bool is_x86_64() {
    return seccomp_arch_native() == SCMP_ARCH_X86_64;
}

int resolve(std::string_view name) {
    return seccomp_syscall_resolve_name(std::string(name).c_str());
}

using FilterContext = std::unique_ptr<void, decltype(&seccomp_release)>;

Status add_rule(scmp_filter_ctx ctx, uint32_t action, int number, std::string_view name,
                std::initializer_list<scmp_arg_cmp> conditions = {}) {
    const int rc =
        seccomp_rule_add_array(ctx, action, number, static_cast<unsigned>(conditions.size()),
                               conditions.size() ? conditions.begin() : nullptr);
    if (rc != 0)
        return Error{fmt::format("seccomp_rule_add({}): {}", name, std::strerror(-rc))};
    return done();
}

scmp_arg_cmp low32_equals(unsigned arg, uint32_t value, uint32_t mask = 0xffffffffu) {
    return SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, mask, value);
}

// Argument-dependent allowances: socket families, clone/unshare without
// namespace flags, personality queries, ioctl minus terminal injection,
// sendto without an address (a connected socket; with an address it is
// watched).
Status add_conditional_rules(scmp_filter_ctx ctx) {
    const auto allow = SCMP_ACT_ALLOW;
    const int socket = resolve("socket");
    const int socketpair = resolve("socketpair");
    // Unix, IPv4/IPv6 with ordinary protocols (never MPTCP), and read-only
    // routing netlink (glibc's getaddrinfo asks it for interface addresses).
    if (auto s = add_rule(ctx, allow, socket, "socket", {low32_equals(0, AF_UNIX)}); !s)
        return s;
    for (const int family : {AF_INET, AF_INET6}) {
        for (const int protocol : {0, int(IPPROTO_TCP), int(IPPROTO_UDP),
                                   family == AF_INET ? int(IPPROTO_ICMP) : int(IPPROTO_ICMPV6)}) {
            if (auto s = add_rule(ctx, allow, socket, "socket",
                                  {low32_equals(0, static_cast<uint32_t>(family)),
                                   low32_equals(2, static_cast<uint32_t>(protocol))});
                !s)
                return s;
        }
    }
    if (auto s = add_rule(ctx, allow, socket, "socket",
                          {low32_equals(0, AF_NETLINK), low32_equals(2, 0 /* NETLINK_ROUTE */)});
        !s)
        return s;
    if (auto s = add_rule(ctx, allow, socketpair, "socketpair", {low32_equals(0, AF_UNIX)}); !s)
        return s;

    // clone() takes its flags from the low 32 bits.
    if (auto s = add_rule(ctx, allow, resolve("clone"), "clone",
                          {low32_equals(0, 0, static_cast<uint32_t>(kCloneNamespaceFlags))});
        !s)
        return s;
    if (auto s = add_rule(ctx, allow, resolve("unshare"), "unshare",
                          {SCMP_A0(SCMP_CMP_MASKED_EQ, kCloneNamespaceFlags | kCloneNewTime, 0)});
        !s)
        return s;
    // personality(0xffffffff) queries; personality(PER_LINUX) keeps the default.
    for (const uint32_t persona : {0u, 0xffffffffu}) {
        if (auto s = add_rule(ctx, allow, resolve("personality"), "personality",
                              {low32_equals(0, persona)});
            !s)
            return s;
    }
    // The kernel reads the request as a 32-bit value, so the comparison
    // ignores the high half: TIOCSTI | (1 << 32) is still TIOCSTI.
    for (const auto& [mask, value] :
         low32_blocks_excluding({kTiocsti, kTioclinux, kTioccons, kTiocsetd})) {
        if (auto s =
                add_rule(ctx, allow, resolve("ioctl"), "ioctl", {low32_equals(1, value, mask)});
            !s)
            return s;
    }
    return add_rule(ctx, allow, resolve("sendto"), "sendto", {SCMP_A4(SCMP_CMP_EQ, 0)});
}

Result<std::vector<struct sock_filter>> export_program(scmp_filter_ctx ctx) {
    UniqueFd memory(memfd_create("hazmat-seccomp", MFD_CLOEXEC));
    if (!memory)
        return sys_error("memfd_create(seccomp program)");
    if (const int rc = seccomp_export_bpf(ctx, memory.get()); rc != 0)
        return Error{fmt::format("seccomp_export_bpf: {}", std::strerror(-rc))};
    const auto size = lseek(memory.get(), 0, SEEK_END);
    if (size <= 0 || size % sizeof(struct sock_filter) != 0)
        return Error{"seccomp_export_bpf produced no program"};
    std::vector<struct sock_filter> program(static_cast<size_t>(size) / sizeof(struct sock_filter));
    if (pread(memory.get(), program.data(), static_cast<size_t>(size), 0) != size)
        return sys_error("pread(seccomp program)");
    return program;
}

struct SyscallTables {
    std::unordered_map<int, const Denied*> denied;
    std::unordered_map<int, bool> watched;
};

const SyscallTables& tables() {
    static const SyscallTables tables = [] {
        SyscallTables t;
        for (const auto& entry : kDenied) {
            const int number = resolve(entry.name);
            if (number >= 0)
                t.denied[number] = &entry;
        }
        if (is_x86_64()) {
            static const Denied kOpenTreeAttr{"open_tree_attr", "mounts", EPERM};
            for (const auto& entry : kDeniedX8664ByNumber)
                t.denied[entry.number] = &kOpenTreeAttr;
        }
        for (const auto name : kWatched) {
            const int number = resolve(name);
            if (number >= 0)
                t.watched[number] = true;
        }
        return t;
    }();
    return tables;
}

std::string flag_names(uint64_t flags) {
    static constexpr std::array<std::pair<uint64_t, std::string_view>, 8> kNames = {{
        {CLONE_NEWUSER, "CLONE_NEWUSER"},
        {CLONE_NEWNS, "CLONE_NEWNS"},
        {CLONE_NEWPID, "CLONE_NEWPID"},
        {CLONE_NEWNET, "CLONE_NEWNET"},
        {CLONE_NEWIPC, "CLONE_NEWIPC"},
        {CLONE_NEWUTS, "CLONE_NEWUTS"},
        {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
        {kCloneNewTime, "CLONE_NEWTIME"},
    }};
    std::string out;
    for (const auto& [bit, name] : kNames) {
        if (flags & bit) {
            if (!out.empty())
                out += '|';
            out += name;
        }
    }
    return out;
}

std::string family_name(uint32_t family) {
    switch (family) {
        case AF_PACKET:
            return "AF_PACKET";
        case AF_VSOCK:
            return "AF_VSOCK";
        case AF_ALG:
            return "AF_ALG";
        case AF_NETLINK:
            return "AF_NETLINK";
        case AF_BLUETOOTH:
            return "AF_BLUETOOTH";
        case AF_KEY:
            return "AF_KEY";
        case AF_XDP:
            return "AF_XDP";
        case AF_INET:
            return "AF_INET";
        case AF_INET6:
            return "AF_INET6";
        case AF_TIPC:
            return "AF_TIPC";
        case AF_RDS:
            return "AF_RDS";
        default:
            return fmt::format("family {}", family);
    }
}

}  // namespace

std::vector<std::pair<uint32_t, uint32_t>> low32_blocks_excluding(std::vector<uint32_t> excluded) {
    std::sort(excluded.begin(), excluded.end());
    std::vector<std::pair<uint32_t, uint32_t>> blocks;
    // Split the 32-bit space like a binary trie: a block without an
    // excluded value is emitted whole, one with an excluded value is split.
    const auto cover = [&](auto&& self, uint32_t value, int prefix_bits) -> void {
        const uint32_t mask = prefix_bits == 0 ? 0u : ~0u << (32 - prefix_bits);
        const bool contains = std::any_of(excluded.begin(), excluded.end(),
                                          [&](uint32_t e) { return (e & mask) == value; });
        if (!contains) {
            blocks.emplace_back(mask, value);
            return;
        }
        if (prefix_bits == 32)
            return;
        const uint32_t bit = 1u << (31 - prefix_bits);
        self(self, value, prefix_bits + 1);
        self(self, value | bit, prefix_bits + 1);
    };
    cover(cover, 0, 0);
    return blocks;
}

Result<SeccompProgram> build_seccomp_program(bool monitored) {
    const uint32_t default_action = monitored ? SCMP_ACT_NOTIFY : SCMP_ACT_ERRNO(ENOSYS);
    FilterContext ctx(seccomp_init(default_action), &seccomp_release);
    if (!ctx)
        return Error{"seccomp_init failed"};
    // A syscall made through another architecture's entry (int 0x80 from a
    // 64-bit process) or with the x32 bit set would bypass a table written
    // for the native numbers: kill the process instead.
    if (seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) != 0 ||
        seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0) != 0 ||
        seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2) != 0)
        return Error{"seccomp_attr_set failed"};

    for (const auto name : kAllowed) {
        const int number = resolve(name);
        if (number < 0)
            continue;  // not a syscall on this architecture
        if (auto s = add_rule(ctx.get(), SCMP_ACT_ALLOW, number, name); !s)
            return s.error();
    }
    if (is_x86_64()) {
        for (const auto& entry : kAllowedX8664ByNumber) {
            if (resolve(entry.name) >= 0 && resolve(entry.name) != entry.number)
                continue;
            if (auto s = add_rule(ctx.get(), SCMP_ACT_ALLOW, entry.number, entry.name); !s)
                return s.error();
        }
    }
    if (auto s = add_conditional_rules(ctx.get()); !s)
        return s.error();
    // Without the monitor, ENOSYS is the default action already.
    if (monitored) {
        if (auto s = add_rule(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), resolve("clone3"), "clone3"); !s)
            return s.error();
    }

    if (!monitored) {
        for (const auto name : kWatched) {
            if (name == "sendto") {
                if (auto s = add_rule(ctx.get(), SCMP_ACT_ALLOW, resolve(name), name,
                                      {SCMP_A4(SCMP_CMP_NE, 0)});
                    !s)
                    return s.error();
                continue;
            }
            const int number = resolve(name);
            if (number < 0)
                continue;
            if (auto s = add_rule(ctx.get(), SCMP_ACT_ALLOW, number, name); !s)
                return s.error();
        }
        for (const auto& entry : kDenied) {
            const int number = resolve(entry.name);
            // Argument-filtered syscalls keep their conditional allowances;
            // their other uses fall to the default action.
            // ENOSYS entries need no rule: that is the default action.
            if (number < 0 || entry.error == ENOSYS || entry.kind == "socket family" ||
                entry.kind == "terminal injection" || entry.kind == "personality change" ||
                entry.kind == "namespace creation")
                continue;
            if (auto s = add_rule(ctx.get(), SCMP_ACT_ERRNO(static_cast<uint32_t>(entry.error)),
                                  number, entry.name);
                !s)
                return s.error();
        }
    }

    auto program = export_program(ctx.get());
    if (!program)
        return program.error();
    return SeccompProgram{std::move(*program), monitored};
}

namespace {

// FNV-1a over everything the program is built from: a change to a table,
// the library or the architecture names another cache file.
uint64_t program_key(bool monitored) {
    uint64_t hash = 1469598103934665603ull;
    const auto mix = [&](std::string_view text) {
        for (const unsigned char c : text) {
            hash ^= c;
            hash *= 1099511628211ull;
        }
        hash ^= 0xff;
        hash *= 1099511628211ull;
    };
    mix(monitored ? "monitored" : "kernel-only");
    mix("filter format 1");
    const auto* version = seccomp_version();
    mix(fmt::format("libseccomp {}.{}.{} arch {}", version->major, version->minor, version->micro,
                    seccomp_arch_native()));
    for (const auto name : kAllowed)
        mix(name);
    for (const auto& entry : kAllowedX8664ByNumber)
        mix(fmt::format("{}={}", entry.name, entry.number));
    for (const auto name : kWatched)
        mix(name);
    for (const auto& entry : kDenied)
        mix(fmt::format("{}/{}/{}", entry.name, entry.kind, entry.error));
    for (const auto& entry : kDeniedX8664ByNumber)
        mix(fmt::format("{}={}", entry.name, entry.number));
    return hash;
}

}  // namespace

Result<SeccompProgram> cached_seccomp_program(const std::filesystem::path& cache_dir,
                                              bool monitored) {
    const auto file = cache_dir / fmt::format("seccomp-{:016x}.bpf", program_key(monitored));
    {
        UniqueFd cached(open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        struct stat info = {};
        if (cached && fstat(cached.get(), &info) == 0 && S_ISREG(info.st_mode) &&
            info.st_size > 0 && info.st_size % sizeof(struct sock_filter) == 0 &&
            info.st_size <= 65536) {
            SeccompProgram program;
            program.monitored = monitored;
            program.instructions.resize(static_cast<size_t>(info.st_size) /
                                        sizeof(struct sock_filter));
            if (pread(cached.get(), program.instructions.data(), static_cast<size_t>(info.st_size),
                      0) == info.st_size)
                return program;
        }
    }
    auto program = build_seccomp_program(monitored);
    if (!program)
        return program;
    // Written under a temporary name and renamed: a concurrent run sees the
    // whole program or none.
    std::error_code ec;
    std::filesystem::create_directories(cache_dir, ec);
    const auto temporary = file.string() + fmt::format(".{}", getpid());
    UniqueFd out(
        open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (out) {
        const auto bytes = program->instructions.size() * sizeof(struct sock_filter);
        if (write(out.get(), program->instructions.data(), bytes) == static_cast<ssize_t>(bytes))
            rename(temporary.c_str(), file.c_str());
        else
            unlink(temporary.c_str());
    }
    return program;
}

Result<int> install_seccomp(const SeccompProgram& program) {
    struct sock_fprog fprog = {};
    fprog.len = static_cast<unsigned short>(program.instructions.size());
    fprog.filter = const_cast<struct sock_filter*>(program.instructions.data());
    if (!program.monitored) {
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0)
            return sys_error("seccomp(SECCOMP_SET_MODE_FILTER)");
        return -1;
    }
    unsigned long flags = SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    long listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
    if (listener < 0 && errno == EINVAL) {
        // Kernels before 5.19 lack WAIT_KILLABLE_RECV.
        flags &= ~static_cast<unsigned long>(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
        listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
    }
    if (listener < 0)
        return sys_error("seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER)");
    return static_cast<int>(listener);
}

SyscallDecision decide_notified(int number, const SyscallArgs& args) {
    const auto& t = tables();
    if (t.watched.count(number)) {
        // socket/ioctl/... never reach here unless their arguments were
        // refused, but a watched syscall always proceeds.
        return {NotifiedAction::record_and_continue, "watched", 0};
    }
    if (const auto it = t.denied.find(number); it != t.denied.end()) {
        const auto& denied = *it->second;
        if (denied.name == "socket" || denied.name == "socketpair") {
            const auto family = static_cast<uint32_t>(args[0]);
            if ((family == AF_INET || family == AF_INET6) &&
                static_cast<int>(static_cast<uint32_t>(args[2])) == kMptcp)
                return {NotifiedAction::deny, "MPTCP sockets", EPERM};
        }
        return {NotifiedAction::deny, denied.kind, denied.error};
    }
    // Not on any list: unknown to this filter, so behave like a kernel
    // without it and let the program fall back.
    return {NotifiedAction::deny, "unlisted syscall", ENOSYS};
}

std::string syscall_name(int number) {
    static std::mutex mutex;
    static std::unordered_map<int, std::string> cache;
    const std::lock_guard lock(mutex);
    if (const auto it = cache.find(number); it != cache.end())
        return it->second;
    std::string name;
    if (char* resolved = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, number)) {
        name = resolved;
        std::free(resolved);
    } else {
        name = fmt::format("syscall {}", number);
        if (is_x86_64()) {
            for (const auto& entry : kAllowedX8664ByNumber) {
                if (entry.number == number)
                    name = std::string(entry.name);
            }
            for (const auto& entry : kDeniedX8664ByNumber) {
                if (entry.number == number)
                    name = std::string(entry.name);
            }
        }
    }
    cache.emplace(number, name);
    return name;
}

std::string describe_denied_arguments(int number, const SyscallArgs& args) {
    const auto name = syscall_name(number);
    if (name == "socket" || name == "socketpair") {
        const auto family = static_cast<uint32_t>(args[0]);
        const auto protocol = static_cast<uint32_t>(args[2]);
        if (static_cast<int>(protocol) == kMptcp)
            return family_name(family) + ", IPPROTO_MPTCP";
        if (family == AF_NETLINK)
            return fmt::format("AF_NETLINK, protocol {}", protocol);
        return family_name(family);
    }
    if (name == "ioctl") {
        switch (static_cast<uint32_t>(args[1])) {
            case kTiocsti:
                return args[1] >> 32 ? "TIOCSTI (high bits set)" : "TIOCSTI";
            case kTioclinux:
                return "TIOCLINUX";
            case kTioccons:
                return "TIOCCONS";
            case kTiocsetd:
                return "TIOCSETD";
            default:
                return fmt::format("request {:#x}", args[1]);
        }
    }
    if (name == "clone" || name == "unshare")
        return flag_names(args[0]);
    if (name == "personality")
        return fmt::format("{:#x}", static_cast<uint32_t>(args[0]));
    return {};
}

}  // namespace hazmat::sandbox
