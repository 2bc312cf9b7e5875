#include "sandbox/probes.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

namespace hazmat::sandbox {

namespace {

struct Outcome {
    bool blocked = true;
    std::string detail;
};

// Outcome of a set of attempts: blocked only if every attempt failed.
class Attempts {
  public:
    void add(std::string_view what, long result, int error) {
        if (result >= 0) {
            blocked_ = false;
            parts_.push_back(fmt::format("{}: SUCCEEDED", what));
        } else {
            parts_.push_back(fmt::format("{}: {}", what, strerrorname_np(error)));
        }
    }
    void add(std::string_view what, long result) { add(what, result, errno); }
    Outcome outcome() const {
        std::string detail;
        for (const auto& part : parts_)
            detail += (detail.empty() ? "" : "; ") + part;
        return {blocked_, detail};
    }

  private:
    bool blocked_ = true;
    std::vector<std::string> parts_;
};

// Runs `body` in a child process; returns how it ended ("exit 0",
// "killed by SIGSYS").
std::string in_child(const std::function<int()>& body, int* status_out = nullptr) {
    const pid_t pid = fork();
    if (pid == 0)
        _exit(body());
    int status = 0;
    waitpid(pid, &status, 0);
    if (status_out)
        *status_out = status;
    if (WIFSIGNALED(status))
        return fmt::format("killed by {}", sigabbrev_np(WTERMSIG(status)));
    return fmt::format("exit {}", WEXITSTATUS(status));
}

// TIOCSTI only works on the caller's controlling terminal: make one (a pty
// of the sandbox's own devpts) and try to inject input into it.
Outcome probe_tiocsti(bool high_bits) {
    int status = 0;
    const auto ended = in_child(
        [high_bits] {
            int master = -1, slave = -1;
            if (openpty(&master, &slave, nullptr, nullptr, nullptr) != 0)
                return 3;
            setsid();
            if (ioctl(slave, TIOCSCTTY, 0) != 0)
                return 4;
            char c = 'x';
            const unsigned long request =
                high_bits ? (TIOCSTI | (1ul << 32)) : static_cast<unsigned long>(TIOCSTI);
            const long result = syscall(SYS_ioctl, slave, request, &c);
            return result == 0 ? 0 : 1;
        },
        &status);
    const bool injected = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) > 1)
        return {false, "could not set up a controlling terminal to test (" + ended + ")"};
    return {!injected, injected ? "TIOCSTI injected input" : "ioctl failed (" + ended + ")"};
}

Outcome probe_nested_userns() {
    Attempts attempts;
    attempts.add("unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER));
    attempts.add("unshare(CLONE_NEWNS)", unshare(CLONE_NEWNS));
    const long pid =
        syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (pid == 0)
        _exit(0);
    const int error = errno;
    if (pid > 0)
        waitpid(static_cast<pid_t>(pid), nullptr, 0);
    attempts.add("clone(CLONE_NEWUSER)", pid, error);
    attempts.add("setns", syscall(SYS_setns, open("/proc/1/ns/user", O_RDONLY), 0));
    return attempts.outcome();
}

Outcome probe_keyctl() {
    Attempts attempts;
    attempts.add("keyctl(GET_KEYRING_ID)", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */,
                                                   -3 /* KEY_SPEC_SESSION_KEYRING */, 1));
    attempts.add("add_key", syscall(SYS_add_key, "user", "hazmat", "x", 1, -3));
    return attempts.outcome();
}

