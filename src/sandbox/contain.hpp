#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "sandbox/landlock.hpp"
#include "sandbox/limits.hpp"
#include "sandbox/mount_namespace.hpp"
#include "sandbox/seccomp_filter.hpp"
#include "sandbox/user_namespace.hpp"

namespace hazmat::sandbox {

// How the command's standard streams are connected.
enum class StdioKind { pty, pipes };

// Everything the processes inside the sandbox need, prepared by hazmat
// before the namespaces exist, so that the code running inside does no
// parsing and makes no decisions of its own.
struct ContainPlan {
    RootLayout root;
    IdMapping ids;
    std::string host_name;
    std::chrono::seconds uptime{0};  // shown through /proc/uptime; 0 keeps the host's
    bool dns_answerer = true;

    std::vector<std::string> argv;
    std::vector<std::string> environment;  // "NAME=value"
    std::string working_directory;

    StdioKind stdio = StdioKind::pipes;
    int stdin_fd = -1;  // the command's ends of the pipes (pipes)
    int stdout_fd = -1;
    int stderr_fd = -1;
    int control_fd = -1;  // the sandbox's end of the control channel

    std::vector<RlimitSetting> rlimits;
    LandlockPlan landlock;  // abi 0: not applied (degraded run)
    bool monitored = true;  // the seccomp program hands unlisted syscalls to the supervisor
};

// The sandbox's PID 1, entered right after clone() with the new
// namespaces. In order: map its own user and group; set the persona's host
// name; bring up loopback and bind the DNS answerer; build
// the new root and pivot into it; open the private pty; wait for the
// seccomp program and for hazmat to have placed it in the run's cgroups
// (both prepared while the root was being built); enter a new cgroup
// namespace; start the command; then stay as a minimal init that forwards
// signals, reaps orphans and, when the command ends, kills whatever it left
// behind and reports the command's status. Any failure is reported on the
// control channel, naming the step.
[[noreturn]] void run_init(const ContainPlan& plan);

}  // namespace hazmat::sandbox
