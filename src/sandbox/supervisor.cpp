#include "sandbox/supervisor.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <seccomp.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include "sandbox/net_namespace.hpp"
#include "sandbox/process_memory.hpp"
#include "sandbox/seccomp_filter.hpp"

// The installed kernel headers (6.1) predate these (added in 6.6): with the
// flag set, the kernel wakes the supervisor and switches to it on the same
// CPU when a notification arrives, so a notified syscall costs a few
// microseconds instead of a cross-CPU wake-up.
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

namespace hazmat::sandbox {

namespace {

struct ProcessInfo {
    int pid_inside = 0;
    std::string name;
};

// Name and pid-namespace pid from /proc/PID/status ("NSpid: 4711 3").
ProcessInfo process_info(pid_t pid) {
    ProcessInfo info;
    std::ifstream in(fmt::format("/proc/{}/status", pid));
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("Name:")) {
            info.name = line.substr(5);
            info.name.erase(0, info.name.find_first_not_of(" \t"));
        } else if (line.starts_with("NSpid:")) {
            std::istringstream fields(line.substr(6));
            int value = 0;
            while (fields >> value)
                info.pid_inside = value;
            break;
        }
    }
    return info;
}

std::string read_link(const std::string& path) {
    char buffer[4096];
    const auto n = readlink(path.c_str(), buffer, sizeof(buffer) - 1);
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
}

// The requested path made absolute the way the kernel will start resolving
// it: from the process's working directory or from `dirfd`.
std::string absolute_request(pid_t pid, int dirfd, const std::string& path) {
    if (path.starts_with('/'))
        return normalize_path("/", path);
    const auto base = dirfd == AT_FDCWD ? read_link(fmt::format("/proc/{}/cwd", pid))
                                        : read_link(fmt::format("/proc/{}/fd/{}", pid, dirfd));
    return normalize_path(base.empty() ? "/" : base, path);
}

// Resolves `absolute` inside the process's root the way the kernel would
// (symlinks followed, confined to that root), without opening the file for
// reading: O_PATH opens do not count as accesses and set off no watch.
std::string kernel_resolved(pid_t pid, const std::string& absolute) {
    UniqueFd root(
        open(fmt::format("/proc/{}/root", pid).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root)
        return {};
    struct open_how how = {};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    UniqueFd file(
        static_cast<int>(syscall(SYS_openat2, root.get(), absolute.c_str(), &how, sizeof(how))));
    if (!file)
        return {};
    return read_link(fmt::format("/proc/self/fd/{}", file.get()));
}

bool is_loopback(const SocketAddress& address) {
    return (address.family == "inet" && address.address.starts_with("127.")) ||
           (address.family == "inet6" && address.address == "::1");
}

bool is_nameserver(const SocketAddress& address) {
    return address.family == "inet" && address.address == kNameserverAddress &&
           address.port == kNameserverPort;
}

// Whether a socket inside the sandbox's network namespace is bound to
// `port` (TCP listening, or UDP bound): a connect there reaches the
// sandbox's own service, otherwise the program is looking for a host one.
bool listener_inside(pid_t pid, uint16_t port) {
    for (const char* table : {"tcp", "tcp6", "udp", "udp6"}) {
        std::ifstream in(fmt::format("/proc/{}/net/{}", pid, table));
        std::string line;
        std::getline(in, line);  // header
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            std::string slot, local, remote, state;
            fields >> slot >> local >> remote >> state;
            const auto colon = local.rfind(':');
            if (colon == std::string::npos)
                continue;
            const auto local_port = std::stoul(local.substr(colon + 1), nullptr, 16);
            const bool tcp = table[0] == 't';
            if (local_port == port && (!tcp || state == "0A"))
                return true;
        }
    }
    return false;
}

bool open_is_writing(uint64_t flags) {
    return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC | O_APPEND));
}

SyscallArgs arguments(const struct seccomp_notif& request) {
    SyscallArgs args;
    for (size_t i = 0; i < args.size(); ++i)
        args[i] = request.data.args[i];
    return args;
}

class NotificationHandler {
  public:
    NotificationHandler(const Supervisor::Context& context, std::set<std::string>& denied_kinds,
                        bool& first_exec)
        : context_(context), denied_all_(denied_kinds), first_exec_(first_exec) {}

