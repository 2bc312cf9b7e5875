#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/ask.hpp"
#include "sandbox/network_policy.hpp"
#include "sandbox/persona.hpp"
#include "sandbox/status.hpp"

namespace hazmat::sandbox {

// How the project directory appears inside the sandbox.
enum class WorkspaceMode {
    overlay,    // real directory is the read-only lower layer; writes go to a kept upper layer
    writable,   // the real directory, writable (the user accepts the risk)
    read_only,  // the real directory, read-only
};

// Bounds on what the sandboxed command may consume. Memory, processes and
// CPU go through cgroups where the host allows it and through rlimits
// otherwise; the run report says which mechanism enforced each.
struct ResourceLimits {
    uint64_t memory_bytes = 0;      // all processes together (cgroup) or each (rlimit)
    uint32_t max_processes = 1024;  // tasks in the sandbox
    double cpus = 0;                // CPU bandwidth in cores; 0: no cap
    uint64_t tmp_bytes = 2ull << 30;
    uint64_t shm_bytes = 1ull << 30;
    uint64_t home_bytes = 1ull << 30;
    uint64_t max_file_bytes = 64ull << 30;  // RLIMIT_FSIZE
    uint32_t max_open_files = 65536;        // RLIMIT_NOFILE
    std::chrono::milliseconds timeout{0};   // wall clock; 0: none

    // Memory defaults to half the machine's RAM, capped at 16 GiB.
    static ResourceLimits defaults();
};

// Where the command's terminal I/O goes.
enum class IoMode {
    automatic,  // a pty when hazmat runs on a terminal, pipes otherwise
    pty,        // a pty relayed by hazmat (never the user's terminal itself)
    pipes,      // plain pipes relayed by hazmat
    capture,    // stdin is /dev/null, output is kept in memory (selftest, tests)
};

// A host path made visible inside the sandbox.
struct HostMount {
    std::filesystem::path source;  // on the host
    std::filesystem::path target;  // inside the sandbox, absolute
    bool writable = false;
};

// Everything one `hazmat run` was asked to do. Grants come only from the
// user's command line: nothing inside the project configures its own
// sandbox.
struct SandboxPolicy {
    std::filesystem::path project;  // canonical host path; the working directory inside
    std::vector<std::string> command;
    WorkspaceMode workspace = WorkspaceMode::overlay;
    std::optional<std::string> keep_name;  // reuse this named overlay layer between runs
    bool fresh = false;                    // discard the kept layer first
    std::vector<std::string> env_grants;   // NAME (copied from hazmat's environment) or NAME=VALUE
    std::vector<std::filesystem::path> read_only_paths;
    std::vector<HostMount> extra_mounts;  // hazmat's own needs (the selftest's probe binary)
    bool gpu = false;
    NetworkPolicy network;
    ResourceLimits limits = ResourceLimits::defaults();
    bool allow_degraded = false;
    bool monitor = true;  // false: no supervisor (--no-monitor); the run is then inconclusive
    // --ask: called (on the monitor's thread) for the rare, telling events;
    // empty: they proceed, and the other layers decide what they reach.
    AskFunction ask;
    IoMode io = IoMode::automatic;
    std::filesystem::path audit_log;  // empty: audit.jsonl in the run's directory
    std::optional<Persona> persona;   // fixed for tests; random per run otherwise
};

// "512M", "4G", "1.5g", "100k", "4096": bytes; nullopt if malformed.
std::optional<uint64_t> parse_size(std::string_view text);

// Refuses --ro paths that are, or contain, a credential store (~/.ssh,
// ~/.aws, a whole home directory, /etc ...): a read-only view of a secret
// is still a leak. `home` is the invoking user's real home directory.
Status check_read_only_path(const std::filesystem::path& path, const std::filesystem::path& home);

// The same rule for the project directory the command runs in: a home
// directory or a credential store would be visible in the workspace.
Status check_workspace_path(const std::filesystem::path& path, const std::filesystem::path& home);

// A valid --keep name: letters, digits, '.', '_' and '-', not starting with '.'.
bool is_valid_keep_name(std::string_view name);

}  // namespace hazmat::sandbox
