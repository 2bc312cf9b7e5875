#include "sandbox/sandbox.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "hazmat_version.hpp"
#include "sandbox/audit_log.hpp"
#include "sandbox/contain.hpp"
#include "sandbox/control_channel.hpp"
#include "sandbox/dns_message.hpp"
#include "sandbox/environment.hpp"
#include "sandbox/etc_files.hpp"
#include "sandbox/gpu.hpp"
#include "sandbox/net_namespace.hpp"
#include "sandbox/path_beneath.hpp"
#include "sandbox/path_watch.hpp"
#include "sandbox/state_store.hpp"
#include "sandbox/user_namespace.hpp"

extern char** environ;

namespace hazmat::sandbox {

namespace fs = std::filesystem;

namespace {

constexpr unsigned long kNamespaceFlags =
    CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET;
constexpr size_t kCaptureLimit = 4 << 20;
constexpr uint64_t kScanFileBytes = 64ull << 20;
constexpr uint64_t kScanTotalBytes = 512ull << 20;

// ---------------------------------------------------------------- setup --

std::string workspace_name(const fs::path& project, const DecoySet& decoys) {
    auto name = project.filename().string();
    const bool clashes =
        name.empty() || name.starts_with('.') || name == "snap" || decoys.file(name) != nullptr;
    return clashes ? "project" : name;
}

fs::path host_home() {
    const char* home = std::getenv("HOME");
    return home != nullptr && *home == '/' ? fs::path(home) : fs::path();
}

// Where a --ro path appears inside: paths under the user's real home move
// under the persona's home (so a tool's default cache location works),
// others keep their path.
std::string read_only_target(const fs::path& path, const fs::path& real_home,
                             const Persona& persona) {
    if (!real_home.empty()) {
        const auto relative = path.lexically_relative(real_home);
        if (!relative.empty() && *relative.begin() != "..")
            return persona.home() + "/" + relative.string();
    }
    return path.string();
}

std::vector<DecoyFile> skeleton_dotfiles() {
    std::vector<DecoyFile> files;
    for (const char* name : {".bashrc", ".profile", ".bash_logout"}) {
        std::ifstream in(std::string("/etc/skel/") + name);
        if (!in)
            continue;
        std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        files.push_back({name, std::move(content), 0644, false});
    }
    return files;
}

// LIMITATION: /proc is read-only to the command, including its own entries
// (naming another thread through /proc/self/task/N/comm fails).
LandlockPlan landlock_plan(int abi, const std::string& home, const std::string& workspace,
                           const GpuAccess& gpu) {
    using namespace landlock_access;
    LandlockPlan plan;
    plan.abi = abi;
    plan.grants = {
        {"/", kReadOnly},      {workspace, kEverything},  {home, kEverything},
        {"/tmp", kEverything}, {"/dev/shm", kEverything}, {"/dev/pts", kDevice},
    };
    for (const char* device :
         {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"})
        plan.grants.push_back({device, kDevice});
    plan.grants.insert(plan.grants.end(), gpu.grants.begin(), gpu.grants.end());
    return plan;
}

Status save_decoys(const RunDirectory& run, const fs::path& state, const DecoySet& decoys) {
    nlohmann::json secrets = nlohmann::json::array();
    for (const auto& secret : decoys.secrets)
        secrets.push_back({{"id", secret.id}, {"where", secret.where}, {"value", secret.value}});
    const nlohmann::json record = {{"run", run.id}, {"decoys", secrets}};
    {
        std::ofstream out(run.decoys_file(), std::ios::trunc);
        out << record.dump(2) << "\n";
    }
    // One ledger of every decoy ever planted: a value seen later (in a log,
    // a paste, an attacker's request) names the run that leaked it.
    std::ofstream ledger(state / "decoys.jsonl", std::ios::app);
    ledger << record.dump() << "\n";
    if (!ledger)
        return Error{fmt::format("cannot write {}", (state / "decoys.jsonl").string())};
    return done();
}

Result<UniqueFd> seccomp_program_file(const SeccompProgram& program) {
    UniqueFd file(memfd_create("hazmat-seccomp", MFD_CLOEXEC));
    if (!file)
        return sys_error("memfd_create(seccomp program)");
    const auto bytes = program.instructions.size() * sizeof(struct sock_filter);
    if (write(file.get(), program.instructions.data(), bytes) != static_cast<ssize_t>(bytes))
        return sys_error("write(seccomp program)");
    return file;
}

// ------------------------------------------------------------------ I/O --

// Puts hazmat's terminal in raw mode while a pty is relayed, so keys
// (including ^C and ^Z) reach the command's own terminal, and restores it.
class RawTerminal {
  public:
    explicit RawTerminal(int fd) : fd_(fd) {
        if (tcgetattr(fd_, &saved_) != 0)
            return;
        struct termios raw = saved_;
        cfmakeraw(&raw);
        active_ = tcsetattr(fd_, TCSANOW, &raw) == 0;
    }
    ~RawTerminal() {
        if (active_)
            tcsetattr(fd_, TCSANOW, &saved_);
    }
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

  private:
    int fd_;
    struct termios saved_ = {};
    bool active_ = false;
};

void write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const auto n = write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                struct pollfd wait = {fd, POLLOUT, 0};
                poll(&wait, 1, 100);
                continue;
            }
            return;
        }
        bytes.remove_prefix(static_cast<size_t>(n));
    }
}

