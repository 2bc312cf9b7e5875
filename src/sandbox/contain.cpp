#include "sandbox/contain.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "sandbox/control_channel.hpp"
#include "sandbox/net_namespace.hpp"
#include "sandbox/privileges.hpp"
#include "sandbox/unique_fd.hpp"

namespace hazmat::sandbox {

namespace {

constexpr int kForwardedSignals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

[[noreturn]] void fail(int control, std::string_view step, std::string_view message) {
    (void)send_control(control, ControlType::setup_failed, 0, fmt::format("{}: {}", step, message));
    _exit(1);
}

// Closes every descriptor except `keep`: the sandbox must not inherit
// hazmat's terminal, files or sockets.
void close_all_except(std::vector<int> keep) {
    std::sort(keep.begin(), keep.end());
    unsigned next = 0;
    for (const int fd : keep) {
        if (fd < 0 || static_cast<unsigned>(fd) < next)
            continue;
        if (static_cast<unsigned>(fd) > next)
            syscall(SYS_close_range, next, static_cast<unsigned>(fd) - 1, 0);
        next = static_cast<unsigned>(fd) + 1;
    }
    syscall(SYS_close_range, next, ~0u, 0);
}

void point_stdio_at_null() {
    const int null = open("/dev/null", O_RDWR);
    for (int fd = 0; fd <= 2; ++fd) {
        if (null != fd)
            dup2(null, fd);
    }
    if (null > 2)
        close(null);
}

// Shows the sandbox a boot time consistent with the persona: a time
// namespace shifts CLOCK_BOOTTIME and CLOCK_MONOTONIC (and /proc/uptime)
// for every process started after this call.
Status set_uptime(std::chrono::seconds wanted) {
    double host_uptime = 0;
    {
        std::ifstream in("/proc/uptime");
        in >> host_uptime;
    }
    const auto offset = wanted.count() - static_cast<long long>(host_uptime);
    if (offset <= 0)
        return done();
    if (unshare(0x00000080 /* CLONE_NEWTIME */) != 0)
        return sys_error("unshare(CLONE_NEWTIME)");
    const auto offsets = fmt::format("monotonic {} 0\nboottime {} 0\n", offset, offset);
    UniqueFd file(open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC));
    if (!file)
        return sys_error("open(/proc/self/timens_offsets)");
    if (write(file.get(), offsets.data(), offsets.size()) != static_cast<ssize_t>(offsets.size()))
        return sys_error("write(/proc/self/timens_offsets)");
    return done();
}

struct Pty {
    UniqueFd master;
    UniqueFd slave;
};

// A pty from the sandbox's own devpts instance, so the command's terminal
// exists inside (ttyname works) and nothing of the host's terminals does.
Result<Pty> open_private_pty() {
    Pty pty;
    pty.master.reset(open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!pty.master)
        return sys_error("open(/dev/pts/ptmx)");
    int unlock = 0;
    if (ioctl(pty.master.get(), TIOCSPTLCK, &unlock) != 0)
        return sys_error("ioctl(TIOCSPTLCK)");
    pty.slave.reset(ioctl(pty.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!pty.slave)
        return sys_error("ioctl(TIOCGPTPEER)");
    return pty;
}

// /proc/1/cmdline and /proc/1/environ of the sandbox would otherwise show
// hazmat's command line and the user's real environment (with whatever
// secrets it holds): wipe both and look like an ordinary init.
void scrub_own_identity() {
    std::ifstream in("/proc/self/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close_paren = stat.rfind(')');
    if (close_paren != std::string::npos) {
        std::istringstream fields(stat.substr(close_paren + 2));
        std::vector<unsigned long> values;
        std::string field;
        while (fields >> field)
            values.push_back(std::strtoul(field.c_str(), nullptr, 10));
        // Fields 48..51 of /proc/PID/stat (counted from 1; "state" is 3,
        // the first after the parenthesis): arg_start, arg_end, env_start,
        // env_end.
        if (values.size() >= 49) {
            auto* arg_start = reinterpret_cast<char*>(values[45]);
            auto* arg_end = reinterpret_cast<char*>(values[46]);
            auto* env_start = reinterpret_cast<char*>(values[47]);
            auto* env_end = reinterpret_cast<char*>(values[48]);
            if (env_end > env_start)
                std::memset(env_start, 0, static_cast<size_t>(env_end - env_start));
            if (arg_end > arg_start) {
                std::memset(arg_start, 0, static_cast<size_t>(arg_end - arg_start));
                constexpr std::string_view kName = "/sbin/init";
                std::memcpy(arg_start, kName.data(),
                            std::min(kName.size(), static_cast<size_t>(arg_end - arg_start) - 1));
            }
        }
    }
    prctl(PR_SET_NAME, "init", 0, 0, 0);
}

// The command's PATH lookup happens here, before the seccomp filter, so the
// supervisor sees one execve of the real program instead of one per PATH
// entry.
std::string resolve_program(const std::string& name, const std::vector<std::string>& environment) {
    if (name.find('/') != std::string::npos)
        return name;
    std::string path = "/usr/local/bin:/usr/bin:/bin";
    for (const auto& entry : environment) {
        if (entry.starts_with("PATH="))
            path = entry.substr(5);
    }
    size_t start = 0;
    while (start <= path.size()) {
        auto end = path.find(':', start);
        if (end == std::string::npos)
            end = path.size();
        std::string candidate = end > start ? path.substr(start, end - start) : std::string(".");
        candidate.push_back('/');
        candidate.append(name);
        struct stat info = {};
        if (stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
            access(candidate.c_str(), X_OK) == 0)
            return candidate;
        start = end + 1;
    }
    return name;
}

void reset_signals() {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int signal = 1; signal < NSIG; ++signal) {
        if (signal != SIGKILL && signal != SIGSTOP)
            ::signal(signal, SIG_DFL);
    }
}

[[noreturn]] void run_command(const ContainPlan& plan, const SeccompProgram& seccomp,
                              int pty_slave) {
    const int control = plan.control_fd;
    reset_signals();
    if (setsid() < 0)
        fail(control, "setsid", std::strerror(errno));
    if (plan.stdio == StdioKind::pty) {
        if (ioctl(pty_slave, TIOCSCTTY, 0) != 0)
            fail(control, "ioctl(TIOCSCTTY)", std::strerror(errno));
        for (int fd = 0; fd <= 2; ++fd)
            dup2(pty_slave, fd);
    } else {
        dup2(plan.stdin_fd, 0);
        dup2(plan.stdout_fd, 1);
        dup2(plan.stderr_fd, 2);
    }
    if (chdir(plan.working_directory.c_str()) != 0)
        fail(control, fmt::format("chdir({})", plan.working_directory), std::strerror(errno));
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        fail(control, "prctl(PR_SET_PDEATHSIG)", std::strerror(errno));

    for (const auto& setting : plan.rlimits) {
        struct rlimit current = {};
        getrlimit(setting.resource, &current);
        struct rlimit wanted = {setting.value, setting.value};
        if (current.rlim_max != RLIM_INFINITY && current.rlim_max < wanted.rlim_max)
            wanted.rlim_cur = wanted.rlim_max = current.rlim_max;
        if (setrlimit(setting.resource, &wanted) != 0)
            fail(control, fmt::format("setrlimit({}, {})", setting.resource, setting.value),
                 std::strerror(errno));
    }
    if (auto status = drop_privileges(); !status)
        fail(control, "dropping capabilities", status.error().message);
    if (plan.landlock.abi > 0) {
        if (auto status = apply_landlock(plan.landlock); !status)
            fail(control, "Landlock", status.error().message);
    }

    std::vector<char*> argv;
    for (const auto& arg : plan.argv)
        argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (const auto& entry : plan.environment)
        envp.push_back(const_cast<char*>(entry.c_str()));
    envp.push_back(nullptr);
    const auto program = resolve_program(plan.argv.front(), plan.environment);

    auto listener = install_seccomp(seccomp);
    if (!listener)
        fail(control, "seccomp", listener.error().message);
    if (*listener >= 0) {
        if (auto status = send_control(control, ControlType::listener, 0, {}, *listener); !status)
            _exit(1);
        close(*listener);
    }
    // Every descriptor still open (only the control channel by now) closes
    // on execve; the channel stays usable to report an execve failure.
    syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC);
    execve(program.c_str(), argv.data(), envp.data());
    const int error = errno;
    (void)send_control(control, ControlType::exec_failed, error,
                       fmt::format("{}: {}", plan.argv.front(), std::strerror(error)));
    _exit(127);
}

Status send_pinned_dir(int control, const char* path, int which) {
    UniqueFd dir(open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir)
        return sys_error(fmt::format("open({})", path));
    return send_control(control, ControlType::pinned_dir, which, path, dir.get());
}

// The loop of PID 1 once the command runs. Returns the command's wait status.
int supervise_children(pid_t command, int signal_fd) {
    int command_status = 0;
    bool command_done = false;
    while (!command_done) {
        struct signalfd_siginfo info = {};
        if (read(signal_fd, &info, sizeof(info)) != sizeof(info)) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (info.ssi_signo != SIGCHLD) {
            kill(-command, static_cast<int>(info.ssi_signo));
            continue;
        }
        for (;;) {
            int status = 0;
            const pid_t pid = waitpid(-1, &status, WNOHANG);
            if (pid <= 0)
                break;
            if (pid == command) {
                command_status = status;
                command_done = true;
            }
        }
    }
    // Nothing the command started outlives it: daemons, background
    // downloads and double-forked children die with it.
    kill(-1, SIGKILL);
    while (waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
    }
    return command_status;
}

// hazmat compiles the seccomp program, moves init into the run's cgroups
// and plants the last decoys while the root is being built; all of it must
// be done before the command starts.
Result<SeccompProgram> wait_for_parent(int control, bool monitored) {
    SeccompProgram program;
    program.monitored = monitored;
    bool have_program = false;
    bool may_start = false;
    while (!have_program || !may_start) {
        auto message = receive_control(control);
        if (!message)
            return message.error();
        if (message->type == ControlType::start_command) {
            may_start = true;
        } else if (message->type == ControlType::seccomp_program) {
            struct stat info = {};
            if (!message->fd || fstat(message->fd.get(), &info) != 0 ||
                info.st_size % sizeof(struct sock_filter) != 0 || info.st_size == 0)
                return Error{"malformed seccomp program"};
            program.instructions.resize(static_cast<size_t>(info.st_size) /
                                        sizeof(struct sock_filter));
            if (pread(message->fd.get(), program.instructions.data(),
                      static_cast<size_t>(info.st_size), 0) != info.st_size)
                return sys_error("pread(seccomp program)");
            have_program = true;
        } else if (message->type == ControlType::setup_failed) {
            return Error{message->text};
        }
    }
    return program;
}

}  // namespace

