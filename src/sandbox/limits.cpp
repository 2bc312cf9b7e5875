#include "sandbox/limits.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <fstream>
#include <span>
#include <sstream>
#include <thread>

#include "sandbox/unique_fd.hpp"

namespace hazmat::sandbox {

namespace fs = std::filesystem;

namespace {

Status write_value(const fs::path& file, std::string_view value) {
    UniqueFd fd(open(file.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd)
        return sys_error(fmt::format("open({})", file.string()));
    if (write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size()))
        return sys_error(fmt::format("write({}, {})", file.string(), value));
    return done();
}

std::string read_text(const fs::path& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// "key value" lines (memory.events, pids.events, memory.oom_control).
std::optional<uint64_t> read_key(const fs::path& file, std::string_view key) {
    std::istringstream in(read_text(file));
    std::string name;
    uint64_t value = 0;
    while (in >> name >> value) {
        if (name == key)
            return value;
    }
    return std::nullopt;
}

std::optional<uint64_t> read_number(const fs::path& file) {
    std::istringstream in(read_text(file));
    uint64_t value = 0;
    if (in >> value)
        return value;
    return std::nullopt;
}

struct Mount {
    fs::path point;
    std::string type;
    std::string options;
};

std::vector<Mount> cgroup_mounts() {
    std::vector<Mount> mounts;
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
        // ... mount_point ... - fstype source super_options
        std::istringstream fields(line);
        std::string id, parent, devices, root, point, options, field;
        fields >> id >> parent >> devices >> root >> point >> options;
        while (fields >> field && field != "-") {
        }
        std::string type, source, super_options;
        fields >> type >> source >> super_options;
        if (type == "cgroup" || type == "cgroup2")
            mounts.push_back({point, type, super_options});
    }
    return mounts;
}

// This process's cgroup path in the hierarchy holding `controller` (v1), or
// in the unified hierarchy (controller empty).
std::optional<std::string> own_cgroup(std::string_view controller) {
    std::ifstream in("/proc/self/cgroup");
    std::string line;
    while (std::getline(in, line)) {
        const auto first = line.find(':');
        const auto second = line.find(':', first + 1);
        if (first == std::string::npos || second == std::string::npos)
            continue;
        const auto controllers = std::string_view(line).substr(first + 1, second - first - 1);
        const auto path = line.substr(second + 1);
        if (controller.empty()) {
            if (controllers.empty() && line.starts_with("0:"))
                return path;
            continue;
        }
        size_t start = 0;
        while (start <= controllers.size()) {
            auto end = controllers.find(',', start);
            if (end == std::string_view::npos)
                end = controllers.size();
            if (controllers.substr(start, end - start) == controller)
                return path;
            start = end + 1;
        }
    }
    return std::nullopt;
}

bool has_option(std::string_view options, std::string_view option) {
    size_t start = 0;
    while (start <= options.size()) {
        auto end = options.find(',', start);
        if (end == std::string_view::npos)
            end = options.size();
        if (options.substr(start, end - start) == option)
            return true;
        start = end + 1;
    }
    return false;
}

std::optional<fs::path> v1_hierarchy(const std::vector<Mount>& mounts,
                                     std::string_view controller) {
    for (const auto& mount : mounts) {
        if (mount.type == "cgroup" && has_option(mount.options, controller)) {
            const auto own = own_cgroup(controller);
            if (!own)
                return std::nullopt;
            return mount.point / fs::path(*own).relative_path();
        }
    }
    return std::nullopt;
}

// A child cgroup under `parent`, or nullopt when this user may not create one.
std::optional<fs::path> make_cgroup(const fs::path& parent, std::string_view name) {
    const auto path = parent / name;
    if (mkdir(path.c_str(), 0755) != 0) {
        spdlog::debug("cgroup {}: mkdir: {}", path.string(), std::strerror(errno));
        return std::nullopt;
    }
    return path;
}

bool contains_word(const std::string& text, std::string_view word) {
    std::istringstream in(text);
    std::string token;
    while (in >> token) {
        if (token == word)
            return true;
    }
    return false;
}

}  // namespace

std::vector<RlimitSetting> baseline_rlimits(const ResourceLimits& limits) {
    std::vector<RlimitSetting> settings = {
        {RLIMIT_CORE, 0},
        {RLIMIT_FSIZE, limits.max_file_bytes},
        {RLIMIT_NPROC, limits.max_processes},
    };
    struct rlimit current = {};
    uint64_t open_files = limits.max_open_files;
    if (getrlimit(RLIMIT_NOFILE, &current) == 0 && current.rlim_max != RLIM_INFINITY)
        open_files = std::min<uint64_t>(open_files, current.rlim_max);
    settings.push_back({RLIMIT_NOFILE, open_files});
    return settings;
}

Result<ResourceController> ResourceController::create(const ResourceLimits& limits,
                                                      std::string_view run_id) {
    ResourceController controller;
    controller.rlimits_ = baseline_rlimits(limits);
    const auto name = fmt::format("hazmat-{}", run_id);
    const auto mounts = cgroup_mounts();

    // Delegated cgroup v2: a writable subtree with memory and pids enabled
    // for children (systemd's Delegate=yes, or a container's own cgroup).
    for (const auto& mount : mounts) {
        if (mount.type != "cgroup2")
            continue;
        const auto own = own_cgroup("");
        if (!own)
            break;
        const auto parent = mount.point / fs::path(*own).relative_path();
        const auto subtree = read_text(parent / "cgroup.subtree_control");
        if (!contains_word(subtree, "memory") || !contains_word(subtree, "pids"))
            break;
        const auto cgroup = make_cgroup(parent, name);
        if (!cgroup)
            break;
        controller.cgroup_version_ = 2;
        controller.cgroups_ = {*cgroup};
        controller.memory_cgroup_ = *cgroup;
        controller.pids_cgroup_ = *cgroup;
        const bool ok =
            write_value(*cgroup / "memory.max", std::to_string(limits.memory_bytes)).ok() &&
            write_value(*cgroup / "pids.max", std::to_string(limits.max_processes)).ok();
        (void)write_value(*cgroup / "memory.swap.max", "0");
        if (!ok) {
            controller.remove();
            return Error{fmt::format("cannot set limits in cgroup {}", cgroup->string())};
        }
        controller.mechanisms_.memory = "cgroup v2";
        controller.mechanisms_.processes = "cgroup v2";
        controller.mechanisms_.cpu = "not limited";
        if (limits.cpus > 0 && contains_word(subtree, "cpu") &&
            write_value(*cgroup / "cpu.max",
                        fmt::format("{} 100000", static_cast<uint64_t>(limits.cpus * 100000)))
                .ok())
            controller.mechanisms_.cpu = "cgroup v2";
        return controller;
    }

    // cgroup v1 controllers this user may write (usually only root).
    const auto memory_parent = v1_hierarchy(mounts, "memory");
    const auto pids_parent = v1_hierarchy(mounts, "pids");
    if (memory_parent && pids_parent) {
        const auto memory = make_cgroup(*memory_parent, name);
        const auto pids = memory ? make_cgroup(*pids_parent, name) : std::nullopt;
        if (memory && pids) {
            controller.cgroup_version_ = 1;
            controller.cgroups_ = {*memory, *pids};
            controller.memory_cgroup_ = *memory;
            controller.pids_cgroup_ = *pids;
            const bool ok =
                write_value(*memory / "memory.limit_in_bytes", std::to_string(limits.memory_bytes))
                    .ok() &&
                write_value(*pids / "pids.max", std::to_string(limits.max_processes)).ok();
            // Swap counts against the same bound where the kernel accounts it.
            if (fs::exists(*memory / "memory.memsw.limit_in_bytes"))
                (void)write_value(*memory / "memory.memsw.limit_in_bytes",
                                  std::to_string(limits.memory_bytes));
            if (!ok) {
                controller.remove();
                return Error{fmt::format("cannot set limits in cgroup {}", memory->string())};
            }
            controller.mechanisms_.memory = "cgroup v1";
            controller.mechanisms_.processes = "cgroup v1";
            controller.mechanisms_.cpu = "not limited";
            if (limits.cpus > 0) {
                if (const auto cpu_parent = v1_hierarchy(mounts, "cpu")) {
                    if (const auto cpu = make_cgroup(*cpu_parent, name)) {
                        controller.cgroups_.push_back(*cpu);
                        if (write_value(*cpu / "cpu.cfs_period_us", "100000").ok() &&
                            write_value(*cpu / "cpu.cfs_quota_us",
                                        std::to_string(static_cast<uint64_t>(limits.cpus * 100000)))
                                .ok())
                            controller.mechanisms_.cpu = "cgroup v1";
                    }
                }
            }
            return controller;
        }
        if (memory)
            rmdir(memory->c_str());
    }

    // No cgroup this user may write: per-process memory and the process
    // count per sandbox user.
    // LIMITATION: without a writable cgroup, memory is bounded per process
    // (RLIMIT_DATA), not for the sandbox as a whole, and limit hits cannot
    // be observed; CPU bandwidth is not limited.
    controller.rlimits_.push_back({RLIMIT_DATA, limits.memory_bytes});
    controller.mechanisms_.memory = "rlimit (each process)";
    controller.mechanisms_.processes = "rlimit (per sandbox user)";
    controller.mechanisms_.cpu = "not limited";
    return controller;
}

ResourceController::~ResourceController() {
    remove();
}

Status ResourceController::attach(pid_t pid) const {
    // Each cgroup v1 migration waits for an RCU grace period: migrate into
    // the hierarchies in parallel.
    std::vector<Status> results(cgroups_.size(), done());
    std::vector<std::thread> threads;
    for (size_t i = 1; i < cgroups_.size(); ++i) {
        threads.emplace_back([&, i] {
            results[i] = write_value(cgroups_[i] / "cgroup.procs", std::to_string(pid));
        });
    }
    if (!cgroups_.empty())
        results[0] = write_value(cgroups_[0] / "cgroup.procs", std::to_string(pid));
    for (auto& thread : threads)
        thread.join();
    for (auto& result : results) {
        if (!result)
            return result;
    }
    return done();
}

Status ResourceController::enter_for_clone() {
    original_.clear();
    const auto mounts = cgroup_mounts();
    for (const auto& cgroup : cgroups_) {
        // The hierarchy's mount point is the cgroup's parent chain's root;
        // this thread's own cgroup there is where it goes back to.
        for (const auto& mount : mounts) {
            if (mount.type != "cgroup" || !cgroup.string().starts_with(mount.point.string() + "/"))
                continue;
            std::string controller;
            for (const char* name : {"memory", "pids", "cpu"}) {
                if (has_option(mount.options, name))
                    controller = name;
            }
            const auto own = own_cgroup(controller);
            original_.push_back(mount.point / fs::path(own.value_or("/")).relative_path());
        }
    }
    for (const auto& cgroup : cgroups_) {
        if (auto status = write_value(cgroup / "tasks", "0"); !status) {
            leave_after_clone();
            return status;
        }
    }
    return done();
}

void ResourceController::leave_after_clone() {
    for (const auto& cgroup : original_)
        (void)write_value(cgroup / "tasks", "0");
    original_.clear();
}

LimitHits ResourceController::read_hits() const {
    LimitHits hits;
    hits.counted = cgroup_version_ != 0;
    if (cgroup_version_ == 2) {
        hits.oom_kills = read_key(memory_cgroup_ / "memory.events", "oom_kill").value_or(0);
        hits.memory_max_events = read_key(memory_cgroup_ / "memory.events", "max").value_or(0);
        hits.pids_max_events = read_key(pids_cgroup_ / "pids.events", "max").value_or(0);
        hits.memory_peak_bytes = read_number(memory_cgroup_ / "memory.peak");
    } else if (cgroup_version_ == 1) {
        hits.oom_kills = read_key(memory_cgroup_ / "memory.oom_control", "oom_kill").value_or(0);
        hits.memory_max_events = read_number(memory_cgroup_ / "memory.failcnt").value_or(0);
        hits.pids_max_events = read_key(pids_cgroup_ / "pids.events", "max").value_or(0);
        hits.memory_peak_bytes = read_number(memory_cgroup_ / "memory.max_usage_in_bytes");
    }
    return hits;
}

void ResourceController::remove() {
    for (const auto& cgroup : cgroups_) {
        // The last tasks may still be exiting: a cgroup cannot be removed
        // while it has members.
        for (int attempt = 0; attempt < 50; ++attempt) {
            if (rmdir(cgroup.c_str()) == 0 || errno == ENOENT)
                break;
            if (errno != EBUSY) {
                spdlog::debug("rmdir({}): {}", cgroup.string(), std::strerror(errno));
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }
    cgroups_.clear();
}

ProcessSample sample_processes(int proc_dir) {
    ProcessSample sample;
    UniqueFd listing(openat(proc_dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!listing)
        return sample;
    DIR* dir = fdopendir(listing.get());
    if (dir == nullptr)
        return sample;
    (void)listing.release();
    while (const struct dirent* entry = readdir(dir)) {
        if (entry->d_name[0] < '1' || entry->d_name[0] > '9')
            continue;
        UniqueFd file(openat(proc_dir, fmt::format("{}/status", entry->d_name).c_str(),
                             O_RDONLY | O_CLOEXEC));
        if (!file)
            continue;
        char buffer[4096];
        const auto n = read(file.get(), buffer, sizeof(buffer) - 1);
        if (n <= 0)
            continue;
        const std::string_view status(buffer, static_cast<size_t>(n));
        const auto field = [&](std::string_view name) -> std::string_view {
            const auto at = status.find(name);
            if (at == std::string_view::npos)
                return {};
            auto value = status.substr(at + name.size());
            value = value.substr(0, value.find('\n'));
            while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
                value.remove_prefix(1);
            return value;
        };
        const auto threads = std::strtoull(std::string(field("\nThreads:")).c_str(), nullptr, 10);
        sample.tasks += threads > 0 ? threads : 1;
        // VmData is in kB.
        const auto data = std::strtoull(std::string(field("\nVmData:")).c_str(), nullptr, 10) << 10;
        if (data > sample.largest_data) {
            sample.largest_data = data;
            sample.largest_name = std::string(field("Name:"));
        }
    }
    closedir(dir);
    return sample;
}

void record_sample(LimitHits& hits, const ProcessSample& sample) {
    hits.peak_tasks = std::max(hits.peak_tasks, sample.tasks);
    if (sample.largest_data > hits.peak_process_data) {
        hits.peak_process_data = sample.largest_data;
        hits.peak_process_name = sample.largest_name;
    }
}

namespace {

// What a refused allocation or fork prints in the common runtimes: libc's
// strerror, Python's exceptions, C++'s bad_alloc, the shells' own words.
constexpr std::array kMemoryMessages = std::to_array<std::string_view>({
    "Cannot allocate memory",
    "MemoryError",
    "std::bad_alloc",
    "out of memory",
    "Out of memory",
    "memory exhausted",
    "failed to allocate",
    "Failed to allocate",
});
constexpr std::array kForkMessages = std::to_array<std::string_view>({
    "Resource temporarily unavailable",
    "BlockingIOError",
    "fork: retry",
    "Cannot fork",
    "can't fork",
    "fork failed",
    "pthread_create failed",
    "can't start new thread",
});
constexpr size_t kMessageTail = 40;  // longer than any message above
constexpr size_t kMaxMessages = 5;

void note_line(std::vector<std::string>& lines, std::string_view text, size_t at) {
    if (lines.size() >= kMaxMessages)
        return;
    auto start = text.rfind('\n', at);
    start = start == std::string_view::npos ? 0 : start + 1;
    auto end = text.find('\n', at);
    auto line = std::string(text.substr(start, end == std::string_view::npos ? end : end - start));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
        line.pop_back();
    if (line.size() > 200)
        line = line.substr(0, 200) + "...";
    if (std::find(lines.begin(), lines.end(), line) == lines.end())
        lines.push_back(std::move(line));
}

}  // namespace

void LimitMessageWatcher::scan(std::string_view text, size_t seen) {
    for (const auto& [messages, lines] :
         {std::pair{std::span<const std::string_view>(kMemoryMessages), &memory_},
          std::pair{std::span<const std::string_view>(kForkMessages), &fork_}}) {
        for (const auto message : messages) {
            // Only matches reaching past what an earlier call scanned.
            const auto from = seen >= message.size() ? seen - message.size() + 1 : 0;
            const auto at = text.find(message, from);
            if (at != std::string_view::npos)
                note_line(*lines, text, at);
        }
    }
}

void LimitMessageWatcher::feed(std::string_view channel, std::string_view bytes) {
    if (memory_.size() >= kMaxMessages && fork_.size() >= kMaxMessages)
        return;
    auto it = tails_.find(channel);
    if (it == tails_.end())
        it = tails_.emplace(std::string(channel), std::string()).first;
    // The tail of the previous chunk joined to this one: a message split
    // across two writes is still seen.
    std::string text = it->second;
    const auto seen = text.size();
    text.append(bytes);
    scan(text, seen);
    it->second = text.size() > kMessageTail ? text.substr(text.size() - kMessageTail) : text;
}

void LimitMessageWatcher::add_to(LimitHits& hits) const {
    hits.memory_messages = memory_;
    hits.fork_messages = fork_;
}

}  // namespace hazmat::sandbox
