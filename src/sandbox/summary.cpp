#include "sandbox/summary.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <string.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "core/finding.hpp"
#include "sandbox/run_rules.hpp"

namespace hazmat::sandbox {

namespace {

constexpr size_t kMaxEvidence = 20;

Location at_path(std::string path) {
    Location location;
    if (!path.empty())
        location.chain.push_back({LocationPart::Kind::file, std::move(path)});
    return location;
}

std::string basename(std::string_view path) {
    const auto slash = path.rfind('/');
    return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string join_argv(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& arg : argv) {
        if (!out.empty())
            out += ' ';
        const bool quote = arg.empty() || arg.find_first_of(" \t'\"$|;&") != std::string::npos;
        out += quote ? "'" + arg + "'" : arg;
    }
    if (out.size() > 300)
        out = out.substr(0, 300) + "...";
    return out;
}

std::string who(const Event& event) {
    if (event.program.empty())
        return event.pid ? fmt::format("pid {}", event.pid) : "the program";
    return fmt::format("{} (pid {})", event.program, event.pid);
}

std::string endpoint(const Event& event) {
    if (event.family == "inet6")
        return fmt::format("[{}]:{}", event.address, event.port);
    if (event.port != 0)
        return fmt::format("{}:{}", event.address, event.port);
    return event.address;
}

// Groups findings of one rule by a key, collecting evidence once per line.
class Grouped {
  public:
    void add(const std::string& key, std::string evidence) {
        auto& lines = groups_[key];
        if (std::find(lines.begin(), lines.end(), evidence) == lines.end() &&
            lines.size() < kMaxEvidence)
            lines.push_back(std::move(evidence));
    }
    const std::map<std::string, std::vector<std::string>>& groups() const { return groups_; }