    // Returns the errno to answer with, or 0 to let the syscall proceed.
    int handle(const struct seccomp_notif& request) {
        const int number = request.data.nr;
        const auto decision = decide_notified(number, arguments(request));
        if (decision.action == NotifiedAction::deny)
            return record_denied(request, decision);
        const auto name = syscall_name(number);
        if (name == "execve" || name == "execveat")
            return on_exec(request, name);
        if (name == "connect" || name == "sendto" || name == "bind")
            return on_socket(request, name);
        if (name == "listen")
            return on_listen(request);
        return on_open(request, name);
    }

  private:
    Event base_event(const struct seccomp_notif& request, EventType type, std::string syscall) {
        Event event;
        event.type = type;
        event.syscall = std::move(syscall);
        const auto info = process_info(static_cast<pid_t>(request.pid));
        event.pid = info.pid_inside;
        event.program = info.name;
        return event;
    }

    int record_denied(const struct seccomp_notif& request, const SyscallDecision& decision) {
        auto event = base_event(request, EventType::denied, syscall_name(request.data.nr));
        event.kind = std::string(decision.kind);
        event.detail = describe_denied_arguments(request.data.nr, arguments(request));
        event.decision = decision.error == ENOSYS ? "denied (ENOSYS)" : "denied (EPERM)";
        context_.recorder->record(std::move(event));
        return decision.error;
    }

    // Decides a prompt's outcome; returns the errno to deny with, or 0.
    int ask_user(Event& event, std::string_view kind) {
        if (!context_.ask)
            return 0;
        if (denied_all_.count(std::string(kind))) {
            event.decision = "denied (user denied all of this kind)";
            return EPERM;
        }
        // The same attempt again (a PATH search trying the next directory,
        // a retry loop) gets the same answer without asking again.
        std::string key = fmt::format("{}|{}|{}|{}:{}", kind,
                                      event.resolved.empty() ? event.path : event.resolved,
                                      event.address, event.port, event.flags);
        for (const auto& arg : event.argv)
            key += "|" + arg;
        if (denied_once_.count(key)) {
            event.decision = "denied by the user (same attempt)";
            return EPERM;
        }
        switch (context_.ask(event)) {
            case AskAnswer::allow_once:
                event.decision = "allowed by the user";
                return 0;
            case AskAnswer::deny:
                denied_once_.insert(std::move(key));
                event.decision = "denied by the user";
                return EPERM;
            case AskAnswer::deny_all:
                denied_all_.insert(std::string(kind));
                event.decision = "denied by the user (all of this kind)";
                return EPERM;
        }
        return 0;
    }

    int on_exec(const struct seccomp_notif& request, const std::string& name) {
        const auto pid = static_cast<pid_t>(request.pid);
        const ProcessMemory memory(pid);
        const bool at = name == "execveat";
        const int dirfd = at ? static_cast<int>(request.data.args[0]) : AT_FDCWD;
        const auto path = memory.read_string(request.data.args[at ? 1 : 0]).value_or("");
        bool truncated = false;
        auto argv = memory.read_string_array(request.data.args[at ? 2 : 1], truncated);
        if (truncated)
            argv.push_back("...");
        auto event = base_event(request, EventType::exec, name);
        const auto absolute = absolute_request(pid, dirfd, path);
        const auto resolved = kernel_resolved(pid, absolute);
        event.path = path.empty() && at ? fmt::format("fd {}", dirfd) : path;
        event.resolved = resolved != absolute ? resolved : std::string();
        event.exists = !resolved.empty() || (at && path.empty());
        event.argv = std::move(argv);
        event.first = first_exec_;
        first_exec_ = false;
        int answer = 0;
        if (!event.first && event.exists)
            answer = ask_user(event, "exec");
        if (event.decision.empty())
            event.decision = "continued";
        context_.recorder->record(std::move(event));
        return answer;
    }

