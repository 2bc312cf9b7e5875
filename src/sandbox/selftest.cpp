#include "sandbox/selftest.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/data_dir.hpp"
#include "sandbox/probes.hpp"
#include "sandbox/state_store.hpp"
#include "sandbox/workspace_apply.hpp"

namespace hazmat::sandbox {

namespace fs = std::filesystem;

namespace {

constexpr const char* kProbeInside = "/run/hazmat-selftest/hazmat";
constexpr uint64_t kMemoryLimit = 256ull << 20;
constexpr uint32_t kProcessLimit = 64;
constexpr uint64_t kTmpLimit = 64ull << 20;

// Host-side fixtures a probe reaches for.
struct Fixtures {
    fs::path dir;
    fs::path project;
    fs::path canary_dir;
    fs::path canary_file;
    std::string canary_content;
};

Result<Fixtures> make_fixtures(const fs::path& state) {
    Fixtures fixtures;
    auto run = create_run_directory(state / "selftest");
    if (!run)
        return run.error();
    fixtures.dir = run->dir;
    fixtures.project = fixtures.dir / "project";
    fixtures.canary_dir = fixtures.dir / "canary";
    fixtures.canary_file = fixtures.canary_dir / "canary.txt";
    fixtures.canary_content = "hazmat selftest canary " + run->id + "\n";
    std::error_code ec;
    fs::create_directories(fixtures.project, ec);
    fs::create_directories(fixtures.canary_dir, ec);
    if (ec)
        return Error{fmt::format("cannot create the selftest fixtures in {}: {}",
                                 fixtures.dir.string(), ec.message())};
    std::ofstream(fixtures.project / "README.md") << "A project for hazmat's escape probes.\n";
    std::ofstream(fixtures.canary_file) << fixtures.canary_content;
    return fixtures;
}

// A host process for the "signal-host" probe to aim at.
struct HostTarget {
    pid_t pid = -1;
    ~HostTarget() {
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
    }
};

// A listener the probe must not reach; returns whether anything connected.
struct HostListener {
    UniqueFd fd;
    std::string argument;  // what the probe is told (port or abstract name)

    bool was_reached() const {
        const int accepted = accept4(fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (accepted >= 0) {
            close(accepted);
            return true;
        }
        return false;
    }
};

Result<HostListener> loopback_listener() {
    HostListener listener;
    listener.fd.reset(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    struct sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (!listener.fd ||
        bind(listener.fd.get(), reinterpret_cast<struct sockaddr*>(&address), length) != 0 ||
        listen(listener.fd.get(), 8) != 0 ||
        getsockname(listener.fd.get(), reinterpret_cast<struct sockaddr*>(&address), &length) != 0)
        return sys_error("loopback listener for the selftest");
    listener.argument = std::to_string(ntohs(address.sin_port));
    return listener;
}

Result<HostListener> abstract_listener() {
    HostListener listener;
    listener.argument = fmt::format("hazmat-selftest-{:08x}", random_between(0, 0xffffffff));
    listener.fd.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    struct sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path + 1, listener.argument.data(), listener.argument.size());
    const auto length = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + 1 +
                                               listener.argument.size());
    if (!listener.fd ||
        bind(listener.fd.get(), reinterpret_cast<struct sockaddr*>(&address), length) != 0 ||
        listen(listener.fd.get(), 8) != 0)
        return sys_error("abstract socket listener for the selftest");
    return listener;
}

SandboxPolicy probe_policy(const Fixtures& fixtures, const std::string& name,
                           const std::vector<std::string>& args, bool allow_degraded) {
    SandboxPolicy policy;
    policy.project = fixtures.project;
    policy.command = {kProbeInside, "__probe", name};
    policy.command.insert(policy.command.end(), args.begin(), args.end());
    policy.extra_mounts.push_back({executable_path(), kProbeInside, false});
    policy.io = IoMode::capture;
    policy.allow_degraded = allow_degraded;
    policy.limits.memory_bytes = kMemoryLimit;
    policy.limits.max_processes = kProcessLimit;
    policy.limits.tmp_bytes = kTmpLimit;
    policy.limits.shm_bytes = kTmpLimit;
    policy.limits.home_bytes = 16ull << 20;
    policy.limits.timeout = std::chrono::seconds(60);
    return policy;
}

bool file_has(const fs::path& path, const std::string& content) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return in.good() || in.eof() ? text.str() == content : false;
}

// What hazmat did with the traps the workspace-symlinks probe left: they
// must be listed as links (not followed), and applying everything, risky
// changes included, must leave the canaries alone and create no link out.
ProbeResult judge_workspace_traps(const RunRecord& record, const Fixtures& fixtures,
                                  ProbeResult result) {
    std::vector<std::string> problems;
    if (!record.workspace_diff) {
        problems.push_back("no workspace diff");
    } else {
        for (const auto& planted : {"escape-dir", "escape-file", "passwd", "up"}) {
            const auto it = std::find_if(
                record.workspace_diff->changes.begin(), record.workspace_diff->changes.end(),
                [&](const WorkspaceChange& change) { return change.path == planted; });
            if (it == record.workspace_diff->changes.end())
                problems.push_back(fmt::format("{} missing from the diff", planted));
            else if (it->type != EntryType::symlink || !it->link_escapes)
                problems.push_back(fmt::format("{} not reported as an escaping symlink", planted));
        }
        const auto target = fixtures.dir / "apply-target";
        std::error_code ec;
        fs::copy(fixtures.project, target, fs::copy_options::recursive, ec);
        ApplyOptions options;
        options.include_risky = true;
        const auto outcome =
            apply_changes(record.layer_upper, target, *record.workspace_diff, options);
        if (!outcome)
            problems.push_back("apply failed: " + outcome.error().message);
        for (const auto& planted : {"escape-dir", "escape-file", "passwd", "up", "trap.fifo"}) {
            if (fs::exists(fs::symlink_status(target / planted, ec)))
                problems.push_back(fmt::format("apply created {}", planted));
        }
    }
    std::error_code ec;
    if (!file_has(fixtures.canary_file, fixtures.canary_content))
        problems.push_back("the canary file changed");
    size_t entries = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(fixtures.canary_dir, ec))
        ++entries;
    if (entries != 1)
        problems.push_back("something was written into the canary directory");
    result.blocked = problems.empty();
    std::string found;
    for (const auto& problem : problems)
        found += (found.empty() ? "" : "; ") + problem;
    result.detail =
        problems.empty()
            ? "links listed as links, never applied; canaries untouched (" + result.detail + ")"
            : found;
    return result;
}