  private:
    std::map<std::string, std::vector<std::string>> groups_;
};

void emit(Report& report, std::string_view rule, const std::string& message, Location location,
          const std::vector<std::string>& evidence) {
    auto finding = Finding::make(rule, message, std::move(location));
    for (const auto& line : evidence)
        finding.with_evidence(line);
    report.add(std::move(finding));
}

// Denial kinds that only make sense as part of an escape or privilege
// escalation attempt.
bool is_escape_kind(std::string_view kind) {
    static constexpr std::array kEscape = std::to_array<std::string_view>({
        "namespace creation",
        "process inspection",
        "kernel keyring",
        "BPF programs",
        "kernel modules",
        "mounts",
        "terminal injection",
        "file handles",
        "system control",
        "userfaultfd",
        "memory hidden from the kernel",
        "memory placement of other processes",
    });
    return std::find(kEscape.begin(), kEscape.end(), kind) != kEscape.end();
}

Severity denial_severity(std::string_view kind) {
    if (is_escape_kind(kind))
        return Severity::high;
    if (kind == "socket family" || kind == "MPTCP sockets" || kind == "performance events")
        return Severity::medium;
    return Severity::low;
}

void summarize_decoys(const RunRecord& record, Report& report) {
    Grouped reads;
    for (const auto& event : record.events) {
        if (event.type == EventType::open && event.category == PathCategory::decoy) {
            const auto display = event.resolved.starts_with(record.persona.home() + "/")
                                     ? "~" + event.resolved.substr(record.persona.home().size())
                                     : event.resolved;
            reads.add(display,
                      fmt::format("opened by {} as {} ({})", who(event), event.path, event.flags));
        } else if (event.type == EventType::decoy_access) {
            reads.add(event.path, fmt::format("the kernel saw: {}", event.flags));
        }
    }
    for (const auto& [path, evidence] : reads.groups()) {
        emit(report, rules::kRunDecoyRead,
             fmt::format("The program opened the decoy credential {}", path), at_path(path),
             evidence);
    }

    std::map<std::pair<std::string, std::string>, std::vector<std::string>> leaks;
    for (const auto& hit : record.leaks)
        leaks[{hit.channel, hit.secret_id}].push_back(hit.encoding);
    for (const auto& [key, encodings] : leaks) {
        const auto& [channel, secret_id] = key;
        std::string where;
        for (const auto& secret : record.decoys.secrets) {
            if (secret.id == secret_id)
                where = secret.where;
        }
        std::string encoded;
        for (const auto& encoding : encodings)
            encoded += (encoded.empty() ? "" : ", ") + encoding;
        const bool file = channel.starts_with("file ");
        emit(report, rules::kRunDecoyLeak,
             fmt::format("The decoy {} (planted in {}) appeared in {}", secret_id, where, channel),
             at_path(file ? channel.substr(5) : std::string()),
             {fmt::format("encoding: {}", encoded),
              "decoy values are recorded in " + (record.run_dir / "decoys.json").string()});
    }
}

// Sockets that control the host or a user session (container engines,
// D-Bus, systemd, SSH and GPG agents). glibc's own probe of nscd's socket
// is not among them.
bool is_host_control_socket(std::string_view path) {
    static constexpr std::array kNames = std::to_array<std::string_view>({
        "docker.sock",
        "containerd.sock",
        "podman.sock",
        "crio.sock",
        "snapd.socket",
        "system_bus_socket",
        "/bus",
        "systemd/private",
        "ssh-agent",
        "S.gpg-agent",
        "agent.",
        "kubelet.sock",
        "libvirt-sock",
    });
    return std::any_of(kNames.begin(), kNames.end(), [&](std::string_view name) {
        return path.find(name) != std::string_view::npos;
    });
}

void summarize_network(const RunRecord& record, Report& report) {
    Grouped outside, host_services, listening, sensitive_sockets;
    for (const auto& event : record.events) {
        if (event.type == EventType::dns) {
            outside.add(
                fmt::format("name {}", event.address),
                fmt::format("DNS {} query for {}: {}", event.flags, event.address, event.decision));
        } else if (event.type == EventType::connect || event.type == EventType::send) {
            if (event.family == "unix") {
                if (is_host_control_socket(event.address))
                    sensitive_sockets.add(
                        event.address, fmt::format("{} connected to the Unix socket {}", who(event),
                                                   event.address));
                continue;
            }
            if (event.family != "inet" && event.family != "inet6")
                continue;
            const bool loopback = event.address.starts_with("127.") || event.address == "::1";
            if (loopback) {
                if (!event.listener_inside && event.type == EventType::connect)
                    host_services.add(endpoint(event),
                                      fmt::format("{} connected to {}; nothing listens there "
                                                  "inside the sandbox",
                                                  who(event), endpoint(event)));
                continue;
            }
            outside.add(endpoint(event),
                        fmt::format("{} {} {}", who(event),
                                    event.type == EventType::connect ? "connected to"
                                                                     : "sent a datagram to",
                                    endpoint(event)));
        } else if (event.type == EventType::bind || event.type == EventType::listen) {
            if (event.type == EventType::bind && event.family != "inet" && event.family != "inet6")
                continue;
            const auto key = event.type == EventType::bind ? endpoint(event) : event.detail;
            listening.add(
                key, fmt::format("{} {} {}", who(event), event.syscall,
                                 event.type == EventType::bind ? endpoint(event) : event.detail));
        }
    }
    for (const auto& [destination, evidence] : outside.groups()) {
        emit(report, rules::kRunNetworkAttempt,
             fmt::format("The program tried to reach {} (the sandbox has no network)", destination),
             {}, evidence);
    }
    for (const auto& [destination, evidence] : host_services.groups()) {
        emit(report, rules::kRunHostServiceProbe,
             fmt::format("The program looked for a service at {}", destination), {}, evidence);
    }
    for (const auto& [socket, evidence] : sensitive_sockets.groups()) {
        emit(report, rules::kRunSensitivePath,
             fmt::format("The program connected to the host control socket {}", socket),
             at_path(socket), evidence);
    }
    if (!listening.groups().empty()) {
        std::vector<std::string> evidence;
        for (const auto& [key, lines] : listening.groups())
            evidence.insert(evidence.end(), lines.begin(), lines.end());
        if (evidence.size() > kMaxEvidence)
            evidence.resize(kMaxEvidence);
        emit(report, rules::kRunListening,
             fmt::format("The program opened {} listening socket{}", listening.groups().size(),
                         listening.groups().size() == 1 ? "" : "s"),
             {}, evidence);
    }
}

void summarize_execs(const RunRecord& record, Report& report) {
    Grouped shells, downloaders, schedulers;
    for (const auto& event : record.events) {
        if (event.type != EventType::exec || event.first)
            continue;
        const auto argv0 = event.argv.empty() ? std::string() : event.argv.front();
        const auto kind = program_kind(event.path, argv0);
        const auto command = join_argv(event.argv);
        const auto line =
            fmt::format("{} ran {}{}", who(event), command, event.exists ? "" : " (not found)");
        const bool has_c =
            std::find(event.argv.begin(), event.argv.end(), "-c") != event.argv.end();
        if (kind == "shell" && has_c) {
            shells.add(command, line);
            // A downloader inside the command string ("sh -c 'curl ... | sh'").
            for (const auto& arg : event.argv) {
                for (const char* tool : {"curl ", "wget ", "nc ", "ncat ", "socat "}) {
                    if (arg.find(tool) != std::string::npos)
                        downloaders.add(command, line);
                }
            }
        } else if (kind == "downloader") {
            downloaders.add(command, line);
        } else if (kind == "scheduler") {
            schedulers.add(command, line);
        }
    }
    for (const auto& [command, evidence] : shells.groups())
        emit(report, rules::kRunShellSpawned, "The program ran a shell command: " + command, {},
             evidence);
    for (const auto& [command, evidence] : downloaders.groups())
        emit(report, rules::kRunDownloaderSpawned, "The program started a network tool: " + command,
             {}, evidence);
    for (const auto& [command, evidence] : schedulers.groups())
        emit(report, rules::kRunPersistence,
             "The program ran a scheduler or service manager: " + command, {}, evidence);
}

void summarize_files(const RunRecord& record, Report& report) {
    Grouped persistence, outside, sensitive;
    const auto& home = record.persona.home();
    const auto display = [&](const std::string& path) {
        return path.starts_with(home + "/") ? "~" + path.substr(home.size()) : path;
    };
    for (const auto& event : record.events) {
        if (event.type != EventType::open)
            continue;
        const auto path = display(event.resolved.empty() ? event.path : event.resolved);
        const auto line = fmt::format("{} opened {} ({}): {}", who(event), event.path, event.flags,
                                      event.decision);
        if (event.category == PathCategory::persistence)
            persistence.add(path, line);
        else if (event.category == PathCategory::outside_write)
            outside.add(path, line);
        else if (event.category == PathCategory::sensitive)
            sensitive.add(path, line);
    }
    for (const auto& change : record.home_changes) {
        if (change.persistence)
            persistence.add("~/" + change.path,
                            fmt::format("~/{} was {} in the sandbox's home", change.path,
                                        change.added ? "created" : "changed"));
    }
    for (const auto& [path, evidence] : persistence.groups())
        emit(report, rules::kRunPersistence,
             fmt::format("The program wrote to {}, which runs code later", path), at_path(path),
             evidence);
    for (const auto& [path, evidence] : outside.groups())
        emit(report, rules::kRunOutsideWrite,
             fmt::format("The program tried to write {} outside its workspace", path),
             at_path(path), evidence);
    for (const auto& [path, evidence] : sensitive.groups())
        emit(report, rules::kRunSensitivePath, fmt::format("The program tried to open {}", path),
             at_path(path), evidence);
}

void summarize_denials(const RunRecord& record, Report& report) {
    struct Kind {
        uint64_t count = 0;
        std::vector<std::string> evidence;
    };
    std::map<std::string, Kind> kinds;
    std::map<std::string, uint64_t> per_call;
    for (const auto& event : record.events) {
        if (event.type != EventType::denied)
            continue;
        const auto call = event.detail.empty() ? event.syscall
                                               : fmt::format("{}({})", event.syscall, event.detail);
        auto& kind = kinds[event.kind];
        ++kind.count;
        if (per_call[event.kind + "|" + call]++ == 0 && kind.evidence.size() < kMaxEvidence)
            kind.evidence.push_back(fmt::format("{} by {}: {}", call, who(event), event.decision));
    }
    for (const auto& [key, count] : record.repeats) {
        // "denied|<syscall>|<kind>|..."
        if (!key.starts_with("denied|"))
            continue;
        const auto first = key.find('|', 7);
        const auto second = key.find('|', first + 1);
        kinds[key.substr(first + 1, second - first - 1)].count += count;
    }
    for (const auto& [kind, info] : kinds) {
        auto finding = Finding::make(rules::kRunDeniedSyscalls,
                                     fmt::format("Denied {} system call{} of kind: {}", info.count,
                                                 info.count == 1 ? "" : "s", kind),
                                     {});
        finding.with_severity(denial_severity(kind));
        for (const auto& line : info.evidence)
            finding.with_evidence(line);
        report.add(std::move(finding));
    }
}

void summarize_workspace(const RunRecord& record, Report& report) {
    if (!record.workspace_diff)
        return;
    const auto& diff = *record.workspace_diff;
    std::vector<std::string> listing;
    size_t added = 0, modified = 0, deleted = 0;
    for (const auto& change : diff.changes) {
        (change.kind == ChangeKind::added      ? added
         : change.kind == ChangeKind::modified ? modified
                                               : deleted)++;
        if (listing.size() < 50)
            listing.push_back(fmt::format(
                "{} {} {}{}", to_string(change.kind), to_string(change.type), change.path,
                change.type == EntryType::symlink ? " -> " + change.link_target : std::string()));
        if (change.kind == ChangeKind::deleted)
            continue;
        if (change.type == EntryType::symlink && change.link_escapes) {
            emit(report, rules::kRunEscapingSymlink,
                 fmt::format("{} -> {} leads outside the workspace", change.path,
                             change.link_target),
                 at_path(change.path), {});
            continue;
        }
        for (const auto& risk : change.risks) {
            if (risk == "new executable") {
                emit(
                    report, rules::kRunNewExecutable,
                    fmt::format("The program left the executable {} in the workspace", change.path),
                    at_path(change.path), {fmt::format("mode {:o}", change.mode)});
            } else {
                emit(
                    report, rules::kRunRiskyWorkspaceChange,
                    fmt::format("The program {} {}: {}", to_string(change.kind), change.path, risk),
                    at_path(change.path), {});
            }
        }
    }
    if (diff.changes.empty())
        return;
    if (listing.size() < diff.changes.size())
        listing.push_back(fmt::format("... and {} more", diff.changes.size() - listing.size()));
    emit(report, rules::kRunWorkspaceChanges,
         fmt::format("{} added, {} modified, {} deleted; kept in layer '{}' (not applied)", added,
                     modified, deleted, record.layer_name),
         {}, listing);
    if (diff.truncated)
        emit(report, rules::kRunMonitorIncomplete,
             "The workspace layer has more entries than hazmat lists; not every change was "
             "examined",
             {}, {});
}

std::string mib(uint64_t bytes) {
    return fmt::format("{:.0f} MiB", static_cast<double>(bytes) / (1 << 20));
}

// Limits enforced by rlimits: the kernel counts no hits, so report what the
// samples, the output and the command's end show, and say that this is all.
void summarize_uncounted_limits(const RunRecord& record, Report& report) {
    const auto& hits = record.limit_hits;
    const auto& limits = record.limits;
    const auto& outcome = record.outcome;

    std::vector<std::string> process_signs;
    std::vector<std::string> unrelated;
    const bool near_limit = hits.peak_tasks * 2 >= limits.max_processes;
    if (limits.max_processes > 0 && hits.peak_tasks + 1 >= limits.max_processes)
        process_signs.push_back(
            fmt::format("{} processes and threads were seen running at once; forks past {} "
                        "fail with EAGAIN",
                        hits.peak_tasks, limits.max_processes));
    for (const auto& line : hits.fork_messages) {
        // EAGAIN alone is also what non-blocking I/O returns: it counts only
        // with many processes around or words about forking.
        const bool about_forks = line.find("fork") != std::string::npos ||
                                 line.find("thread") != std::string::npos ||
                                 line.find("spawn") != std::string::npos;
        (about_forks || near_limit ? process_signs : unrelated)
            .push_back("the program printed: " + line);
    }
    if (!process_signs.empty()) {
        process_signs.push_back("enforced by " + record.isolation.limits.processes +
                                "; refused forks are not counted");
        emit(report, rules::kRunLimitHit,
             fmt::format("Process limit: the program most likely reached the limit of {} "
                         "processes",
                         limits.max_processes),
             {}, process_signs);
    }

    std::vector<std::string> memory_signs;
    if (limits.memory_bytes > 0 && hits.peak_process_data >= limits.memory_bytes / 10 * 9)
        memory_signs.push_back(fmt::format("{} grew to {} of data", hits.peak_process_name,
                                           mib(hits.peak_process_data)));
    for (const auto& line : hits.memory_messages)
        memory_signs.push_back("the program printed: " + line);
    if (!memory_signs.empty()) {
        memory_signs.push_back(
            fmt::format("limit {} per process, enforced by {}; refused "
                        "allocations are not counted",
                        mib(limits.memory_bytes), record.isolation.limits.memory));
        emit(report, rules::kRunLimitHit,
             fmt::format("Memory limit: an allocation was most likely refused at {}",
                         mib(limits.memory_bytes)),
             {}, memory_signs);
    }

    std::vector<std::string> observed = {
        fmt::format("memory: {} per process by {}; processes: {} by {}", mib(limits.memory_bytes),
                    record.isolation.limits.memory, limits.max_processes,
                    record.isolation.limits.processes),
        fmt::format("sampled every 100 ms: at most {} processes and threads at once; the "
                    "largest process had {} of data",
                    hits.peak_tasks, mib(hits.peak_process_data)),
    };
    for (const auto& line : unrelated)
        observed.push_back(line + " (with too few processes for the process limit)");
    if (outcome.state == CommandOutcome::State::signaled &&
        (outcome.signal == SIGKILL || outcome.signal == SIGSEGV || outcome.signal == SIGBUS ||
         outcome.signal == SIGABRT))
        observed.push_back(fmt::format(
            "the command was killed by {}, which a refused allocation can cause",
            sigabbrev_np(outcome.signal) ? fmt::format("SIG{}", sigabbrev_np(outcome.signal))
                                         : std::to_string(outcome.signal)));
    else if (outcome.state == CommandOutcome::State::exited && outcome.exit_code != 0 &&
             memory_signs.empty() && process_signs.empty())
        observed.push_back(
            fmt::format("the command exited with status {}; nothing it printed points at a limit",
                        outcome.exit_code));
    emit(report, rules::kRunLimitsPartlyObserved,
         "Memory and process limits were enforced with rlimits: a hit can only be partly "
         "observed",
         {}, observed);
}

void summarize_outcome(const RunRecord& record, Report& report) {
    const auto& outcome = record.outcome;
    if (outcome.state == CommandOutcome::State::timed_out) {
        emit(report, rules::kRunTimedOut,
             fmt::format("The command was still running after {} s and was killed",
                         record.limits.timeout.count() / 1000.0),
             {}, {});
    } else if (outcome.state == CommandOutcome::State::not_started) {
        emit(report, rules::kRunCommandFailed, "The command could not be started: " + outcome.error,
             {}, {});
    } else if (outcome.state == CommandOutcome::State::signaled) {
        std::vector<std::string> evidence;
        if (outcome.signal == SIGSYS)
            evidence.push_back(
                "SIGSYS: a system call of a foreign architecture or with the x32 "
                "bit was killed by the seccomp filter");
        emit(report, rules::kRunCommandFailed,
             fmt::format("The command was killed by signal {} ({})", outcome.signal,
                         sigdescr_np(outcome.signal) ? sigdescr_np(outcome.signal) : "?"),
             {}, evidence);
    }
    const auto& hits = record.limit_hits;
    if (hits.oom_kills > 0)
        emit(report, rules::kRunLimitHit,
             fmt::format("Memory limit: the kernel killed {} process{} for memory", hits.oom_kills,
                         hits.oom_kills == 1 ? "" : "es"),
             {},
             {fmt::format("limit {} MiB, enforced by {}", record.limits.memory_bytes >> 20,
                          record.isolation.limits.memory)});
    if (hits.pids_max_events > 0)
        emit(report, rules::kRunLimitHit,
             fmt::format("Process limit: {} fork{} refused at {} processes", hits.pids_max_events,
                         hits.pids_max_events == 1 ? "" : "s", record.limits.max_processes),
             {}, {"enforced by " + record.isolation.limits.processes});
    if (!hits.counted)
        summarize_uncounted_limits(record, report);
    if (outcome.state == CommandOutcome::State::signaled && outcome.signal == SIGXFSZ)
        emit(report, rules::kRunLimitHit,
             fmt::format("File size limit: a file grew past {} MiB",
                         record.limits.max_file_bytes >> 20),
             {}, {});

    std::vector<std::string> gaps;
    if (!record.isolation.monitored)
        gaps.push_back("the monitor (seccomp user notification) was not available");
    if (record.lost_events > 0)
        gaps.push_back(fmt::format("{} events were lost", record.lost_events));
    if (record.monitor_errors > 0)
        gaps.push_back(fmt::format("the monitor reported {} errors", record.monitor_errors));
    if (!record.scans_complete)
        gaps.push_back("some written files were too large or too many to scan for decoy values");
    if (!gaps.empty())
        emit(report, rules::kRunMonitorIncomplete, "Part of the run was not observed", {}, gaps);
    if (!record.isolation.degraded.empty())
        emit(report, rules::kRunDegraded, "The sandbox ran without some isolation layers", {},
             record.isolation.degraded);

    Grouped refused;
    for (const auto& event : record.events) {
        if (event.decision.starts_with("denied by the user") ||
            event.decision.starts_with("denied (user"))
            refused.add(
                std::string(to_string(event.type)),
                fmt::format("{} {} {}{}", who(event), event.syscall, event.path, event.address));
    }
    for (const auto& [type, evidence] : refused.groups())
        emit(report, rules::kRunUserDenied, fmt::format("You denied {} attempt(s)", type), {},
             evidence);
}

bool has_rule(const Report& report, std::string_view rule) {
    return std::any_of(report.findings().begin(), report.findings().end(),
                       [&](const Finding& finding) { return finding.rule_id == rule; });
}

bool is_about_the_run(std::string_view rule) {
    return rule == rules::kRunTimedOut || rule == rules::kRunMonitorIncomplete ||
           rule == rules::kRunCommandFailed || rule == rules::kRunDegraded ||
           rule == rules::kRunLimitsPartlyObserved;
}

std::string verdict_of(const RunRecord& record, const Report& report) {
    const bool stole =
        has_rule(report, rules::kRunDecoyRead) && (has_rule(report, rules::kRunNetworkAttempt) ||
                                                   has_rule(report, rules::kRunHostServiceProbe) ||
                                                   has_rule(report, rules::kRunDownloaderSpawned) ||
                                                   has_rule(report, rules::kRunPersistence));
    if (report.count_at_least(Severity::critical) > 0 || stole)
        return "malicious";
    // Findings about the run itself (cut short, not fully observed) make it
    // inconclusive, not suspicious.
    const bool about_the_program = std::any_of(
        report.findings().begin(), report.findings().end(), [&](const Finding& finding) {
            return finding.severity >= report.fail_on && !is_about_the_run(finding.rule_id);
        });
    if (about_the_program)
        return "suspicious";
    const auto& outcome = record.outcome;
    // A limit hit stopped the program short of what it meant to do.
    const bool cut_short =
        outcome.state != CommandOutcome::State::exited || has_rule(report, rules::kRunLimitHit);
    const bool unobserved = !record.isolation.monitored || record.lost_events > 0 ||
                            record.monitor_errors > 0 || !record.scans_complete ||
                            (record.workspace_diff && record.workspace_diff->truncated);
    if (cut_short || unobserved)
        return "inconclusive";
    return "clean";
}

std::vector<std::string> isolation_lines(const RunRecord& record) {
    const auto& isolation = record.isolation;
    std::vector<std::string> lines;
    std::string namespaces;
    for (const auto& ns : isolation.namespaces)
        namespaces += (namespaces.empty() ? "" : ", ") + ns;
    lines.push_back(
        fmt::format("ran as {}@{}, a made-up identity, in {} (the project, {} workspace)",
                    record.persona.user_name, record.persona.host_name, record.workspace_inside,
                    isolation.workspace));
    lines.push_back("namespaces: " + namespaces + "; network: loopback only");
    lines.push_back(isolation.landlock_abi > 0
                        ? fmt::format("Landlock ABI {}{}", isolation.landlock_abi,
                                      isolation.landlock_scopes
                                          ? " (abstract sockets and signals scoped)"
                                          : " (no abstract-socket and signal scoping before ABI 6; "
                                            "the namespaces confine both)")
                        : "Landlock: not available");
    lines.push_back(fmt::format("seccomp allow-list; monitor: {}{}; {} notifications",
                                isolation.monitored ? "seccomp user notification" : "none",
                                isolation.sync_wake_up ? " with synchronous wake-up" : "",
                                record.notifications));
    lines.push_back(fmt::format("limits: memory {} MiB by {}; {} processes by {}; CPU {}",
                                record.limits.memory_bytes >> 20, isolation.limits.memory,
                                record.limits.max_processes, isolation.limits.processes,
                                isolation.limits.cpu));
    if (!record.limit_hits.counted)
        lines.push_back(
            "limit hits: only partly observable (rlimits count none; hazmat sampled the "
            "processes and watched the output for ENOMEM/EAGAIN failures)");
    if (isolation.gpu_requested && isolation.gpu_devices.empty())
        lines.push_back("GPU requested, but no NVIDIA, DRI or KFD device was found");
    if (!isolation.gpu_devices.empty()) {
        std::string devices;
        for (const auto& device : isolation.gpu_devices)
            devices += (devices.empty() ? "" : ", ") + device;
        lines.push_back("GPU devices: " + devices);
    }
    lines.push_back("audit log: " + record.audit_log.string());
    return lines;
}

}  // namespace

std::string_view program_kind(std::string_view path, std::string_view argv0) {
    static constexpr std::array kShells = std::to_array<std::string_view>(
        {"sh", "bash", "dash", "zsh", "ksh", "mksh", "fish", "ash", "busybox", "tcsh", "csh"});
    static constexpr std::array kDownloaders = std::to_array<std::string_view>(
        {"curl", "wget", "nc", "ncat", "netcat", "nc.openbsd", "nc.traditional", "socat", "ssh",
         "scp", "sftp", "telnet", "ftp", "tftp", "aria2c", "rsync", "lftp", "axel",
         "busybox-wget"});
    static constexpr std::array kSchedulers =
        std::to_array<std::string_view>({"crontab", "at", "batch", "systemctl", "systemd-run",
                                         "launchctl", "update-rc.d", "chkconfig", "loginctl"});
    for (const auto& name : {basename(path), basename(argv0)}) {
        if (std::find(kShells.begin(), kShells.end(), name) != kShells.end())
            return "shell";
        if (std::find(kDownloaders.begin(), kDownloaders.end(), name) != kDownloaders.end())
            return "downloader";
        if (std::find(kSchedulers.begin(), kSchedulers.end(), name) != kSchedulers.end())
            return "scheduler";
    }
    return {};
}

void summarize_run(const RunRecord& record, Report& report) {
    summarize_decoys(record, report);
    summarize_network(record, report);
    summarize_execs(record, report);
    summarize_files(record, report);
    summarize_denials(record, report);
    summarize_workspace(record, report);
    summarize_outcome(record, report);
    report.finish();

    CommandStatus status;
    switch (record.outcome.state) {
        case CommandOutcome::State::exited:
            status.state = CommandStatus::State::exited;
            break;
        case CommandOutcome::State::signaled:
            status.state = CommandStatus::State::signaled;
            break;
        case CommandOutcome::State::timed_out:
            status.state = CommandStatus::State::timed_out;
            break;
        case CommandOutcome::State::not_started:
            status.state = CommandStatus::State::not_started;
            break;
    }
    status.exit_code = record.outcome.exit_code;
    status.signal = record.outcome.signal;
    report.command_status = status;
    report.verdict = verdict_of(record, report);
    report.duration = record.outcome.duration;
    report.notes.push_back({"Sandbox", isolation_lines(record)});
    if (record.workspace_diff && !record.workspace_diff->changes.empty()) {
        report.notes.push_back(
            {"Workspace changes (not applied)",
             {fmt::format("{} change{} kept in layer '{}'", record.workspace_diff->changes.size(),
                          record.workspace_diff->changes.size() == 1 ? "" : "s", record.layer_name),
              fmt::format("review and apply: hazmat apply {}", record.layer_name)}});
    }
}

}  // namespace hazmat::sandbox