Outcome probe_perf_event() {
    struct perf_event_attr attr = {};
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    attr.disabled = 1;
    Attempts attempts;
    attempts.add("perf_event_open", syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
    return attempts.outcome();
}

Outcome probe_userfaultfd() {
    Attempts attempts;
    attempts.add("userfaultfd", syscall(SYS_userfaultfd, O_CLOEXEC));
    attempts.add("open(/dev/userfaultfd)", open("/dev/userfaultfd", O_RDWR));
    return attempts.outcome();
}

Outcome probe_io_uring() {
    // Must fail with an error, never kill: runtimes probe it and fall back.
    unsigned char params[120] = {};
    Attempts attempts;
    attempts.add("io_uring_setup", syscall(SYS_io_uring_setup, 4, params));
    return attempts.outcome();
}

Outcome probe_socket_families() {
    Attempts attempts;
    attempts.add("socket(AF_PACKET)", socket(AF_PACKET, SOCK_RAW, 0));
    attempts.add("socket(AF_VSOCK)", socket(AF_VSOCK, SOCK_STREAM, 0));
    attempts.add("socket(AF_ALG)", socket(AF_ALG, SOCK_SEQPACKET, 0));
    attempts.add("socket(AF_NETLINK, NETLINK_AUDIT)", socket(AF_NETLINK, SOCK_RAW, 9));
    // The kernel reads the family as an int: the high bits must not help.
    attempts.add("socket(AF_PACKET | 1<<32)",
                 syscall(SYS_socket, AF_PACKET | (1ul << 32), SOCK_RAW, 0));
    return attempts.outcome();
}

Outcome probe_mptcp() {
    Attempts attempts;
    attempts.add("socket(AF_INET, IPPROTO_MPTCP)", socket(AF_INET, SOCK_STREAM, 262));
    attempts.add("socket(AF_INET6, IPPROTO_MPTCP)", socket(AF_INET6, SOCK_STREAM, 262));
    attempts.add("socket(AF_INET, MPTCP | 1<<32)",
                 syscall(SYS_socket, AF_INET, SOCK_STREAM, 262 | (1ul << 32)));
    return attempts.outcome();
}

Outcome probe_i386_syscall() {
#if defined(__x86_64__)
    int status = 0;
    const auto ended = in_child(
        [] {
            long result;
            // getpid (20) through the 32-bit entry point.
            asm volatile("int $0x80" : "=a"(result) : "a"(20L) : "memory");
            return result > 0 ? 0 : 1;
        },
        &status);
    const bool ran = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    return {!ran, ran ? "int 0x80 getpid returned a pid" : "int 0x80: " + ended};
#else
    return {true, "not an x86-64 machine"};
#endif
}

Outcome probe_x32_syscall() {
#if defined(__x86_64__)
    int status = 0;
    const auto ended =
        in_child([] { return syscall(0x40000000L | SYS_getpid) > 0 ? 0 : 1; }, &status);
    const bool ran = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    return {!ran, ran ? "x32 getpid returned a pid" : "x32 getpid: " + ended};
#else
    return {true, "not an x86-64 machine"};
#endif
}

Outcome probe_ptrace() {
    const pid_t target = fork();
    if (target == 0) {
        pause();
        _exit(0);
    }
    Attempts attempts;
    attempts.add("ptrace(ATTACH, sibling)", ptrace(PTRACE_ATTACH, target, nullptr, nullptr));
    attempts.add("ptrace(ATTACH, init)", ptrace(PTRACE_ATTACH, 1, nullptr, nullptr));
    char buffer[16];
    struct iovec local = {buffer, sizeof(buffer)};
    struct iovec remote = {reinterpret_cast<void*>(0x400000), sizeof(buffer)};
    attempts.add("process_vm_readv(sibling)", process_vm_readv(target, &local, 1, &remote, 1, 0));
    const int mem = open(fmt::format("/proc/{}/mem", 1).c_str(), O_RDONLY);
    attempts.add("open(/proc/1/mem)", mem);
    kill(target, SIGKILL);
    waitpid(target, nullptr, 0);
    return attempts.outcome();
}

Outcome probe_signal_host(std::span<const std::string> args) {
    if (args.empty())
        return {false, "the harness passed no host pid"};
    const pid_t host_pid = static_cast<pid_t>(std::stol(args[0]));
    Attempts attempts;
    attempts.add(fmt::format("kill({}, 0)", host_pid), kill(host_pid, 0));
    attempts.add(fmt::format("kill({}, SIGTERM)", host_pid), kill(host_pid, SIGTERM));
    return attempts.outcome();
}

Outcome probe_abstract_socket(std::span<const std::string> args) {
    if (args.empty())
        return {false, "the harness passed no socket name"};
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    const auto& name = args[0];
    std::memcpy(address.sun_path + 1, name.data(),
                std::min(name.size(), sizeof(address.sun_path) - 2));
    const auto length =
        static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + 1 + name.size());
    Attempts attempts;
    attempts.add("connect(@" + name + ")",
                 connect(fd, reinterpret_cast<struct sockaddr*>(&address), length));
    return attempts.outcome();
}