[[noreturn]] void run_init(const ContainPlan& plan) {
    const int control = plan.control_fd;
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        _exit(1);
    close_all_except({control, plan.stdin_fd, plan.stdout_fd, plan.stderr_fd});
    point_stdio_at_null();

    if (auto status = write_own_id_maps(plan.ids); !status)
        fail(control, "user namespace id maps", status.error().message);
    if (sethostname(plan.host_name.data(), plan.host_name.size()) != 0)
        fail(control, "sethostname", std::strerror(errno));
    if (auto status = bring_loopback_up(); !status)
        fail(control, "loopback", status.error().message);
    if (plan.dns_answerer) {
        auto dns = bind_nameserver_socket();
        if (!dns)
            fail(control, "DNS answerer", dns.error().message);
        if (auto status = send_control(control, ControlType::dns_socket, 0, {}, dns->get());
            !status)
            _exit(1);
    }

    if (auto status = build_root(plan.root); !status)
        fail(control, "building the sandbox's root", status.error().message);
    if (auto status = enter_root(plan.root); !status)
        fail(control, "entering the sandbox's root", status.error().message);
    for (const auto& [path, which] :
         {std::pair{plan.root.home.c_str(), 0}, {"/tmp", 1}, {"/dev/shm", 2}, {"/proc", 3}}) {
        if (auto status = send_pinned_dir(control, path, which); !status)
            fail(control, "pinning the sandbox's writable directories", status.error().message);
    }

    Pty pty;
    if (plan.stdio == StdioKind::pty) {
        auto opened = open_private_pty();
        if (!opened)
            fail(control, "pty", opened.error().message);
        pty = std::move(*opened);
        if (auto status = send_control(control, ControlType::pty_master, 0, {}, pty.master.get());
            !status)
            _exit(1);
        pty.master.reset();
    }
    auto seccomp = wait_for_parent(control, plan.monitored);
    if (!seccomp)
        fail(control, "waiting for hazmat", seccomp.error().message);
    // The cgroup namespace is entered only now, after hazmat moved this
    // process into the run's cgroups: the sandbox sees its own cgroup as
    // the root and nothing of the host's hierarchy.
    if (unshare(CLONE_NEWCGROUP) != 0)
        fail(control, "unshare(CLONE_NEWCGROUP)", std::strerror(errno));
    if (plan.uptime.count() > 0) {
        if (auto status = set_uptime(plan.uptime); !status)
            fail(control, "time namespace", status.error().message);
    }

    sigset_t handled;
    sigemptyset(&handled);
    sigaddset(&handled, SIGCHLD);
    for (const int signal : kForwardedSignals)
        sigaddset(&handled, signal);
    sigprocmask(SIG_BLOCK, &handled, nullptr);
    UniqueFd signal_fd(signalfd(-1, &handled, SFD_CLOEXEC));
    if (!signal_fd)
        fail(control, "signalfd", std::strerror(errno));

    const pid_t command = fork();
    if (command < 0)
        fail(control, "fork", std::strerror(errno));
    if (command == 0)
        run_command(plan, *seccomp, pty.slave.get());

    pty.slave.reset();
    for (const int fd : {plan.stdin_fd, plan.stdout_fd, plan.stderr_fd}) {
        if (fd > 2)
            close(fd);
    }
    (void)send_control(control, ControlType::started, command);
    scrub_own_identity();
    (void)drop_privileges();

    const int status = supervise_children(command, signal_fd.get());
    (void)send_control(control, ControlType::command_exited, status);
    _exit(0);
}

}  // namespace hazmat::sandbox