struct Pipe {
    UniqueFd read;
    UniqueFd write;
};

Result<Pipe> make_pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return sys_error("pipe2");
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void set_nonblocking(int fd) {
    const int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

// hazmat's stdin may be a regular file, which epoll refuses: copy it on a
// thread instead.
void copy_in_background(int from, UniqueFd to) {
    std::thread([from, fd = std::move(to)]() mutable {
        char buffer[65536];
        for (;;) {
            const auto n = read(from, buffer, sizeof(buffer));
            if (n <= 0)
                break;
            write_all(fd.get(), std::string_view(buffer, static_cast<size_t>(n)));
        }
    }).detach();
}

// ----------------------------------------------------------- the run loop --

enum Source : uint32_t {
    kControl = 1,
    kSignals,
    kTimer,
    kDns,
    kInotify,
    kOutput,  // pty master or stdout pipe
    kErrors,  // stderr pipe
    kInput,   // hazmat's stdin
    kSample,  // time to sample the processes (limits without a cgroup)
};

// How often the processes are sampled when no cgroup counts limit hits.
constexpr auto kSampleInterval = std::chrono::milliseconds(100);

struct RunState {
    const SandboxPolicy* policy = nullptr;
    EventRecorder* recorder = nullptr;
    SharedLeakScanner* leaks = nullptr;
    const PathWatch* watch = nullptr;
    StdioKind stdio = StdioKind::pipes;
    bool capture = false;

    pid_t init = -1;
    UniqueFd epoll;
    UniqueFd control;
    UniqueFd signals;
    UniqueFd timer;
    UniqueFd dns;
    UniqueFd inotify;
    UniqueFd sample_timer;
    UniqueFd output;  // pty master or the command's stdout
    UniqueFd errors;  // the command's stderr
    UniqueFd input;   // where hazmat's stdin goes (pty master dup or stdin pipe)
    std::atomic<bool> input_registered{false};
    std::map<int, std::string> decoy_watches;       // inotify wd -> display path
    std::array<UniqueFd, 4> pinned;                 // home, /tmp, /dev/shm, the sandbox's /proc
    LimitMessageWatcher* limit_messages = nullptr;  // set when no cgroup counts hits
    LimitHits sampled;
    const DecoySet* decoys = nullptr;

    std::unique_ptr<Supervisor> supervisor;
    std::optional<std::string> setup_error;
    std::optional<std::string> exec_error;
    std::optional<int> command_status;
    bool init_exited = false;
    bool timed_out = false;
    int interrupts = 0;
    std::string captured_stdout;
    std::string captured_stderr;
};

Status watch_fd(RunState& state, int fd, Source source, uint32_t events = EPOLLIN) {
    struct epoll_event event = {};
    event.events = events;
    event.data.u32 = source;
    if (epoll_ctl(state.epoll.get(), EPOLL_CTL_ADD, fd, &event) != 0)
        return sys_error(fmt::format("epoll_ctl(ADD, {})", fd));
    return done();
}

void unwatch_fd(RunState& state, int fd) {
    epoll_ctl(state.epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void add_decoy_watches(RunState& state, const DecoySet& decoys) {
    state.inotify.reset(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!state.inotify)
        return;
    const int home = state.pinned[0].get();
    for (const auto& file : decoys.files) {
        if (!file.holds_secret)
            continue;
        // Through our own descriptor of the sandbox's home: the watch sits
        // on the inode, so a read through any link or path is seen.
        const auto path = fmt::format("/proc/self/fd/{}/{}", home, file.path);
        const int wd = inotify_add_watch(state.inotify.get(), path.c_str(),
                                         IN_OPEN | IN_ACCESS | IN_MODIFY | IN_ATTRIB |
                                             IN_DELETE_SELF | IN_MOVE_SELF | IN_DONT_FOLLOW);
        if (wd >= 0)
            state.decoy_watches[wd] = "~/" + file.path;
    }
    (void)watch_fd(state, state.inotify.get(), kInotify);
}

// The home directory is built: watch every decoy, then let init start the
// command. Init waits for this, so the command never runs before the
// watches exist.
void finish_home(RunState& state, const DecoySet& decoys) {
    add_decoy_watches(state, decoys);
    if (auto status = send_control(state.control.get(), ControlType::start_command); !status)
        state.setup_error = status.error().message;
}

void handle_control(RunState& state, const DecoySet& decoys, const Supervisor::Context& context) {
    auto message = receive_control(state.control.get());
    if (!message) {
        unwatch_fd(state, state.control.get());
        state.control.reset();
        return;
    }
    switch (message->type) {
        case ControlType::setup_failed:
            state.setup_error = message->text;
            break;
        case ControlType::exec_failed:
            state.exec_error = message->text;
            break;
        case ControlType::command_exited:
            state.command_status = message->value;
            spdlog::debug("the command exited");
            break;
        case ControlType::dns_socket:
            state.dns = std::move(message->fd);
            (void)watch_fd(state, state.dns.get(), kDns);
            break;
        case ControlType::pinned_dir:
            if (message->value >= 0 && message->value < 4)
                state.pinned[static_cast<size_t>(message->value)] = std::move(message->fd);
            if (message->value == 0)
                finish_home(state, decoys);
            break;
        case ControlType::pty_master: {
            state.output = std::move(message->fd);
            set_nonblocking(state.output.get());
            struct winsize size = {};
            if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0)
                ioctl(state.output.get(), TIOCSWINSZ, &size);
            (void)watch_fd(state, state.output.get(), kOutput);
            state.input.reset(dup(state.output.get()));
            if (!state.capture && watch_fd(state, STDIN_FILENO, kInput).ok())
                state.input_registered = true;
            break;
        }
        case ControlType::listener: {
            state.supervisor = std::make_unique<Supervisor>(std::move(message->fd), context);
            if (auto status = state.supervisor->start(); !status)
                state.setup_error = status.error().message;
            break;
        }
        case ControlType::seccomp_program:
        case ControlType::start_command:
            break;
        case ControlType::started:
            spdlog::debug("command started as pid {} inside", message->value);
            break;
            break;
    }
    if (state.setup_error && state.init > 0)
        kill(state.init, SIGKILL);
}

// LIMITATION: output is relayed byte for byte, escape sequences included: a
// program can set the terminal's title or, on terminals that allow it,
// write the clipboard (OSC 52).
void handle_output(RunState& state, Source source) {
    auto& fd = source == kOutput ? state.output : state.errors;
    char buffer[65536];
    for (;;) {
        const auto n = read(fd.get(), buffer, sizeof(buffer));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {  // EOF, or EIO once the pty's last slave closed
            unwatch_fd(state, fd.get());
            if (source == kOutput && state.input_registered) {
                unwatch_fd(state, STDIN_FILENO);
                state.input_registered = false;
            }
            fd.reset();
            return;
        }
        const std::string_view bytes(buffer, static_cast<size_t>(n));
        const bool is_stdout = source == kOutput;
        state.leaks->feed(is_stdout ? "stdout" : "stderr", bytes);
        if (state.limit_messages)
            state.limit_messages->feed(is_stdout ? "stdout" : "stderr", bytes);
        if (state.capture) {
            auto& sink = is_stdout ? state.captured_stdout : state.captured_stderr;
            if (sink.size() < kCaptureLimit)
                sink.append(bytes.substr(0, kCaptureLimit - sink.size()));
        } else {
            write_all(is_stdout ? STDOUT_FILENO : STDERR_FILENO, bytes);
        }
    }
}

void handle_input(RunState& state) {
    char buffer[4096];
    const auto n = read(STDIN_FILENO, buffer, sizeof(buffer));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        unwatch_fd(state, STDIN_FILENO);
        state.input_registered = false;
        if (state.stdio == StdioKind::pipes)
            state.input.reset();  // the command sees end of input
        return;
    }
    if (state.input)
        write_all(state.input.get(), std::string_view(buffer, static_cast<size_t>(n)));
}

void handle_dns(RunState& state) {
    char packet[4096];
    for (;;) {
        struct sockaddr_storage from = {};
        socklen_t from_length = sizeof(from);
        const auto n = recvfrom(state.dns.get(), packet, sizeof(packet), 0,
                                reinterpret_cast<struct sockaddr*>(&from), &from_length);
        if (n < 0)
            return;
        const std::string_view query(packet, static_cast<size_t>(n));
        const auto question = parse_dns_query(query);
        Event event;
        event.type = EventType::dns;
        if (!question) {
            event.detail = "malformed query";
            state.recorder->record(std::move(event));
            continue;
        }
        event.address = question->name;
        event.flags = dns_type_name(question->type);
        const bool admitted = state.policy->network.admits_name(question->name);
        // LIMITATION: the allow-listed egress layer does not exist yet, so
        // even an admitted name gets no address.
        event.decision =
            admitted ? "refused (egress layer not available)" : "NXDOMAIN (no network)";
        state.leaks->scan_whole("DNS query", question->name);
        state.recorder->record(std::move(event));
        const auto response = dns_error_response(query, *question, admitted ? 5 : 3);
        sendto(state.dns.get(), response.data(), response.size(), 0,
               reinterpret_cast<struct sockaddr*>(&from), from_length);
    }
}

std::string inotify_mask_names(uint32_t mask) {
    std::string out;
    const std::array<std::pair<uint32_t, const char*>, 6> names = {{
        {IN_OPEN, "open"},
        {IN_ACCESS, "read"},
        {IN_MODIFY, "write"},
        {IN_ATTRIB, "metadata"},
        {IN_DELETE_SELF, "delete"},
        {IN_MOVE_SELF, "move"},
    }};
    for (const auto& [bit, name] : names) {
        if (mask & bit) {
            if (!out.empty())
                out += '|';
            out += name;
        }
    }
    return out;
}

void handle_inotify(RunState& state) {
    alignas(struct inotify_event) char buffer[8192];
    for (;;) {
        const auto n = read(state.inotify.get(), buffer, sizeof(buffer));
        if (n <= 0)
            return;
        for (ssize_t offset = 0; offset < n;) {
            const auto* event = reinterpret_cast<const struct inotify_event*>(buffer + offset);
            offset += static_cast<ssize_t>(sizeof(struct inotify_event) + event->len);
            if (event->mask & IN_Q_OVERFLOW) {
                state.recorder->note_lost(1);
                continue;
            }
            const auto it = state.decoy_watches.find(event->wd);
            if (it == state.decoy_watches.end() || (event->mask & IN_IGNORED))
                continue;
            Event access;
            access.type = EventType::decoy_access;
            access.path = it->second;
            access.flags = inotify_mask_names(event->mask);
            access.category = PathCategory::decoy;
            state.recorder->record(std::move(access));
        }
    }
}

void handle_signals(RunState& state) {
    struct signalfd_siginfo info = {};
    while (read(state.signals.get(), &info, sizeof(info)) == sizeof(info)) {
        const int signal = static_cast<int>(info.ssi_signo);
        if (signal == SIGCHLD) {
            int status = 0;
            if (state.init > 0 && waitpid(state.init, &status, WNOHANG) == state.init) {
                state.init_exited = true;
                spdlog::debug("init exited");
            }
        } else if (signal == SIGWINCH) {
            struct winsize size = {};
            if (state.stdio == StdioKind::pty && state.output &&
                ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0)
                ioctl(state.output.get(), TIOCSWINSZ, &size);
        } else if (state.init > 0 && !state.init_exited) {
            // First interrupt: pass it on so the command can clean up;
            // a second one ends the sandbox.
            kill(state.init, ++state.interrupts > 1 ? SIGKILL : signal);
        }
    }
}

void handle_timer(RunState& state) {
    uint64_t expirations = 0;
    (void)!read(state.timer.get(), &expirations, sizeof(expirations));
    if (!state.init_exited && state.init > 0) {
        state.timed_out = true;
        kill(state.init, SIGKILL);  // the PID namespace dies with its init
    }
}

void handle_sample(RunState& state) {
    uint64_t expirations = 0;
    (void)!read(state.sample_timer.get(), &expirations, sizeof(expirations));
    if (state.pinned[3] && !state.init_exited)
        record_sample(state.sampled, sample_processes(state.pinned[3].get()));
}

void run_loop(RunState& state, const DecoySet& decoys, const Supervisor::Context& context) {
    std::optional<std::chrono::steady_clock::time_point> drain_deadline;
    for (;;) {
        // Init reports the command's status only once every process inside
        // is gone; its own exit (the namespaces' teardown) need not be
        // waited for here.
        if (state.init_exited || state.command_status) {
            // Every process inside is gone; collect what is left in the pipes.
            if (!drain_deadline)
                drain_deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
            // The command's status is the last message init sends: its
            // channel's end (init's exit, after the namespaces are torn
            // down) need not be waited for.
            const bool drained =
                !state.output && !state.errors && (!state.control || state.command_status);
            if (drained || std::chrono::steady_clock::now() > *drain_deadline)
                return;
        }
        std::array<struct epoll_event, 16> ready;
        const int timeout = state.init_exited || state.command_status ? 50 : -1;
        const int count = epoll_wait(state.epoll.get(), ready.data(), ready.size(), timeout);
        if (count < 0 && errno != EINTR)
            return;
        for (int i = 0; i < count; ++i) {
            switch (ready[static_cast<size_t>(i)].data.u32) {
                case kControl:
                    handle_control(state, decoys, context);
                    break;
                case kSignals:
                    handle_signals(state);
                    break;
                case kTimer:
                    handle_timer(state);
                    break;
                case kDns:
                    handle_dns(state);
                    break;
                case kInotify:
                    handle_inotify(state);
                    break;
                case kOutput:
                    handle_output(state, kOutput);
                    break;
                case kErrors:
                    handle_output(state, kErrors);
                    break;
                case kInput:
                    handle_input(state);
                    break;
                case kSample:
                    handle_sample(state);
                    break;
            }
        }
    }
}

// ------------------------------------------------------------ after run --

void scan_written_files(RunState& state, RunRecord& record) {
    bool complete = true;
    if (record.workspace_diff) {
        uint64_t budget = kScanTotalBytes;
        for_each_changed_file(record.layer_upper, *record.workspace_diff, kScanFileBytes,
                              [&](const std::string& path, std::string_view content) {
                                  if (budget < content.size()) {
                                      complete = false;
                                      return;
                                  }
                                  budget -= content.size();
                                  state.leaks->scan_whole("file " + path, content);
                              });
    }
    // Home: what changed against what was planted, and everything written.
    if (state.pinned[0]) {
        std::vector<std::pair<std::string, std::string>> found;
        const auto workspace_in_home =
            fs::path(record.workspace_inside).lexically_relative(record.persona.home()).string();
        complete &=
            walk_files(state.pinned[0].get(), kScanFileBytes, kScanTotalBytes, {workspace_in_home},
                       [&](const std::string& path, std::string_view content) {
                           found.emplace_back(path, std::string(content));
                       });
        std::vector<DecoyFile> planted = record.decoys.files;
        const auto skeleton = skeleton_dotfiles();
        planted.insert(planted.end(), skeleton.begin(), skeleton.end());
        record.home_changes = compare_home(planted, found);
        for (const auto& change : record.home_changes) {
            for (const auto& [path, content] : found) {
                if (path == change.path)
                    state.leaks->scan_whole("file ~/" + path, content);
            }
        }
    }
    for (const auto& [index, name] : {std::pair{1, "/tmp"}, {2, "/dev/shm"}}) {
        if (!state.pinned[static_cast<size_t>(index)])
            continue;
        complete &=
            walk_files(state.pinned[static_cast<size_t>(index)].get(), kScanFileBytes,
                       kScanTotalBytes, {}, [&](const std::string& path, std::string_view content) {
                           state.leaks->scan_whole(fmt::format("file {}/{}", name, path), content);
                       });
    }
    record.scans_complete = complete;
}

CommandOutcome outcome_of(const RunState& state) {
    CommandOutcome outcome;
    if (state.timed_out) {
        outcome.state = CommandOutcome::State::timed_out;
    } else if (state.exec_error) {
        outcome.state = CommandOutcome::State::not_started;
        outcome.error = *state.exec_error;
    } else if (state.command_status) {
        const int status = *state.command_status;
        if (WIFEXITED(status)) {
            outcome.state = CommandOutcome::State::exited;
            outcome.exit_code = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
            outcome.state = CommandOutcome::State::signaled;
            outcome.signal = WTERMSIG(status);
        }
    } else {
        outcome.state = CommandOutcome::State::signaled;
        outcome.signal = SIGKILL;  // init died without reporting: killed from outside
    }
    return outcome;
}

nlohmann::json start_record(const RunRecord& record, const SandboxPolicy& policy) {
    return {
        {"t", 0.0},
        {"event", "start"},
        {"run", record.run_id},
        {"hazmat", kHazmatVersion},
        {"project", record.project.string()},
        {"workspace", record.workspace_inside},
        {"command", policy.command},
        {"persona", {{"user", record.persona.user_name}, {"host", record.persona.host_name}}},
        {"isolation",
         {{"namespaces", record.isolation.namespaces},
          {"landlock_abi", record.isolation.landlock_abi},
          {"seccomp", record.isolation.seccomp},
          {"monitored", record.isolation.monitored},
          {"limits",
           {{"memory", record.isolation.limits.memory},
            {"processes", record.isolation.limits.processes},
            {"cpu", record.isolation.limits.cpu}}},
          {"degraded", record.isolation.degraded}}},
    };
}

}  // namespace