Outcome probe_host_loopback(std::span<const std::string> args) {
    if (args.empty())
        return {false, "the harness passed no port"};
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(std::stoi(args[0])));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    Attempts attempts;
    attempts.add("connect(127.0.0.1:" + args[0] + ")",
                 connect(fd, reinterpret_cast<struct sockaddr*>(&address), sizeof(address)));
    return attempts.outcome();
}

// No interface but loopback, no route: nothing can leave. (Nothing is sent:
// the probe only looks.)
Outcome probe_network_egress() {
    std::ifstream devices("/proc/net/dev");
    std::string line, interfaces;
    bool only_loopback = true;
    std::getline(devices, line);
    std::getline(devices, line);
    while (std::getline(devices, line)) {
        const auto name = line.substr(0, line.find(':'));
        const auto trimmed = name.substr(name.find_first_not_of(' '));
        interfaces += (interfaces.empty() ? "" : ",") + trimmed;
        if (trimmed != "lo")
            only_loopback = false;
    }
    std::ifstream routes("/proc/net/route");
    int route_count = -1;
    while (std::getline(routes, line))
        ++route_count;
    const bool blocked = only_loopback && route_count <= 0;
    return {blocked, fmt::format("interfaces: {}; IPv4 routes: {}", interfaces, route_count)};
}

Outcome probe_host_files(std::span<const std::string> args) {
    if (args.size() < 2)
        return {false, "the harness passed no home and canary"};
    Attempts attempts;
    const auto& home = args[0];
    DIR* ssh = opendir((home + "/.ssh").c_str());
    attempts.add("opendir(~/.ssh of the host)", ssh ? 0 : -1);
    if (ssh)
        closedir(ssh);
    for (const char* key :
         {"/.ssh/id_rsa", "/.ssh/id_ed25519", "/.bash_history", "/.aws/credentials"})
        attempts.add("open(" + home + key + ")", open((home + key).c_str(), O_RDONLY));
    attempts.add("open(canary " + args[1] + ")", open(args[1].c_str(), O_RDONLY));
    attempts.add("open(/etc/shadow)", open("/etc/shadow", O_RDONLY));
    return attempts.outcome();
}

Outcome probe_proc_environ() {
    const int fd = open("/proc/1/environ", O_RDONLY);
    if (fd < 0)
        return {true, fmt::format("open(/proc/1/environ): {}", strerrorname_np(errno))};
    char buffer[4096];
    const auto n = read(fd, buffer, sizeof(buffer));
    if (n < 0)
        return {true, fmt::format("read(/proc/1/environ): {}", strerrorname_np(errno))};
    const bool has_content = std::any_of(buffer, buffer + n, [](char c) { return c != '\0'; });
    return {!has_content,
            has_content ? "read the environment of PID 1" : "PID 1's environment is empty"};
}

Outcome probe_proc_sys_write() {
    Attempts attempts;
    for (const char* path : {"/proc/sys/kernel/hostname", "/proc/sys/vm/drop_caches",
                             "/proc/sysrq-trigger", "/proc/sys/net/ipv4/ip_forward"}) {
        const int fd = open(path, O_WRONLY);
        attempts.add(fmt::format("open({}, O_WRONLY)", path), fd);
    }
    return attempts.outcome();
}

Outcome probe_leaked_descriptors() {
    std::vector<int> open_fds;
    for (int fd = 3; fd < 1024; ++fd) {
        if (fcntl(fd, F_GETFD) != -1)
            open_fds.push_back(fd);
    }
    std::vector<int> directories;
    for (const int fd : open_fds) {
        if (fchdir(fd) == 0)
            directories.push_back(fd);
    }
    if (open_fds.empty())
        return {true, "no descriptor open above 2"};
    std::string list;
    for (const int fd : open_fds)
        list += (list.empty() ? "" : ",") + std::to_string(fd);
    return {false, fmt::format("open descriptors: {}; directories among them: {}", list,
                               directories.size())};
}

