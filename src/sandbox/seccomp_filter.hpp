#pragma once

#include <linux/filter.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "sandbox/status.hpp"

namespace hazmat::sandbox {

// A compiled seccomp program, built by hazmat before the sandbox exists and
// installed by the command's process just before execve.
struct SeccompProgram {
    std::vector<struct sock_filter> instructions;
    bool monitored = false;  // unlisted syscalls go to the supervisor
};

// The allow-list filter. Syscalls an ML workload uses pass in the kernel;
// architecture checks kill a foreign-architecture or x32 syscall outright;
// clone3 fails with ENOSYS so runtimes fall back to clone, whose flags the
// filter can see.
//
// With `monitored`, everything not allowed is handed to the supervisor
// through seccomp user notification: the telling syscalls it records and
// lets through (execve, connect, bind, listen, open ...: what they can reach
// is decided by namespaces and Landlock), and the denied ones, which it
// records and can only answer with an error (see denial_for). Should the
// supervisor go away, the kernel fails every pending and later notification
// with ENOSYS: the filter fails closed.
//
// Without `monitored` (no user notification on this kernel), the denied set
// fails with EPERM and unlisted syscalls with ENOSYS in the kernel itself.
Result<SeccompProgram> build_seccomp_program(bool monitored);

// The same program, compiled once per hazmat build and libseccomp version
// and kept in `cache_dir` (hazmat's private state directory): compiling it
// costs milliseconds on every run otherwise.
Result<SeccompProgram> cached_seccomp_program(const std::filesystem::path& cache_dir,
                                              bool monitored);

// Installs the program on the calling thread (no_new_privs must be set).
// Returns the notification descriptor for a monitored program, -1 otherwise.
Result<int> install_seccomp(const SeccompProgram& program);

// A notified syscall's six argument registers.
using SyscallArgs = std::array<uint64_t, 6>;

// What the supervisor does with a notified syscall.
enum class NotifiedAction {
    record_and_continue,  // a telling syscall; the kernel's other layers decide its fate
    deny,                 // outside the allow-list: answered with `error`
};

struct SyscallDecision {
    NotifiedAction action = NotifiedAction::deny;
    std::string_view kind;  // "namespace creation", "process inspection", ...
    int error = 0;          // errno for a denial (EPERM, or ENOSYS)
};

// Decision for a notification of syscall `number` with `args`. Notifications
// only arrive for syscalls (or argument values) the kernel did not allow, so
// a syscall that is not watched is always denied.
SyscallDecision decide_notified(int number, const SyscallArgs& args);

// "ptrace", or "syscall 999" for numbers the library does not know.
std::string syscall_name(int number);

// Human-readable arguments of a denied call worth showing ("AF_PACKET",
// "TIOCSTI", "CLONE_NEWUSER"); empty when nothing useful can be said.
std::string describe_denied_arguments(int number, const SyscallArgs& args);

// The (mask, value) pairs whose union is every 32-bit value except
// `excluded`; used to allow all ioctl requests but a few, compared on the
// low 32 bits as the kernel does. Exposed for tests.
std::vector<std::pair<uint32_t, uint32_t>> low32_blocks_excluding(std::vector<uint32_t> excluded);

}  // namespace hazmat::sandbox
