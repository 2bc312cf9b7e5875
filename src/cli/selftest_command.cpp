#include <fmt/format.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli/cli.hpp"
#include "core/exit_code.hpp"
#include "hazmat_version.hpp"
#include "sandbox/probes.hpp"
#include "sandbox/selftest.hpp"

namespace hazmat::cli {

namespace {

struct SelftestCommandOptions {
    std::vector<std::string> only;
    bool allow_degraded = false;
    std::string format = "text";
    std::string output;
};

std::string render_selftest_text(const sandbox::SelftestResult& result, bool color) {
    const auto paint = [&](bool blocked) {
        if (!color)
            return std::string_view();
        return blocked ? std::string_view("\x1b[32m") : std::string_view("\x1b[1;31m");
    };
    const std::string_view reset = color ? "\x1b[0m" : "";
    const auto& isolation = result.isolation;
    std::string out = fmt::format(
        "hazmat selftest: escape probes inside the sandbox, as {} (Landlock ABI {}, limits by "
        "{}{})\n\n",
        result.privileged ? "root" : "an unprivileged user", isolation.landlock_abi,
        isolation.limits.memory, isolation.monitored ? ", monitored" : ", NOT monitored");
    size_t blocked = 0;
    for (const auto& probe : result.probes) {
        blocked += probe.blocked;
        fmt::format_to(std::back_inserter(out), "  {}{:<8}{} {:<22} {}\n", paint(probe.blocked),
                       probe.blocked ? "blocked" : "ALLOWED", reset, probe.name, probe.description);
        fmt::format_to(std::back_inserter(out), "           {}\n", probe.detail);
        if (!probe.observed.empty()) {
            std::string seen;
            for (const auto& call : probe.observed)
                seen += (seen.empty() ? "" : ", ") + call;
            fmt::format_to(std::back_inserter(out), "           monitor recorded: {}\n", seen);
        }
    }
    const auto allowed = result.probes.size() - blocked;
    fmt::format_to(std::back_inserter(out), "\n{} probes: {} blocked, {}{} allowed{}.\n",
                   result.probes.size(), blocked, paint(allowed == 0), allowed, reset);
    return out;
}

std::string render_selftest_json(const sandbox::SelftestResult& result) {
    nlohmann::json probes = nlohmann::json::array();
    size_t blocked = 0;
    for (const auto& probe : result.probes) {
        blocked += probe.blocked;
        probes.push_back({{"name", probe.name},
                          {"description", probe.description},
                          {"result", probe.blocked ? "blocked" : "allowed"},
                          {"detail", probe.detail},
                          {"monitor_recorded", probe.observed}});
    }
    const nlohmann::json out = {
        {"tool", {{"name", "hazmat"}, {"version", kHazmatVersion}}},
        {"command", "selftest"},
        {"privileged", result.privileged},
        {"isolation",
         {{"landlock_abi", result.isolation.landlock_abi},
          {"monitored", result.isolation.monitored},
          {"limits", result.isolation.limits.memory}}},
        {"summary",
         {{"probes", result.probes.size()},
          {"blocked", blocked},
          {"allowed", result.probes.size() - blocked}}},
        {"probes", probes},
    };
    return out.dump(2) + "\n";
}

int run_selftest_command(const SelftestCommandOptions& options, const GlobalOptions& global) {
    for (const auto& name : options.only) {
        const auto& catalog = sandbox::probe_catalog();
        if (std::none_of(catalog.begin(), catalog.end(),
                         [&](const sandbox::ProbeInfo& info) { return info.name == name; })) {
            print_error(fmt::format("unknown probe '{}'", name));
            return kExitUsage;
        }
    }
    sandbox::SelftestOptions selftest_options;
    selftest_options.only = options.only;
    selftest_options.allow_degraded = options.allow_degraded;
    auto result = sandbox::run_selftest(selftest_options);
    if (!result) {
        print_error(result.error().message);
        return kExitUsage;
    }
    const bool to_file = !options.output.empty() && options.output != "-";
    const auto text = options.format == "json"
                          ? render_selftest_json(*result)
                          : render_selftest_text(*result, use_color(global, to_file));
    if (!write_report(text, options.output, false))
        return kExitUsage;
    const bool all_blocked = std::all_of(result->probes.begin(), result->probes.end(),
                                         [](const auto& probe) { return probe.blocked; });
    return all_blocked ? kExitClean : kExitFindings;
}

}  // namespace

void add_selftest_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto options = std::make_shared<SelftestCommandOptions>();
    auto* selftest = app.add_subcommand(
        "selftest",
        "Run escape probes inside the sandbox on this machine and show each as blocked or "
        "allowed.\nEach probe runs in its own sandbox with small limits. Exit code 1 when any "
        "probe was allowed.");
    selftest->add_option("--only", options->only, "Run only these probes (repeatable)");
    selftest->add_flag("--allow-degraded", options->allow_degraded,
                       "Run even if an isolation layer is missing");
    selftest->add_option("-f,--format", options->format, "Output format")
        ->check(CLI::IsMember({"text", "json"}))
        ->default_str("text");
    selftest->add_option("-o,--output", options->output, "Write the result to FILE");
    selftest->callback(
        [options, &global, &exit_code] { exit_code = run_selftest_command(*options, global); });

    // The probes themselves: hazmat's own binary, run inside the sandbox.
    auto probe_args = std::make_shared<std::vector<std::string>>();
    auto* probe = app.add_subcommand("__probe", "Run one escape probe (inside the sandbox)");
    probe->group("");
    probe->add_option("ARGS", *probe_args, "Probe name and arguments")->required();
    probe->callback([probe_args, &exit_code] {
        const std::vector<std::string> rest(probe_args->begin() + 1, probe_args->end());
        exit_code = sandbox::run_probe(probe_args->front(), rest);
    });
}

}  // namespace hazmat::cli
