#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "sandbox/decoys.hpp"
#include "sandbox/events.hpp"
#include "sandbox/leak_scanner.hpp"
#include "sandbox/limits.hpp"
#include "sandbox/persona.hpp"
#include "sandbox/policy.hpp"
#include "sandbox/supervisor.hpp"
#include "sandbox/tree_scan.hpp"
#include "sandbox/workspace_diff.hpp"

namespace hazmat::sandbox {

// Which isolation layers a run had.
struct IsolationSummary {
    std::vector<std::string> namespaces;
    int landlock_abi = 0;
    bool landlock_scopes = false;  // abstract sockets and signals (ABI 6)
    bool seccomp = false;
    bool monitored = false;     // seccomp user notification
    bool sync_wake_up = false;  // SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP in effect
    LimitMechanisms limits;
    std::string workspace;              // "overlay", "writable bind", "read-only bind"
    std::vector<std::string> degraded;  // layers missing, accepted with --allow-degraded
    bool gpu_requested = false;
    std::vector<std::string> gpu_devices;
};

// How the command ended.
struct CommandOutcome {
    enum class State { exited, signaled, timed_out, not_started };
    State state = State::not_started;
    int exit_code = 0;
    int signal = 0;
    std::string error;  // not_started: why (execve failed: "python3: No such file ...")
    std::chrono::milliseconds duration{0};
};

// Everything one run produced, for the summary and the report.
struct RunRecord {
    std::string run_id;
    std::filesystem::path run_dir;
    std::filesystem::path audit_log;
    std::filesystem::path project;
    std::string workspace_inside;
    std::vector<std::string> command;
    Persona persona;
    DecoySet decoys;
    IsolationSummary isolation;
    CommandOutcome outcome;

    std::vector<Event> events;
    std::map<std::string, uint64_t> repeats;  // events counted but not logged one by one
    uint64_t lost_events = 0;
    uint64_t notifications = 0;
    uint64_t monitor_errors = 0;
    bool scans_complete = true;  // every written file was scanned for decoy values

    LimitHits limit_hits;
    ResourceLimits limits;
    std::optional<WorkspaceDiff> workspace_diff;  // overlay mode
    std::string layer_name;
    bool layer_kept = false;
    std::filesystem::path layer_upper;
    std::vector<HomeChange> home_changes;
    std::set<LeakHit> leaks;

    std::string captured_stdout;  // IoMode::capture
    std::string captured_stderr;
};

// Runs policy.command inside a new sandbox and records what it did.
// An error means the sandbox could not be set up (or the command could not
// be started); everything that happens after the command started is in the
// record, including its failure.
Result<RunRecord> run_in_sandbox(const SandboxPolicy& policy);

// Whether seccomp user notification is available (kernel 5.0+).
bool seccomp_notification_supported();

}  // namespace hazmat::sandbox