bool seccomp_notification_supported() {
    struct seccomp_notif_sizes sizes = {};
    return syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == 0;
}

namespace {

// -vv timings of the run's phases.
class PhaseTimer {
  public:
    void mark(std::string_view phase) {
        const auto now = std::chrono::steady_clock::now();
        spdlog::debug("{}: {:.2f} ms", phase,
                      std::chrono::duration<double, std::milli>(now - last_).count());
        last_ = now;
    }

  private:
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace

Result<RunRecord> run_in_sandbox(const SandboxPolicy& policy) {
    PhaseTimer timer;
    if (policy.command.empty())
        return Error{"no command to run"};
    if (policy.network.mode != NetworkMode::loopback_only)
        return Error{
            "allow-listed network egress is not available yet; the sandbox has "
            "loopback only"};
    RunRecord record;
    record.project = policy.project;
    record.command = policy.command;
    record.limits = policy.limits;

    // Isolation layers this host offers, and what to do about missing ones.
    const int abi = landlock_abi();
    const bool monitored = policy.monitor && seccomp_notification_supported();
    if (abi == 0)
        record.isolation.degraded.push_back(
            "Landlock (the kernel lacks it or it is disabled: boot with lsm=...,landlock)");
    if (!policy.monitor)
        record.isolation.degraded.push_back("the monitor, turned off with --no-monitor");
    else if (!monitored)
        record.isolation.degraded.push_back(
            "seccomp user notification (kernel older than 5.0): nothing would be recorded");
    if (!record.isolation.degraded.empty() && !policy.allow_degraded && policy.monitor) {
        std::string missing;
        for (const auto& layer : record.isolation.degraded)
            missing += "\n  - " + layer;
        return Error{
            fmt::format("refusing to run with weaker isolation than asked; missing:{}\n"
                        "Run 'hazmat doctor' for details, or pass --allow-degraded to "
                        "accept it.",
                        missing)};
    }
    record.isolation.namespaces = {"user", "mount", "pid", "ipc", "uts", "network", "cgroup"};
    record.isolation.landlock_abi = abi;
    record.isolation.landlock_scopes = abi >= 6;
    record.isolation.seccomp = true;
    record.isolation.monitored = monitored;
    record.isolation.workspace = policy.workspace == WorkspaceMode::overlay    ? "overlay"
                                 : policy.workspace == WorkspaceMode::writable ? "writable bind"
                                                                               : "read-only bind";

    // The workspace is visible to the program: never a home directory or a
    // credential store.
    if (auto status = check_workspace_path(policy.project, host_home()); !status)
        return Error{status.error().message +
                     "; run hazmat in the project's own directory (or name it)"};

    // Where this run lives on the host.
    auto state_dir = state_root();
    if (!state_dir)
        return state_dir.error();
    if (path_within(fs::weakly_canonical(*state_dir).string(), policy.project.string()))
        return Error{
            fmt::format("the project directory {} contains hazmat's state directory {}; "
                        "set HAZMAT_STATE_DIR elsewhere",
                        policy.project.string(), state_dir->string())};
    auto run = create_run_directory(*state_dir);
    if (!run)
        return run.error();
    record.run_id = run->id;
    record.run_dir = run->dir;
    record.audit_log = policy.audit_log.empty() ? run->audit_log() : policy.audit_log;
    std::optional<WorkspaceLayer> layer;
    if (policy.workspace == WorkspaceMode::overlay) {
        auto prepared =
            prepare_layer(*state_dir, *run, policy.keep_name, policy.fresh, policy.project);
        if (!prepared)
            return prepared.error();
        layer = std::move(*prepared);
        record.layer_name = layer->name;
        record.layer_kept = layer->kept;
        record.layer_upper = layer->upper();
    }

    // Who the program thinks it is, and the bait it finds.
    record.persona = policy.persona.value_or(Persona::random());
    record.decoys = DecoySet::generate(record.persona);
    if (auto status = save_decoys(*run, *state_dir, record.decoys); !status)
        return status.error();
    const auto home = record.persona.home();
    record.workspace_inside = home + "/" + workspace_name(policy.project, record.decoys);
    auto environment = sandbox_environment(record.persona, record.decoys, policy.env_grants,
                                           record.workspace_inside, environ);
    if (!environment)
        return environment.error();

    timer.mark("run directory, decoys, environment");
    auto limits = ResourceController::create(policy.limits, run->id);
    if (!limits)
        return limits.error();
    record.isolation.limits = limits->mechanisms();
    timer.mark("cgroups");
    const auto gpu = policy.gpu ? find_gpu_access() : GpuAccess{};
    record.isolation.gpu_requested = policy.gpu;
    record.isolation.gpu_devices = gpu.devices;

    // The plan the processes inside execute.
    ContainPlan plan;
    plan.root.mount_point = run->mount_point;
    plan.root.project = policy.project;
    plan.root.workspace_mode = policy.workspace;
    if (layer) {
        plan.root.upper = layer->upper();
        plan.root.work = layer->work();
        plan.root.volatile_upper = !layer->kept;
    }
    plan.root.workspace = record.workspace_inside;
    plan.root.home = home;
    plan.root.tmp_bytes = policy.limits.tmp_bytes;
    plan.root.shm_bytes = policy.limits.shm_bytes;
    plan.root.home_bytes = policy.limits.home_bytes;
    plan.root.etc = synthesized_etc(record.persona, kNameserverAddress);
    plan.root.home_files = skeleton_dotfiles();
    plan.root.home_files.insert(plan.root.home_files.end(), record.decoys.files.begin(),
                                record.decoys.files.end());
    plan.root.gpu = policy.gpu;
    const auto real_home = host_home();
    for (const auto& path : policy.read_only_paths) {
        std::error_code ec;
        const auto canonical = fs::canonical(path, ec);
        plan.root.binds.push_back(
            {canonical, read_only_target(canonical, real_home, record.persona), false, false});
    }
    plan.root.binds.insert(plan.root.binds.end(), gpu.binds.begin(), gpu.binds.end());
    for (const auto& mount : policy.extra_mounts)
        plan.root.binds.push_back({mount.source, mount.target.string(), mount.writable, false});
    plan.ids = {record.persona.uid, record.persona.gid, static_cast<uint32_t>(geteuid()),
                static_cast<uint32_t>(getegid())};
    plan.host_name = record.persona.host_name;
    plan.uptime = record.persona.uptime;
    plan.argv = policy.command;
    plan.environment = std::move(*environment);
    plan.working_directory = record.workspace_inside;
    plan.rlimits = limits->rlimits();
    plan.landlock = landlock_plan(abi, home, record.workspace_inside, gpu);
    plan.monitored = monitored;

    // Terminal or pipes.
    RunState state;
    state.policy = &policy;
    state.capture = policy.io == IoMode::capture;
    const bool on_terminal = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    state.stdio = policy.io == IoMode::pty || (policy.io == IoMode::automatic && on_terminal)
                      ? StdioKind::pty
                      : StdioKind::pipes;
    plan.stdio = state.stdio;
    std::optional<Pipe> stdin_pipe, stdout_pipe, stderr_pipe;
    if (state.stdio == StdioKind::pipes) {
        auto in = make_pipe();
        auto out = make_pipe();
        auto err = make_pipe();
        if (!in || !out || !err)
            return sys_error("pipe2");
        stdin_pipe = std::move(*in);
        stdout_pipe = std::move(*out);
        stderr_pipe = std::move(*err);
        plan.stdin_fd = stdin_pipe->read.get();
        plan.stdout_fd = stdout_pipe->write.get();
        plan.stderr_fd = stderr_pipe->write.get();
    }
    int sockets[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) != 0)
        return sys_error("socketpair(control channel)");
    state.control.reset(sockets[0]);
    UniqueFd inside_control(sockets[1]);
    plan.control_fd = inside_control.get();

