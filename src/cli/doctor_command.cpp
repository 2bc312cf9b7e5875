#include <fmt/format.h>
#include <sys/utsname.h>

#include <nlohmann/json.hpp>

#include "cli/cli.hpp"
#include "core/exit_code.hpp"
#include "sandbox/host_support.hpp"

namespace hazmat::cli {

namespace {

std::string_view state_name(sandbox::LayerCheck::State state) {
    switch (state) {
        case sandbox::LayerCheck::State::available:
            return "ok";
        case sandbox::LayerCheck::State::degraded:
            return "partial";
        case sandbox::LayerCheck::State::missing:
            return "missing";
    }
    return "missing";
}

int run_doctor(const std::string& format, const GlobalOptions& global) {
    const auto checks = sandbox::check_host_support();
    struct utsname kernel = {};
    uname(&kernel);
    const bool usable = std::none_of(checks.begin(), checks.end(), [](const auto& check) {
        return check.required && check.state == sandbox::LayerCheck::State::missing;
    });

    if (format == "json") {
        nlohmann::json layers = nlohmann::json::array();
        for (const auto& check : checks)
            layers.push_back({{"layer", check.layer},
                              {"state", state_name(check.state)},
                              {"required", check.required},
                              {"detail", check.detail},
                              {"advice", check.advice}});
        const nlohmann::json out = {
            {"kernel", kernel.release}, {"sandbox_usable", usable}, {"layers", layers}};
        fmt::print("{}\n", out.dump(2));
        return usable ? kExitClean : kExitFindings;
    }

    const bool color = use_color(global, false);
    const auto paint = [&](sandbox::LayerCheck::State state) -> std::string_view {
        if (!color)
            return "";
        switch (state) {
            case sandbox::LayerCheck::State::available:
                return "\x1b[32m";
            case sandbox::LayerCheck::State::degraded:
                return "\x1b[33m";
            case sandbox::LayerCheck::State::missing:
                return "\x1b[1;31m";
        }
        return "";
    };
    const std::string_view reset = color ? "\x1b[0m" : "";
    fmt::print("Isolation layers for 'hazmat run' on this host (kernel {}):\n\n", kernel.release);
    for (const auto& check : checks) {
        fmt::print("  {}{:<8}{} {}\n", paint(check.state), state_name(check.state), reset,
                   check.layer);
        fmt::print("           {}\n", check.detail);
        if (!check.advice.empty())
            fmt::print("           what to do: {}\n", check.advice);
    }
    fmt::print("\n{}\n", usable ? "The sandbox can run here."
                                : "The sandbox cannot run with full isolation here (see above; "
                                  "--allow-degraded accepts a missing Landlock or monitor).");
    return usable ? kExitClean : kExitFindings;
}

}  // namespace

void add_doctor_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto format = std::make_shared<std::string>("text");
    auto* doctor = app.add_subcommand(
        "doctor",
        "Report which isolation layers this host supports for 'hazmat run' and, where one is "
        "blocked, why and what an administrator can do.\nExit code 1 when a required layer is "
        "missing.");
    doctor->add_option("-f,--format", *format, "Output format")
        ->check(CLI::IsMember({"text", "json"}))
        ->default_str("text");
    doctor->callback([format, &global, &exit_code] { exit_code = run_doctor(*format, global); });
}

}  // namespace hazmat::cli