Outcome probe_mount() {
    Attempts attempts;
    attempts.add("mount(tmpfs, /tmp)", mount("none", "/tmp", "tmpfs", 0, nullptr));
    attempts.add("fsopen(tmpfs)", syscall(SYS_fsopen, "tmpfs", 0));
    attempts.add("umount2(/proc)", umount2("/proc", MNT_DETACH));
    attempts.add("chroot(/tmp)", chroot("/tmp"));
    attempts.add("pivot_root", syscall(SYS_pivot_root, "/tmp", "/tmp"));
    return attempts.outcome();
}

Outcome probe_kernel_interfaces() {
    Attempts attempts;
    unsigned char attr[128] = {};
    attempts.add("bpf(BPF_PROG_LOAD)", syscall(SYS_bpf, 5, attr, sizeof(attr)));
    attempts.add("init_module", syscall(SYS_init_module, nullptr, 0, ""));
    attempts.add("kexec_load", syscall(SYS_kexec_load, 0, 0, nullptr, 0));
    attempts.add("personality(READ_IMPLIES_EXEC)", syscall(SYS_personality, 0x0400000));
    attempts.add("open_by_handle_at", syscall(SYS_open_by_handle_at, AT_FDCWD, nullptr, 0));
    return attempts.outcome();
}

Outcome probe_privileges() {
    std::ifstream status("/proc/self/status");
    std::string line;
    std::string effective, bounding, no_new_privs;
    while (std::getline(status, line)) {
        if (line.starts_with("CapEff:"))
            effective = line.substr(7);
        if (line.starts_with("CapBnd:"))
            bounding = line.substr(7);
        if (line.starts_with("NoNewPrivs:"))
            no_new_privs = line.substr(11);
    }
    const auto value = [](const std::string& text) { return std::stoull(text, nullptr, 16); };
    const bool dropped = !effective.empty() && value(effective) == 0 && value(bounding) == 0 &&
                         no_new_privs.find('1') != std::string::npos;
    return {dropped,
            fmt::format("CapEff {} CapBnd {} NoNewPrivs {}", effective, bounding, no_new_privs)};
}

Outcome probe_write_outside() {
    Attempts attempts;
    for (const char* path : {"/usr/lib/hazmat-probe", "/etc/hazmat-probe", "/hazmat-probe",
                             "/opt/hazmat-probe", "/proc/hazmat-probe"}) {
        attempts.add(fmt::format("create {}", path), open(path, O_CREAT | O_WRONLY, 0644));
    }
    return attempts.outcome();
}

Outcome probe_fork_bomb(std::span<const std::string> args) {
    const long expected = args.empty() ? 64 : std::stol(args[0]);
    int report[2];
    if (pipe(report) != 0)
        return {false, "pipe failed"};
    const pid_t bomber = fork();
    if (bomber == 0) {
        setpgid(0, 0);
        close(report[0]);
        long forked = 0;
        while (forked < 20000) {
            const pid_t child = fork();
            if (child == 0) {
                pause();
                _exit(0);
            }
            if (child < 0)
                break;
            ++forked;
        }
        (void)!write(report[1], &forked, sizeof(forked));
        pause();
        _exit(0);
    }
    close(report[1]);
    long forked = 0;
    (void)!read(report[0], &forked, sizeof(forked));
    kill(-bomber, SIGKILL);
    while (waitpid(-1, nullptr, __WALL) > 0) {
    }
    const bool blocked = forked < 20000 && forked <= expected * 2;
    return {blocked,
            fmt::format("forked {} processes before fork failed (limit {})", forked, expected)};
}

