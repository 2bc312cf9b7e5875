#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cli/cli.hpp"
#include "core/exit_code.hpp"
#include "hazmat_version.hpp"
#include "report/render.hpp"
#include "sandbox/ask.hpp"
#include "sandbox/sandbox.hpp"
#include "sandbox/state_store.hpp"
#include "sandbox/summary.hpp"
#include "sandbox/workspace_apply.hpp"

namespace hazmat::cli {

namespace fs = std::filesystem;

namespace {

struct RunOptions {
    std::string project = ".";
    std::string workspace = "overlay";
    std::string keep;
    bool fresh = false;
    bool apply = false;
    bool include_risky = false;
    std::vector<std::string> env;
    std::vector<std::string> read_only;
    bool gpu = false;
    bool ask = false;
    bool allow_degraded = false;
    bool no_monitor = false;
    double timeout_seconds = 0;
    std::string memory;
    uint32_t pids = 0;
    double cpus = 0;
    std::string tmp_size;
    std::string shm_size;
    std::string home_size;
    std::string max_file_size;
    std::string io = "auto";
    std::string log;
    std::string format = "text";
    std::string output;
    std::string fail_on = "high";
};

Result<sandbox::SandboxPolicy> build_policy(const RunOptions& options,
                                            const GlobalOptions& global) {
    sandbox::SandboxPolicy policy;
    if (global.command.empty())
        return Error{"no command: usage is 'hazmat run [OPTIONS] [DIR] -- COMMAND [ARGS...]'"};
    policy.command = global.command;

    std::error_code ec;
    const auto project = fs::canonical(options.project, ec);
    if (ec || !fs::is_directory(project, ec))
        return Error{fmt::format("project directory '{}' does not exist", options.project)};
    policy.project = project;

    if (options.workspace == "overlay")
        policy.workspace = sandbox::WorkspaceMode::overlay;
    else if (options.workspace == "rw")
        policy.workspace = sandbox::WorkspaceMode::writable;
    else
        policy.workspace = sandbox::WorkspaceMode::read_only;
    if (!options.keep.empty()) {
        if (policy.workspace != sandbox::WorkspaceMode::overlay)
            return Error{"--keep needs the overlay workspace"};
        policy.keep_name = options.keep;
    }
    if (options.fresh && options.keep.empty())
        return Error{"--fresh discards a kept layer: use it with --keep NAME"};
    policy.fresh = options.fresh;
    policy.env_grants = options.env;

    const char* home = std::getenv("HOME");
    for (const auto& path : options.read_only) {
        if (auto status = sandbox::check_read_only_path(path, home ? home : ""); !status)
            return status.error();
        policy.read_only_paths.emplace_back(path);
    }
    policy.gpu = options.gpu;
    policy.allow_degraded = options.allow_degraded;
    policy.monitor = !options.no_monitor;

    auto& limits = policy.limits;
    limits.timeout =
        std::chrono::milliseconds(static_cast<int64_t>(options.timeout_seconds * 1000));
    const std::pair<const std::string*, uint64_t*> sizes[] = {
        {&options.memory, &limits.memory_bytes},          {&options.tmp_size, &limits.tmp_bytes},
        {&options.shm_size, &limits.shm_bytes},           {&options.home_size, &limits.home_bytes},
        {&options.max_file_size, &limits.max_file_bytes},
    };
    for (const auto& [text, target] : sizes) {
        if (text->empty())
            continue;
        const auto value = sandbox::parse_size(*text);
        if (!value || *value == 0)
            return Error{fmt::format("'{}' is not a size (examples: 512M, 4G)", *text)};
        *target = *value;
    }
    if (options.pids > 0)
        limits.max_processes = options.pids;
    limits.cpus = options.cpus;

    policy.io = options.io == "pty"     ? sandbox::IoMode::pty
                : options.io == "pipes" ? sandbox::IoMode::pipes
                                        : sandbox::IoMode::automatic;
    policy.audit_log = options.log;
    return policy;
}

void apply_after_run(const sandbox::RunRecord& record, bool include_risky, Report& report) {
    if (!record.workspace_diff || record.workspace_diff->changes.empty())
        return;
    sandbox::ApplyOptions apply_options;
    apply_options.include_risky = include_risky;
    auto outcome = sandbox::apply_changes(record.layer_upper, record.project,
                                          *record.workspace_diff, apply_options);
    ReportNote note{"Workspace changes applied", {}};
    if (!outcome) {
        note.lines.push_back("not applied: " + outcome.error().message);
    } else {
        note.lines.push_back(
            fmt::format("{} applied to {}", outcome->applied.size(), record.project.string()));
        for (const auto& skipped : outcome->skipped)
            note.lines.push_back("skipped " + skipped);
    }
    // The report's note about unapplied changes no longer holds.
    std::erase_if(report.notes,
                  [](const ReportNote& n) { return n.title == "Workspace changes (not applied)"; });
    report.notes.push_back(std::move(note));
}

int run_sandboxed(const RunOptions& options, const GlobalOptions& global) {
    auto policy = build_policy(options, global);
    if (!policy) {
        print_error(policy.error().message);
        return kExitUsage;
    }
    std::unique_ptr<sandbox::TerminalAsker> asker;
    if (options.ask)
        asker = std::make_unique<sandbox::TerminalAsker>();
    if (asker)
        policy->ask = asker->function();

    auto record = sandbox::run_in_sandbox(*policy);
    if (!record) {
        print_error(record.error().message);
        return kExitUsage;
    }

    Report report;
    report.command = "run";
    report.target = record->project.string();
    report.hazmat_version = kHazmatVersion;
    report.fail_on = *parse_severity(options.fail_on);
    report.started = std::chrono::system_clock::now() - record->outcome.duration;
    if (auto data = find_data(global)) {
        report.rules_version = data->rules_version();
        report.data_version = data->data_version();
    }
    sandbox::summarize_run(*record, report);
    if (options.apply)
        apply_after_run(*record, options.include_risky, report);

    const bool to_file = !options.output.empty() && options.output != "-";
    std::string text;
    if (options.format == "json") {
        text = render_json(report);
    } else {
        TextOptions text_options;
        text_options.color = !to_file && !global.no_color && isatty(STDERR_FILENO) == 1 &&
                             std::getenv("NO_COLOR") == nullptr;
        text_options.verbose = global.verbosity > 0;
        text = render_text(report, text_options);
    }
    if (!write_report(text, options.output, /*default_to_stderr=*/true))
        return kExitUsage;
    return exit_code_for(report);
}

}  // namespace

bool write_report(const std::string& text, const std::string& path, bool default_to_stderr) {
    if (path.empty() || path == "-") {
        FILE* stream = path.empty() && default_to_stderr ? stderr : stdout;
        std::fwrite(text.data(), 1, text.size(), stream);
        return std::fflush(stream) == 0;
    }
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
        print_error(fmt::format("cannot write the report to {}: {}", path, std::strerror(errno)));
        return false;
    }
    return true;
}

