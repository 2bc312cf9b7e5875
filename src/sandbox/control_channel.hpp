#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "sandbox/status.hpp"
#include "sandbox/unique_fd.hpp"

namespace hazmat::sandbox {

// Messages between hazmat (outside) and its processes inside the sandbox,
// over a SOCK_SEQPACKET pair: one message per send, an optional descriptor
// attached (SCM_RIGHTS).
enum class ControlType : uint32_t {

    seccomp_program = 1,  // parent -> init: the compiled filter (a memfd)
    start_command,        // parent -> init: cgroups, decoys and watches are in place
    setup_failed,         // init/child -> parent: text says which step failed
    pty_master,           // init -> parent: the private pty's master side (fd)
    dns_socket,           // init -> parent: the DNS answerer's socket inside the netns (fd)
    listener,             // child -> parent: the seccomp notification descriptor (fd)
    exec_failed,          // child -> parent: value is errno of execve
    command_exited,       // init -> parent: value is the command's wait status
    started,              // init -> parent: value is the command's pid inside
    pinned_dir,           // init -> parent: home (0), /tmp (1) or /dev/shm (2) of the sandbox (fd)
};

struct ControlMessage {
    ControlType type = ControlType::setup_failed;
    int32_t value = 0;
    std::string text;
    UniqueFd fd;
};

Status send_control(int socket, ControlType type, int32_t value = 0, std::string_view text = {},
                    int fd = -1);

// Blocks for the next message; an error when the peer closed the channel.
Result<ControlMessage> receive_control(int socket);

}  // namespace hazmat::sandbox
