#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "sandbox/policy.hpp"
#include "sandbox/status.hpp"

namespace hazmat::sandbox {

// Which mechanism enforced each limit; the run report shows it, because a
// per-process rlimit is much weaker than a cgroup.
struct LimitMechanisms {
    std::string memory;     // "cgroup v2", "cgroup v1", "rlimit (each process)"
    std::string processes;  // "cgroup v2", "cgroup v1", "rlimit (per sandbox user)"
    std::string cpu;        // "cgroup v2", "cgroup v1", "not limited"
};

// What the command ran into.
struct LimitHits {
    // A cgroup counts hits; rlimits count nothing, so without a cgroup the
    // signs below are all there is.
    bool counted = true;
    uint64_t oom_kills = 0;          // processes the kernel killed for memory
    uint64_t memory_max_events = 0;  // allocations that hit the limit
    uint64_t pids_max_events = 0;    // forks refused at the process limit
    std::optional<uint64_t> memory_peak_bytes;

    // Sampled while the command ran (rlimits only).
    uint64_t peak_tasks = 0;         // processes and threads in the sandbox at once
    uint64_t peak_process_data = 0;  // the largest data segment (VmData) of one process
    std::string peak_process_name;
    // Failures the program printed that a refused allocation or fork causes.
    std::vector<std::string> memory_messages;
    std::vector<std::string> fork_messages;
};

// Samples the processes of a sandbox through a descriptor of its own /proc
// (so only its PID namespace is listed): tasks, and the largest VmData.
struct ProcessSample {
    uint64_t tasks = 0;
    uint64_t largest_data = 0;
    std::string largest_name;
};
ProcessSample sample_processes(int proc_dir);
void record_sample(LimitHits& hits, const ProcessSample& sample);

// Watches the command's output streams for the messages a refused
// allocation (ENOMEM, MemoryError, bad_alloc) or a refused fork (EAGAIN)
// leaves, for runs whose limits are rlimits that count no hits.
class LimitMessageWatcher {
  public:
    void feed(std::string_view channel, std::string_view bytes);
    void add_to(LimitHits& hits) const;

  private:
    void scan(std::string_view text, size_t seen);
    std::map<std::string, std::string, std::less<>> tails_;
    std::vector<std::string> memory_;
    std::vector<std::string> fork_;
};

// One rlimit the command's process sets on itself before execve.
struct RlimitSetting {
    int resource = 0;
    uint64_t value = 0;
};

// Enforces ResourceLimits for one run. Cgroups are used where this user may
// write them: a delegated cgroup v2 subtree first, then cgroup v1
// controllers (typically only for root); rlimits cover what is left.
class ResourceController {
  public:
    static Result<ResourceController> create(const ResourceLimits& limits, std::string_view run_id);

    ResourceController(ResourceController&&) noexcept = default;
    ResourceController& operator=(ResourceController&&) noexcept = default;
    ~ResourceController();

    // Moves `pid` (the sandbox's init, before it starts anything) into the
    // run's cgroups; everything it starts inherits them.
    Status attach(pid_t pid) const;

    // The cheap way into cgroup v1: the calling thread moves itself into the
    // run's cgroups (a thread moving itself needs no RCU grace period, which
    // moving another process costs), clones the sandbox's init, which
    // inherits them, and moves back. Used instead of attach() for v1.
    bool inherits_through_clone() const { return cgroup_version_ == 1; }
    Status enter_for_clone();
    void leave_after_clone();

    // The rlimits the command's process sets on itself.
    const std::vector<RlimitSetting>& rlimits() const { return rlimits_; }
    const LimitMechanisms& mechanisms() const { return mechanisms_; }

    // Whether hits are counted (a cgroup) or only partly observable (rlimits).
    bool counts_hits() const { return cgroup_version_ != 0; }
    LimitHits read_hits() const;

    // Removes the run's cgroups (once every process in them has exited).
    void remove();

  private:
    ResourceController() = default;

    int cgroup_version_ = 0;                       // 0: none
    std::vector<std::filesystem::path> cgroups_;   // one per hierarchy (v1) or one (v2)
    std::vector<std::filesystem::path> original_;  // where the calling thread was (v1)
    std::filesystem::path memory_cgroup_;
    std::filesystem::path pids_cgroup_;
    std::vector<RlimitSetting> rlimits_;
    LimitMechanisms mechanisms_;
};

// The rlimits every run sets whatever enforces the rest: no core dumps (they
// could write the decoys' memory to disk), a file size bound, the open file
// bound, and the process bound per sandbox user (counted within the
// sandbox's user namespace).
std::vector<RlimitSetting> baseline_rlimits(const ResourceLimits& limits);

}  // namespace hazmat::sandbox