    int on_socket(const struct seccomp_notif& request, const std::string& name) {
        const auto pid = static_cast<pid_t>(request.pid);
        const ProcessMemory memory(pid);
        const bool is_sendto = name == "sendto";
        const uint64_t address_pointer = request.data.args[is_sendto ? 4 : 1];
        const auto length = std::min<uint64_t>(request.data.args[is_sendto ? 5 : 2], 128);
        const auto bytes = memory.read(address_pointer, length).value_or("");
        const auto address = describe_sockaddr(bytes);
        if (is_nameserver(address) && name != "bind")
            return 0;  // the DNS answerer records the question itself

        auto event = base_event(request,
                                name == "connect" ? EventType::connect
                                : is_sendto       ? EventType::send
                                                  : EventType::bind,
                                name);
        event.family = address.family;
        event.address = address.address;
        event.port = address.port;
        if (name == "connect" && is_loopback(address))
            event.listener_inside = listener_inside(pid, address.port);
        // LIMITATION: data written to connected stream sockets (write, send)
        // is not scanned for decoy values; only sendto payloads and DNS
        // questions are. Nothing reaches past loopback either way.
        if (is_sendto) {
            const auto payload =
                memory.read(request.data.args[1], std::min<uint64_t>(request.data.args[2], 65536));
            if (payload)
                context_.leaks->scan_whole(
                    fmt::format("send to {}:{}", address.address, address.port), *payload);
        }
        int answer = 0;
        const bool internal = is_loopback(address) && event.listener_inside;
        if (name != "bind" && (address.family == "inet" || address.family == "inet6") && !internal)
            answer = ask_user(event, "network");
        if (event.decision.empty())
            event.decision = "continued";
        context_.recorder->record(std::move(event));
        return answer;
    }

    int on_listen(const struct seccomp_notif& request) {
        auto event = base_event(request, EventType::listen, "listen");
        event.detail = fmt::format("fd {}", static_cast<int>(request.data.args[0]));
        event.decision = "continued";
        context_.recorder->record(std::move(event));
        return 0;
    }

    int on_open(const struct seccomp_notif& request, const std::string& name) {
        const auto pid = static_cast<pid_t>(request.pid);
        const ProcessMemory memory(pid);
        int dirfd = AT_FDCWD;
        uint64_t path_pointer = 0;
        uint64_t flags = 0;
        if (name == "open") {
            path_pointer = request.data.args[0];
            flags = request.data.args[1];
        } else if (name == "creat") {
            path_pointer = request.data.args[0];
            flags = O_CREAT | O_WRONLY | O_TRUNC;
        } else if (name == "openat") {
            dirfd = static_cast<int>(request.data.args[0]);
            path_pointer = request.data.args[1];
            flags = request.data.args[2];
        } else {  // openat2: struct open_how, flags first
            dirfd = static_cast<int>(request.data.args[0]);
            path_pointer = request.data.args[1];
            const auto how = memory.read(request.data.args[2], sizeof(uint64_t));
            if (how && how->size() == sizeof(uint64_t))
                std::memcpy(&flags, how->data(), sizeof(flags));
        }
        const auto path = memory.read_string(path_pointer);
        if (!path)
            return 0;
        const bool writing = open_is_writing(flags);
        const auto absolute = absolute_request(pid, dirfd, *path);
        const auto info = process_info(pid);
        // LIMITATION: an open is judged by the path asked for, made absolute
        // without touching the file system; a symlink with an innocent name
        // leading to a watched file is seen through only for the decoys
        // (their inotify watches) and for files the program left changed.
        auto category = context_.watch->classify(absolute, writing, info.pid_inside);
        if (category == PathCategory::none)
            return 0;

        auto event = base_event(request, EventType::open, name);
        event.path = *path;
        const auto resolved = kernel_resolved(pid, absolute);
        event.resolved = resolved.empty() ? absolute : resolved;
        if (!resolved.empty() && resolved != absolute) {
            // A link led elsewhere: judge by where it really goes.
            const auto real = context_.watch->classify(resolved, writing, info.pid_inside);
            if (real != PathCategory::none)
                category = real;
        }
        event.category = category;
        event.flags = open_flag_names(flags);
        int answer = 0;
        if (category == PathCategory::decoy || category == PathCategory::sensitive ||
            category == PathCategory::persistence)
            answer = ask_user(event, std::string(to_string(category)));
        if (event.decision.empty())
            event.decision = "continued";
        context_.recorder->record(std::move(event));
        return answer;
    }

    const Supervisor::Context& context_;
    std::set<std::string>& denied_all_;
    std::set<std::string> denied_once_;
    bool& first_exec_;
};

}  // namespace