    auto recorder = EventRecorder::open(record.audit_log);
    if (!recorder)
        return recorder.error();
    state.recorder = recorder->get();

    // hazmat's own signals arrive through the loop from here on; blocking
    // them before any thread exists makes every thread inherit the mask.
    sigset_t handled;
    sigemptyset(&handled);
    for (const int signal : {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH})
        sigaddset(&handled, signal);
    sigset_t previous;
    sigprocmask(SIG_BLOCK, &handled, &previous);
    struct SignalMaskRestore {
        sigset_t mask;
        ~SignalMaskRestore() { sigprocmask(SIG_SETMASK, &mask, nullptr); }
    } restore_mask{previous};
    state.signals.reset(signalfd(-1, &handled, SFD_NONBLOCK | SFD_CLOEXEC));
    state.epoll.reset(epoll_create1(EPOLL_CLOEXEC));
    if (!state.signals || !state.epoll)
        return sys_error("signalfd/epoll_create1");

    timer.mark("plan and channels");
    (*recorder)->record_raw(start_record(record, policy));
    (*recorder)->start_clock();
    const auto started = std::chrono::steady_clock::now();

    // The sandbox's init, in its new namespaces. A raw clone (no new stack)
    // behaves like fork; hazmat is single-threaded here.
    // Supplementary groups cannot be mapped into the sandbox (setgroups is
    // denied there); root, who can, drops its own first so the sandbox
    // inherits none.
    if (geteuid() == 0)
        setgroups(0, nullptr);
    if (limits->inherits_through_clone()) {
        if (auto status = limits->enter_for_clone(); !status)
            return Error{"cgroups: " + status.error().message};
    }
    const long child =
        syscall(SYS_clone, kNamespaceFlags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (child != 0 && limits->inherits_through_clone())
        limits->leave_after_clone();
    if (child < 0) {
        const int error = errno;
        return Error{fmt::format(
            "cannot create the sandbox's namespaces: clone(CLONE_NEWUSER|CLONE_NEWNS|...): {}.{}",
            std::strerror(error),
            error == EPERM || error == ENOSPC
                ? " Unprivileged user namespaces are blocked on this host; 'hazmat doctor' says "
                  "why and what an administrator can do."
                : "")};
    }
    if (child == 0)
        run_init(plan);  // never returns
    state.init = static_cast<pid_t>(child);
    inside_control.reset();
    if (stdin_pipe) {
        stdin_pipe->read.reset();
        stdout_pipe->write.reset();
        stderr_pipe->write.reset();
        state.output = std::move(stdout_pipe->read);
        state.errors = std::move(stderr_pipe->read);
        set_nonblocking(state.output.get());
        set_nonblocking(state.errors.get());
        state.input = std::move(stdin_pipe->write);
    }

    const auto abort_setup = [&](const Error& error) -> Result<RunRecord> {
        kill(state.init, SIGKILL);
        waitpid(state.init, nullptr, 0);
        return error;
    };
    timer.mark("clone");
    // While init builds the root: compile the filter and move init into the
    // run's cgroups (a cgroup v1 migration waits for an RCU grace period).
    auto seccomp = cached_seccomp_program(*state_dir / "cache", monitored);
    if (!seccomp)
        return abort_setup(seccomp.error());
    auto program = seccomp_program_file(*seccomp);
    if (!program)
        return abort_setup(program.error());
    if (auto status =
            send_control(state.control.get(), ControlType::seccomp_program, 0, {}, program->get());
        !status)
        return abort_setup(status.error());
    timer.mark("seccomp program");
    // While init builds the root: what the monitor needs.
    state.decoys = &record.decoys;
    const PathWatch watch(home, record.workspace_inside, host_home().string(), record.decoys);
    state.watch = &watch;
    SharedLeakScanner leaks(record.decoys.secrets);
    state.leaks = &leaks;
    timer.mark("monitor preparation");
    if (!limits->inherits_through_clone()) {
        // LIMITATION: moving init into a cgroup v2 subtree waits for an RCU
        // grace period (clone3 with CLONE_INTO_CGROUP would avoid it).
        if (auto status = limits->attach(state.init); !status)
            return abort_setup(Error{"cgroups: " + status.error().message});
    }
    timer.mark("cgroup attach");

    for (const auto& [fd, source] :
         {std::pair{state.control.get(), kControl}, {state.signals.get(), kSignals}}) {
        if (auto status = watch_fd(state, fd, source); !status)
            return abort_setup(status.error());
    }
    if (state.stdio == StdioKind::pipes) {
        (void)watch_fd(state, state.output.get(), kOutput);
        (void)watch_fd(state, state.errors.get(), kErrors);
        if (state.capture) {
            state.input.reset();
        } else if (watch_fd(state, STDIN_FILENO, kInput).ok()) {
            state.input_registered = true;
        } else if (errno == EPERM) {
            copy_in_background(STDIN_FILENO, std::move(state.input));
        } else {
            state.input.reset();
        }
    }
    if (policy.limits.timeout.count() > 0) {
        state.timer.reset(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
        struct itimerspec when = {};
        const auto ms = policy.limits.timeout.count();
        when.it_value.tv_sec = ms / 1000;
        when.it_value.tv_nsec = (ms % 1000) * 1'000'000;
        timerfd_settime(state.timer.get(), 0, &when, nullptr);
        (void)watch_fd(state, state.timer.get(), kTimer);
    }

    // rlimits count no hits: sample the processes and watch the output for
    // the failures a refused allocation or fork leaves.
    LimitMessageWatcher limit_messages;
    if (!limits->counts_hits()) {
        state.limit_messages = &limit_messages;
        state.sample_timer.reset(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
        struct itimerspec every = {};
        every.it_value.tv_nsec = std::chrono::nanoseconds(kSampleInterval).count();
        every.it_interval = every.it_value;
        if (state.sample_timer) {
            timerfd_settime(state.sample_timer.get(), 0, &every, nullptr);
            (void)watch_fd(state, state.sample_timer.get(), kSample);
        }
    }

    Supervisor::Context context;
    context.recorder = recorder->get();
    context.watch = &watch;
    context.leaks = &leaks;
    if (policy.ask) {
        // Keys typed while a prompt is open answer the prompt; they must
        // not be relayed to the command.
        context.ask = [&state, ask = policy.ask](const Event& event) {
            const bool relaying = state.input_registered.exchange(false);
            if (relaying)
                unwatch_fd(state, STDIN_FILENO);
            const auto answer = ask(event);
            if (relaying && watch_fd(state, STDIN_FILENO, kInput).ok())
                state.input_registered = true;
            return answer;
        };
    }
    {
        std::optional<RawTerminal> raw;
        if (state.stdio == StdioKind::pty && !state.capture && isatty(STDIN_FILENO))
            raw.emplace(STDIN_FILENO);
        run_loop(state, record.decoys, context);
    }
    timer.mark("sandbox lifetime");
    if (!state.init_exited && !state.command_status)
        kill(state.init, SIGKILL);
    if (state.supervisor) {
        state.supervisor->stop();
        record.isolation.sync_wake_up = state.supervisor->sync_wake_up();
        record.notifications = state.supervisor->notifications();
        record.monitor_errors = state.supervisor->errors();
    }
    if (state.setup_error)
        return Error{"setting up the sandbox: " + *state.setup_error};

    record.outcome = outcome_of(state);
    record.outcome.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    if (layer) {
        auto diff = diff_workspace(layer->upper(), policy.project);
        if (diff)
            record.workspace_diff = std::move(*diff);
        else
            spdlog::warn("{}", diff.error().message);
    }
    timer.mark("workspace diff");
    scan_written_files(state, record);
    timer.mark("leak scans");
    // The cgroups can go once init has exited (its teardown overlapped the
    // diff and the scans). Without cgroups, init is reaped last of all.
    if (!state.init_exited && limits->counts_hits()) {
        waitpid(state.init, nullptr, 0);
        state.init_exited = true;
    }
    record.limit_hits = limits->read_hits();
    if (state.limit_messages) {
        record.limit_hits.peak_tasks = state.sampled.peak_tasks;
        record.limit_hits.peak_process_data = state.sampled.peak_process_data;
        record.limit_hits.peak_process_name = state.sampled.peak_process_name;
        limit_messages.add_to(record.limit_hits);
    }
    limits->remove();
    timer.mark("cgroup removal");
    for (auto& pinned : state.pinned)
        pinned.reset();
    record.leaks = leaks.hits();
    record.captured_stdout = std::move(state.captured_stdout);
    record.captured_stderr = std::move(state.captured_stderr);

    (*recorder)->finish();
    record.events = (*recorder)->events();
    record.repeats = (*recorder)->repeats();
    record.lost_events = (*recorder)->lost();
    timer.mark("audit log");
    if (layer && !layer->kept)
        dispose_run_leftovers(*state_dir, *run,
                              record.workspace_diff && !record.workspace_diff->changes.empty());
    timer.mark("leftovers disposed");
    if (!state.init_exited)
        waitpid(state.init, nullptr, 0);
    timer.mark("init reaped");
    return record;
}

}  // namespace hazmat::sandbox
