#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hazmat::sandbox {

// Why an open() was worth recording.
enum class PathCategory {
    none,
    decoy,          // a planted fake credential
    sensitive,      // a host secret location (another home, /etc/shadow, docker.sock ...)
    persistence,    // a file that runs code later (shell rc, autostart, cron, systemd unit)
    outside_write,  // a write outside the workspace, home, /tmp and /dev/shm
};

std::string_view to_string(PathCategory category);

enum class EventType {
    start,         // the run began (policy and isolation in `detail`)
    exec,          // execve/execveat
    connect,       // connect
    send,          // sendto with a destination address
    bind,          // bind
    listen,        // listen
    open,          // open of a watched path
    decoy_access,  // the kernel saw a decoy file opened, read or changed (inotify)
    dns,           // a name the program asked the sandbox's DNS answerer for
    denied,        // a syscall outside the allow-list
    leak,          // a decoy value seen in output, a written file or a send
    limit,         // a resource limit was hit
    ask,           // the user answered a prompt (--ask)
    workspace,     // a change in the workspace's upper layer
    home,          // a file the program created or changed in its home directory
    exit,          // the command ended
    monitor,       // the monitor itself (lost events, errors)
};

std::string_view to_string(EventType type);

// One thing the sandboxed program did, as recorded in the audit log.
struct Event {
    EventType type = EventType::start;
    std::chrono::microseconds at{0};  // since the run started
    int pid = 0;                      // inside the sandbox's PID namespace (0: unknown)
    std::string program;              // the process's name (comm)

    std::string syscall;
    std::string path;      // requested path (open, exec), file (decoy, workspace, home)
    std::string resolved;  // kernel-resolved path, when it differs or was checked
    std::vector<std::string> argv;
    bool exists = true;  // exec: the program exists (PATH searches try missing ones)
    bool first = false;  // exec: the user's own command

    std::string family;   // "inet", "inet6", "unix"
    std::string address;  // IP address, Unix socket path ("@name" when abstract) or DNS name
    uint16_t port = 0;
    bool listener_inside = false;  // connect to loopback: something listens there inside

    std::string flags;  // open flags ("O_WRONLY|O_CREAT"), inotify mask, DNS type
    PathCategory category = PathCategory::none;

    std::string kind;      // denied: the kind of surface; leak: the encoding; limit: which one
    std::string detail;    // free text: arguments, the channel of a leak ...
    std::string decision;  // "continued", "denied (EPERM)", "allowed by user" ...
};

}  // namespace hazmat::sandbox
