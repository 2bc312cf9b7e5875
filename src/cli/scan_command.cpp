#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "cli/cli.hpp"
#include "core/baseline.hpp"
#include "core/exit_code.hpp"
#include "core/scanner.hpp"
#include "hazmat_version.hpp"
#include "report/render.hpp"
#include "scan/analyzers.hpp"

namespace hazmat::cli {

namespace {

struct ScanOptions {
    std::vector<std::string> targets;
    std::string format = "text";
    std::string output;
    std::string fail_on = "high";
    unsigned jobs = 0;
    std::vector<std::string> allow_callables;
    std::string yara_rules;
    ScanLimits limits;
    double timeout_seconds = 300;
    bool no_history = false;
    bool all_objects = false;
    std::string baseline;
    std::string write_baseline;
};

Result<std::string> render(const Report& report, const ScanOptions& options,
                           const GlobalOptions& global) {
    if (options.format == "json")
        return render_json(report);
    TextOptions text;
    text.color = use_color(global, !options.output.empty());
    text.verbose = global.verbosity > 0;
    return render_text(report, text);
}

bool write_output(const std::string& text, const std::string& path) {
    if (path.empty() || path == "-") {
        std::fwrite(text.data(), 1, text.size(), stdout);
        return std::fflush(stdout) == 0;
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

int run_scan(const ScanOptions& options, const GlobalOptions& global) {
    for (const auto& target : options.targets) {
        std::error_code ec;
        if (!std::filesystem::exists(std::filesystem::symlink_status(target, ec))) {
            print_error(fmt::format("target '{}' does not exist", target));
            return kExitUsage;
        }
    }
    auto data = find_data(global);
    if (!data) {
        print_error(data.error().message);
        return kExitUsage;
    }
    AnalyzerOptions analyzer_options{*data, {}, {}, {}};
    for (const auto& file : options.allow_callables)
        analyzer_options.allow_callables.push_back(file);
    analyzer_options.scan_roots = options.targets;
    if (!options.yara_rules.empty())
        analyzer_options.yara_rules = options.yara_rules;
    auto dispatcher = build_dispatcher(analyzer_options);
    if (!dispatcher) {
        print_error(dispatcher.error().message);
        return kExitUsage;
    }

    ScanLimits limits = options.limits;
    limits.file_timeout =
        std::chrono::milliseconds(static_cast<int64_t>(options.timeout_seconds * 1000));
    const unsigned jobs =
        options.jobs > 0 ? options.jobs : std::max(1u, std::thread::hardware_concurrency());

    Report report;
    report.command = "scan";
    report.hazmat_version = kHazmatVersion;
    report.rules_version = data->rules_version();
    report.data_version = data->data_version();
    report.fail_on = *parse_severity(options.fail_on);
    report.started = std::chrono::system_clock::now();
    for (size_t i = 0; i < options.targets.size(); ++i) {
        if (i > 0)
            report.target += ", ";
        report.target += options.targets[i];
    }

    Scanner scanner(**dispatcher, limits, jobs);
    scanner.on_file([](const WalkEntry& entry) {
        spdlog::info("examining {} ({} bytes)", entry.display, entry.size);
    });
    std::unique_ptr<Dispatcher> history_dispatcher;
    const bool any_repository =
        std::any_of(options.targets.begin(), options.targets.end(),
                    [](const std::string& target) { return has_git_directory(target); });
    if (!options.no_history && any_repository) {
        auto built = build_history_dispatcher(analyzer_options);
        if (!built) {
            print_error(built.error().message);
            return kExitUsage;
        }
        history_dispatcher = std::move(*built);
        GitHistoryOptions history;
        history.all_objects = options.all_objects;
        scanner.enable_history(*history_dispatcher, history);
    }
    std::optional<Baseline> baseline;
    if (!options.baseline.empty()) {
        auto loaded = Baseline::load(options.baseline);
        if (!loaded) {
            print_error(loaded.error().message);
            return kExitUsage;
        }
        baseline = std::move(*loaded);
    }
    // Findings the baseline hides still belong in a baseline written now.
    std::mutex hidden_mutex;
    std::vector<Finding> hidden;
    if (baseline) {
        scanner.set_filter([&](const Finding& finding) {
            if (finding.fingerprint.empty() || !baseline->contains(finding.fingerprint))
                return true;
            const std::lock_guard lock(hidden_mutex);
            hidden.push_back(finding);
            return false;
        });
    }

    const auto start = std::chrono::steady_clock::now();
    for (const auto& target : options.targets)
        scanner.scan(target, report);
    report.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    report.finish();
    if (scanner.filtered() > 0 && !global.quiet) {
        fmt::print(stderr, "hazmat: {} known finding{} hidden by the baseline {}\n",
                   scanner.filtered(), scanner.filtered() == 1 ? "" : "s", options.baseline);
    }
    if (!options.write_baseline.empty()) {
        std::vector<Finding> all = report.findings();
        all.insert(all.end(), hidden.begin(), hidden.end());
        if (auto written = write_baseline(options.write_baseline, all); !written) {
            print_error(written.error().message);
            return kExitUsage;
        }
    }

    auto text = render(report, options, global);
    if (!text) {
        print_error(text.error().message);
        return kExitUsage;
    }
    if (!write_output(*text, options.output))
        return kExitUsage;
    return exit_code_for(report);
}

}  // namespace

void add_scan_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto options = std::make_shared<ScanOptions>();
    auto* scan = app.add_subcommand(
        "scan",
        "Review a project, model file, archive or package without executing anything.\n"
        "Findings at or above --fail-on make the exit code 1; content hazmat could not fully "
        "verify is reported as a finding (HZ-SCAN-*), never passed silently.");
    scan->add_option("TARGET", options->targets, "Files or directories to review")->required();
    scan->add_option("-f,--format", options->format, "Report format")
        ->transform(CLI::IsMember({"text", "json"}, CLI::ignore_case))
        ->default_str("text");
    scan->add_option("-o,--output", options->output, "Write the report to FILE instead of stdout");
    scan->add_option("--fail-on", options->fail_on, "Lowest severity that makes the exit code 1")
        ->transform(severity_name())
        ->default_str("high");
    scan->add_option("-j,--jobs", options->jobs, "Files examined in parallel (default: all cores)")
        ->check(CLI::Range(1u, 1024u));
    scan->add_option("--allow-callables", options->allow_callables,
                     "Your own TOML allow-list of pickle callables to treat as safe, in addition "
                     "to the shipped one (see docs/pickle-policy.md); repeatable")
        ->check(CLI::ExistingFile);
    scan->add_option("--yara-rules", options->yara_rules,
                     "Directory of your own YARA rules (*.yar, *.yara) to run next to the "
                     "bundled ones; matches are reported as HZ-CODE-101")
        ->check(CLI::ExistingDirectory);
    scan->add_option("--timeout", options->timeout_seconds,
                     "Seconds allowed per file on disk before it is reported as not verified")
        ->check(positive_number("seconds"))
        ->default_str("300");
    scan->add_option("--max-depth", options->limits.max_depth,
                     "Deepest nesting of archives and streams examined")
        ->default_str(std::to_string(options->limits.max_depth));
    scan->add_option("--max-expanded-bytes", options->limits.max_expanded_bytes,
                     "Most bytes decompressed per file on disk")
        ->default_str(std::to_string(options->limits.max_expanded_bytes));
    scan->add_option("--max-pickle-opcodes", options->limits.pickle_max_opcodes,
                     "Most pickle opcodes executed per file on disk")
        ->default_str(std::to_string(options->limits.pickle_max_opcodes));
    scan->add_flag("--no-history", options->no_history,
                   "Do not read the git history of a target that is a repository (by default "
                   "every blob reachable from any ref is searched for credentials once)");
    scan->add_flag("--all-objects", options->all_objects,
                   "Also search git objects no ref reaches (amended commits, dropped stashes)");
    scan->add_option("--baseline", options->baseline,
                     "Hide findings whose fingerprint is in FILE (written by --write-baseline)")
        ->check(CLI::ExistingFile);
    scan->add_option("--write-baseline", options->write_baseline,
                     "Write the fingerprints of this scan's findings to FILE, to pass to "
                     "--baseline later");
    scan->callback([options, &global, &exit_code] { exit_code = run_scan(*options, global); });
}

}  // namespace hazmat::cli