void add_run_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto options = std::make_shared<RunOptions>();
    auto* run = app.add_subcommand(
        "run",
        "Run a command in a sandbox and report what it tried.\n"
        "Usage: hazmat run [OPTIONS] [DIR] -- COMMAND [ARGS...]\n"
        "DIR (default: the current directory) is the command's working directory, mounted as an "
        "overlay: the real directory is never written; changes are listed and kept for 'hazmat "
        "apply'. The command sees no network, no host files beyond /usr and the libraries, a "
        "home directory with decoy credentials, and a minimal environment. The report goes to "
        "stderr (or --output); the exit code is the command's own unless a finding at or above "
        "--fail-on trips (1), or the sandbox could not start (2).");
    run->add_option("DIR", options->project, "Project directory (default: .)");
    run->add_option("--workspace", options->workspace,
                    "overlay: writes go to a kept layer; rw: the real directory, writable; ro: "
                    "read-only")
        ->check(CLI::IsMember({"overlay", "rw", "ro"}))
        ->default_str("overlay");
    run->add_option("--keep", options->keep,
                    "Reuse the overlay layer NAME between runs (a pip install in one run serves "
                    "the next); 'hazmat apply NAME' applies it");
    run->add_flag("--fresh", options->fresh, "Discard the kept layer before running");
    run->add_flag("--apply", options->apply,
                  "Apply the workspace changes to the real directory after the run (risky ones "
                  "only with --include-risky; escaping symlinks never)");
    run->add_flag("--include-risky", options->include_risky,
                  "With --apply: also apply git hooks, .vscode, .pth files and the like");
    run->add_option("--env", options->env,
                    "Pass NAME from hazmat's environment, or set NAME=VALUE (repeatable); nothing "
                    "else of the environment is passed");
    run->add_option("--ro", options->read_only,
                    "Mount a host path read-only (e.g. a model cache); credential stores are "
                    "refused (repeatable)");
    run->add_flag("--gpu", options->gpu, "Give access to NVIDIA/DRI GPU devices");
    run->add_flag("--ask", options->ask,
                  "Ask before letting execs, network attempts and sensitive opens proceed");
    run->add_flag("--allow-degraded", options->allow_degraded,
                  "Run even if an isolation layer (Landlock, the monitor) is missing");
    run->add_flag("--no-monitor", options->no_monitor,
                  "Run without the supervisor: isolation only, nothing recorded (the verdict is "
                  "inconclusive)");
    run->add_option("--timeout", options->timeout_seconds, "Wall-clock limit in seconds")
        ->check(positive_number("seconds"));
    run->add_option("--memory", options->memory,
                    "Memory limit (default: half the RAM, at most 16G)");
    run->add_option("--pids", options->pids, "Process limit (default: 1024)")
        ->check(CLI::Range(8u, 1u << 22));
    run->add_option("--cpus", options->cpus, "CPU bandwidth in cores (needs a writable cgroup)")
        ->check(positive_number("cores"));
    run->add_option("--tmp-size", options->tmp_size, "Size of /tmp (default: 2G)");
    run->add_option("--shm-size", options->shm_size, "Size of /dev/shm (default: 1G)");
    run->add_option("--home-size", options->home_size, "Size of the home directory (default: 1G)");
    run->add_option("--max-file-size", options->max_file_size,
                    "Largest file the command may write (default: 64G)");
    run->add_option("--io", options->io,
                    "auto: a relayed pty on a terminal, pipes otherwise; pty; pipes")
        ->check(CLI::IsMember({"auto", "pty", "pipes"}))
        ->default_str("auto");
    run->add_option("--log", options->log,
                    "Append the audit log (JSON lines) to FILE (default: in the run's directory)");
    run->add_option("-f,--format", options->format, "Report format")
        ->transform(CLI::IsMember({"text", "json"}, CLI::ignore_case))
        ->default_str("text");
    run->add_option("-o,--output", options->output,
                    "Write the report to FILE ('-' for stdout) instead of stderr");
    run->add_option("--fail-on", options->fail_on, "Lowest severity that makes the exit code 1")
        ->transform(severity_name())
        ->default_str("high");
    run->callback([options, &global, &exit_code] { exit_code = run_sandboxed(*options, global); });
}

}  // namespace hazmat::cli