Outcome probe_memory_balloon(std::span<const std::string> args) {
    const uint64_t limit = args.empty() ? (256ull << 20) : std::stoull(args[0]);
    const uint64_t goal = limit * 4;
    int report[2];
    if (pipe(report) != 0)
        return {false, "pipe failed"};
    const pid_t balloon = fork();
    if (balloon == 0) {
        close(report[0]);
        constexpr size_t kChunk = 16 << 20;
        for (uint64_t total = 0; total < goal; total += kChunk) {
            void* chunk =
                mmap(nullptr, kChunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (chunk == MAP_FAILED)
                _exit(1);
            std::memset(chunk, 0x5a, kChunk);
            const uint64_t reached = total + kChunk;
            (void)!write(report[1], &reached, sizeof(reached));
        }
        _exit(0);
    }
    close(report[1]);
    uint64_t reached = 0, value = 0;
    while (read(report[0], &value, sizeof(value)) == sizeof(value))
        reached = value;
    int status = 0;
    waitpid(balloon, &status, 0);
    const bool blocked = reached < goal && reached <= limit + (64ull << 20);
    return {blocked, fmt::format("allocated {} MiB of {} MiB tried (limit {} MiB), then {}",
                                 reached >> 20, goal >> 20, limit >> 20,
                                 WIFSIGNALED(status)
                                     ? std::string("killed by ") + sigabbrev_np(WTERMSIG(status))
                                     : "allocation failed")};
}

Outcome probe_fill(std::span<const std::string> args, const char* directory) {
    const uint64_t limit = args.empty() ? (64ull << 20) : std::stoull(args[0]);
    const uint64_t goal = limit * 4;
    const auto path = std::string(directory) + "/hazmat-fill";
    const int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
    if (fd < 0)
        return {true, fmt::format("cannot create {}: {}", path, strerrorname_np(errno))};
    std::vector<char> block(1 << 20, 'x');
    uint64_t written = 0;
    int error = 0;
    while (written < goal) {
        const auto n = write(fd, block.data(), block.size());
        if (n <= 0) {
            error = errno;
            break;
        }
        written += static_cast<uint64_t>(n);
    }
    close(fd);
    unlink(path.c_str());
    const bool blocked = written < goal && written <= limit + (1 << 20);
    return {blocked,
            fmt::format("wrote {} MiB to {} (limit {} MiB) before {}", written >> 20, directory,
                        limit >> 20, error ? strerrorname_np(error) : "reaching the goal")};
}

// Leaves traps in the workspace for hazmat's own post-processing (the
// diff, the leak scan, apply): links to host files and directories, and a
// FIFO that would block a careless reader. The harness checks the host side.
Outcome probe_workspace_symlinks(std::span<const std::string> args) {
    if (args.size() < 2)
        return {false, "the harness passed no canary"};
    Attempts planted;
    planted.add("symlink to the canary directory", symlink(args[0].c_str(), "escape-dir"));
    planted.add("symlink to the canary file", symlink(args[1].c_str(), "escape-file"));
    planted.add("symlink to /etc/passwd", symlink("/etc/passwd", "passwd"));
    planted.add("relative symlink out", symlink("../../../../../../etc", "up"));
    planted.add("FIFO", mkfifo("trap.fifo", 0600));
    // Whether these could be created says nothing: the harness judges what
    // hazmat does with them afterwards.
    return {true, "planted: " + planted.outcome().detail};
}

using ProbeFunction = std::function<Outcome(std::span<const std::string>)>;

const std::map<std::string_view, ProbeFunction>& probe_table() {
    static const std::map<std::string_view, ProbeFunction> table = {
        {"tiocsti", [](auto) { return probe_tiocsti(false); }},
        {"tiocsti-high-bits", [](auto) { return probe_tiocsti(true); }},
        {"nested-user-namespace", [](auto) { return probe_nested_userns(); }},
        {"keyctl", [](auto) { return probe_keyctl(); }},
        {"perf-event-open", [](auto) { return probe_perf_event(); }},
        {"userfaultfd", [](auto) { return probe_userfaultfd(); }},
        {"io-uring", [](auto) { return probe_io_uring(); }},
        {"socket-families", [](auto) { return probe_socket_families(); }},
        {"mptcp", [](auto) { return probe_mptcp(); }},
        {"i386-int80", [](auto) { return probe_i386_syscall(); }},
        {"x32-syscall", [](auto) { return probe_x32_syscall(); }},
        {"ptrace", [](auto) { return probe_ptrace(); }},
        {"signal-host", probe_signal_host},
        {"abstract-socket", probe_abstract_socket},
        {"host-loopback", probe_host_loopback},
        {"network-egress", [](auto) { return probe_network_egress(); }},
        {"host-files", probe_host_files},
        {"proc-1-environ", [](auto) { return probe_proc_environ(); }},
        {"proc-sys-write", [](auto) { return probe_proc_sys_write(); }},
        {"leaked-descriptors", [](auto) { return probe_leaked_descriptors(); }},
        {"mount", [](auto) { return probe_mount(); }},
        {"kernel-interfaces", [](auto) { return probe_kernel_interfaces(); }},
        {"privileges", [](auto) { return probe_privileges(); }},
        {"write-outside", [](auto) { return probe_write_outside(); }},
        {"fork-bomb", probe_fork_bomb},
        {"memory-balloon", probe_memory_balloon},
        {"tmp-fill", [](auto args) { return probe_fill(args, "/tmp"); }},
        {"shm-fill", [](auto args) { return probe_fill(args, "/dev/shm"); }},
        {"workspace-symlinks", probe_workspace_symlinks},
    };
    return table;
}

}  // namespace

