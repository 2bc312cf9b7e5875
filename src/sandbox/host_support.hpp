#pragma once

#include <string>
#include <vector>

namespace hazmat::sandbox {

// One isolation layer and whether this host offers it.
struct LayerCheck {
    std::string layer;
    enum class State { available, degraded, missing } state = State::missing;
    std::string detail;    // what was found
    std::string advice;    // what an administrator can do, when it is not available
    bool required = true;  // hazmat run refuses to start without it (unless --allow-degraded)
};

// Probes what this host supports for `hazmat run`, by trying it in a
// throw-away child process: unprivileged user namespaces (and the
// distribution switches that block them), the other namespaces, overlayfs
// inside a user namespace on the file system that holds hazmat's state,
// Landlock's ABI, seccomp with user notification and synchronous wake-up,
// and the cgroup controllers this user may write.
std::vector<LayerCheck> check_host_support();

}  // namespace hazmat::sandbox