Result<ProbeResult> run_one(const ProbeInfo& info, const Fixtures& fixtures,
                            const SelftestOptions& options, IsolationSummary& isolation) {
    const std::string name(info.name);
    std::vector<std::string> args;
    HostTarget target;
    std::optional<HostListener> listener;
    if (name == "signal-host") {
        target.pid = fork();
        if (target.pid == 0) {
            pause();
            _exit(0);
        }
        args.push_back(std::to_string(target.pid));
    } else if (name == "abstract-socket" || name == "host-loopback") {
        auto made = name == "host-loopback" ? loopback_listener() : abstract_listener();
        if (!made)
            return made.error();
        listener = std::move(*made);
        args.push_back(listener->argument);
    } else if (name == "host-files") {
        const char* home = std::getenv("HOME");
        args = {home ? home : "/root", fixtures.canary_file.string()};
    } else if (name == "workspace-symlinks") {
        args = {fixtures.canary_dir.string(), fixtures.canary_file.string()};
    } else if (name == "fork-bomb") {
        args.push_back(std::to_string(kProcessLimit));
    } else if (name == "memory-balloon") {
        args.push_back(std::to_string(kMemoryLimit));
    } else if (name == "tmp-fill" || name == "shm-fill") {
        args.push_back(std::to_string(kTmpLimit));
    }

    auto record = run_in_sandbox(probe_policy(fixtures, name, args, options.allow_degraded));
    if (!record)
        return record.error();
    isolation = record->isolation;

    ProbeResult result;
    result.name = name;
    result.description = std::string(info.description);
    ProbeLine line;
    bool reported = false;
    std::istringstream output(record->captured_stdout);
    std::string text;
    while (std::getline(output, text)) {
        if (parse_probe_line(text, line) && line.name == name)
            reported = true;
    }
    if (!reported) {
        result.blocked = false;
        result.detail = fmt::format("the probe reported nothing (output: {}{})",
                                    record->captured_stdout.substr(0, 200),
                                    record->captured_stderr.substr(0, 200));
        return result;
    }
    result.blocked = line.blocked;
    result.detail = line.detail;
    for (const auto& event : record->events) {
        if (event.type == EventType::denied) {
            const auto call = event.detail.empty()
                                  ? event.syscall
                                  : fmt::format("{}({})", event.syscall, event.detail);
            if (std::find(result.observed.begin(), result.observed.end(), call) ==
                result.observed.end())
                result.observed.push_back(call);
        }
    }

    // The host side of the story.
    if (name == "signal-host" && kill(target.pid, 0) != 0) {
        result.blocked = false;
        result.detail += "; the host process is gone";
    }
    if (listener && listener->was_reached()) {
        result.blocked = false;
        result.detail += "; the host listener accepted a connection";
    }
    if (name == "workspace-symlinks")
        result = judge_workspace_traps(*record, fixtures, std::move(result));
    if (name == "host-files" && !file_has(fixtures.canary_file, fixtures.canary_content)) {
        result.blocked = false;
        result.detail += "; the canary file changed";
    }
    return result;
}

}  // namespace

Result<SelftestResult> run_selftest(const SelftestOptions& options) {
    auto state = state_root();
    if (!state)
        return state.error();
    auto fixtures = make_fixtures(*state);
    if (!fixtures)
        return fixtures.error();

    SelftestResult result;
    result.privileged = geteuid() == 0;
    for (const auto& info : probe_catalog()) {
        if (!options.only.empty() &&
            std::find(options.only.begin(), options.only.end(), info.name) == options.only.end())
            continue;
        spdlog::info("probe {}", info.name);
        auto probe = run_one(info, *fixtures, options, result.isolation);
        if (!probe) {
            (void)remove_tree(fixtures->dir);
            return Error{fmt::format("probe {}: {}", info.name, probe.error().message)};
        }
        result.probes.push_back(std::move(*probe));
    }
    (void)remove_tree(fixtures->dir);
    return result;
}

}  // namespace hazmat::sandbox