const std::vector<ProbeInfo>& probe_catalog() {
    static const std::vector<ProbeInfo> catalog = {
        {"tiocsti", "inject input into the terminal with TIOCSTI"},
        {"tiocsti-high-bits", "TIOCSTI with the request's high 32 bits set"},
        {"nested-user-namespace", "create user/mount namespaces, join the host's"},
        {"keyctl", "use the kernel keyring"},
        {"perf-event-open", "open a performance counter"},
        {"userfaultfd", "create a userfaultfd (exploit race widening)"},
        {"io-uring", "set up io_uring (must fail without killing)"},
        {"socket-families", "open AF_PACKET, AF_VSOCK, AF_ALG, audit netlink sockets"},
        {"mptcp", "open an MPTCP socket"},
        {"i386-int80", "make a 32-bit syscall with int 0x80"},
        {"x32-syscall", "make a syscall with the x32 bit"},
        {"ptrace", "ptrace or read the memory of a visible process"},
        {"signal-host", "signal a process on the host"},
        {"abstract-socket", "connect to a host's abstract Unix socket"},
        {"host-loopback", "connect to a listener on the host's 127.0.0.1"},
        {"network-egress", "find a network interface or route out"},
        {"host-files", "read the host's ~/.ssh and a host canary file"},
        {"proc-1-environ", "read /proc/1/environ"},
        {"proc-sys-write", "write to /proc/sys and /proc/sysrq-trigger"},
        {"leaked-descriptors", "find inherited descriptors (fchdir on 3..1023)"},
        {"mount", "mount, unmount, chroot, pivot_root"},
        {"kernel-interfaces", "bpf, module and kexec loading, personality, file handles"},
        {"privileges", "hold capabilities or lack no_new_privs"},
        {"write-outside", "create files outside the workspace"},
        {"fork-bomb", "fork without bound"},
        {"memory-balloon", "allocate memory without bound"},
        {"tmp-fill", "fill /tmp"},
        {"shm-fill", "fill /dev/shm"},
        {"workspace-symlinks", "plant links and FIFOs for hazmat's post-processing"},
    };
    return catalog;
}

int run_probe(std::string_view name, std::span<const std::string> args) {
    const auto& table = probe_table();
    const auto it = table.find(name);
    if (it == table.end()) {
        std::fprintf(stderr, "unknown probe %.*s\n", static_cast<int>(name.size()), name.data());
        return 2;
    }
    Outcome outcome;
    try {
        outcome = it->second(args);
    } catch (const std::exception& e) {
        outcome = {false, std::string("probe failed to run: ") + e.what()};
    }
    // One line, whatever the detail holds.
    std::replace(outcome.detail.begin(), outcome.detail.end(), '\n', ' ');
    std::printf("PROBE %.*s %s %s\n", static_cast<int>(name.size()), name.data(),
                outcome.blocked ? "blocked" : "allowed", outcome.detail.c_str());
    std::fflush(stdout);
    return 0;
}

bool parse_probe_line(std::string_view line, ProbeLine& out) {
    if (!line.starts_with("PROBE "))
        return false;
    std::istringstream fields{std::string(line.substr(6))};
    std::string verdict;
    if (!(fields >> out.name >> verdict))
        return false;
    if (verdict != "blocked" && verdict != "allowed")
        return false;
    out.blocked = verdict == "blocked";
    std::getline(fields, out.detail);
    if (!out.detail.empty() && out.detail.front() == ' ')
        out.detail.erase(0, 1);
    return true;
}

}  // namespace hazmat::sandbox