SocketAddress describe_sockaddr(std::string_view bytes) {
    SocketAddress out;
    if (bytes.size() < sizeof(sa_family_t)) {
        out.family = "unknown";
        return out;
    }
    sa_family_t family = 0;
    std::memcpy(&family, bytes.data(), sizeof(family));
    char text[INET6_ADDRSTRLEN] = {};
    if (family == AF_INET && bytes.size() >= sizeof(struct sockaddr_in)) {
        struct sockaddr_in in = {};
        std::memcpy(&in, bytes.data(), sizeof(in));
        inet_ntop(AF_INET, &in.sin_addr, text, sizeof(text));
        out = {"inet", text, ntohs(in.sin_port)};
    } else if (family == AF_INET6 && bytes.size() >= sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 in6 = {};
        std::memcpy(&in6, bytes.data(), sizeof(in6));
        if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) {
            inet_ntop(AF_INET, &in6.sin6_addr.s6_addr[12], text, sizeof(text));
            out = {"inet", text, ntohs(in6.sin6_port)};
        } else {
            inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof(text));
            out = {"inet6", text, ntohs(in6.sin6_port)};
        }
    } else if (family == AF_UNIX) {
        const auto path = bytes.substr(offsetof(struct sockaddr_un, sun_path));
        out.family = "unix";
        if (!path.empty() && path[0] == '\0') {
            out.address = "@" + std::string(path.substr(1));
        } else {
            out.address = std::string(path.substr(0, path.find('\0')));
        }
    } else {
        out.family = fmt::format("family {}", family);
    }
    return out;
}

std::string open_flag_names(uint64_t flags) {
    std::string out;
    switch (flags & O_ACCMODE) {
        case O_WRONLY:
            out = "O_WRONLY";
            break;
        case O_RDWR:
            out = "O_RDWR";
            break;
        default:
            out = "O_RDONLY";
            break;
    }
    static constexpr std::array<std::pair<uint64_t, std::string_view>, 6> kNames = {{
        {O_CREAT, "O_CREAT"},
        {O_TRUNC, "O_TRUNC"},
        {O_APPEND, "O_APPEND"},
        {O_EXCL, "O_EXCL"},
        {O_DIRECTORY, "O_DIRECTORY"},
        {O_PATH, "O_PATH"},
    }};
    for (const auto& [bit, name] : kNames) {
        if ((flags & bit) == bit) {
            out += '|';
            out += name;
        }
    }
    return out;
}

Supervisor::Supervisor(UniqueFd listener, Context context)
    : listener_(std::move(listener)), context_(std::move(context)) {}

Supervisor::~Supervisor() {
    stop();
}

Status Supervisor::start() {
    sync_wake_up_ = ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_SET_FLAGS,
                          SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0;
    stop_event_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!stop_event_)
        return sys_error("eventfd");
    thread_ = std::thread([this] { run(); });
    return done();
}

void Supervisor::stop() {
    if (!thread_.joinable())
        return;
    const uint64_t one = 1;
    (void)!write(stop_event_.get(), &one, sizeof(one));
    thread_.join();
    listener_.reset();
}

void Supervisor::run() {
    struct seccomp_notif* request = nullptr;
    struct seccomp_notif_resp* response = nullptr;
    if (seccomp_notify_alloc(&request, &response) != 0) {
        errors_++;
        return;
    }
    std::set<std::string> denied_kinds;
    bool first_exec = true;
    NotificationHandler handler(context_, denied_kinds, first_exec);
    std::array<struct pollfd, 2> fds = {
        {{listener_.get(), POLLIN, 0}, {stop_event_.get(), POLLIN, 0}}};
    for (;;) {
        if (poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR)
                continue;
            errors_++;
            break;
        }
        if (fds[1].revents & POLLIN)
            break;
        if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL))
            break;  // every process using the filter has exited
        if (!(fds[0].revents & POLLIN))
            continue;
        std::memset(request, 0, sizeof(*request));
        // The raw ioctls report the kernel's errno (ENOENT: the task died or
        // a signal withdrew the notification), which the library's wrappers
        // fold into ECANCELED.
        if (ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_RECV, request) != 0) {
            if (errno != ENOENT && errno != EINTR)
                errors_++;
            continue;
        }
        notifications_++;
        const int error = handler.handle(*request);
        std::memset(response, 0, sizeof(*response));
        response->id = request->id;
        if (error == 0) {
            response->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        } else {
            response->error = -error;
        }
        if (ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_SEND, response) != 0 && errno != ENOENT)
            errors_++;
    }
    seccomp_notify_free(request, response);
}

}  // namespace hazmat::sandbox
