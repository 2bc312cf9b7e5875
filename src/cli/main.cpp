#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <set>

#include "cli/cli.hpp"
#include "core/exit_code.hpp"
#include "hazmat_version.hpp"
#include "report/render.hpp"
#include "scan/deps/vulnerability_db.hpp"

namespace hazmat::cli {

Result<DataDir> find_data(const GlobalOptions& global) {
    std::optional<std::filesystem::path> explicit_dir;
    if (global.data_dir)
        explicit_dir = *global.data_dir;
    return locate_data_dir(explicit_dir);
}

bool use_color(const GlobalOptions& global, bool writing_to_file) {
    if (global.no_color || writing_to_file)
        return false;
    if (const char* no_color = std::getenv("NO_COLOR"); no_color != nullptr && *no_color) {
        return false;
    }
    return isatty(STDOUT_FILENO) == 1;
}

CLI::Validator positive_number(const std::string& what) {
    return CLI::Validator(
        [what](std::string& input) -> std::string {
            double value = 0;
            const auto [end, error] =
                std::from_chars(input.data(), input.data() + input.size(), value);
            if (error == std::errc() && end == input.data() + input.size() &&
                std::isfinite(value) && value > 0)
                return {};
            return fmt::format("expected a positive number of {} (such as 30 or 0.5), got '{}'",
                               what, input);
        },
        "NUMBER>0");
}

CLI::Validator severity_name() {
    return CLI::IsMember({"info", "low", "medium", "high", "critical"}, CLI::ignore_case);
}

void print_error(std::string_view message) {
    fmt::print(stderr, "hazmat: {}\n", terminal_safe(message));
}

namespace {

std::string version_text() {
    std::string text = fmt::format("hazmat {}", kHazmatVersion);
    if (auto data = locate_data_dir(std::nullopt)) {
        text += fmt::format("\nrules {}\ndata {}\ndata directory {}", data->rules_version(),
                            data->data_version(), data->root.string());
        text += "\n" + deps::describe_databases(*data);
    } else {
        text += "\nrules and data: not found (" + data.error().message + ")";
    }
    return text;
}

// The log message with its control characters escaped: log lines name files
// and members of the project under review.
class TerminalSafeMessage : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg& message, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        const auto safe =
            terminal_safe(std::string_view(message.payload.data(), message.payload.size()));
        dest.append(safe.data(), safe.data() + safe.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<TerminalSafeMessage>();
    }
};

void configure_logging(const GlobalOptions& global) {
    auto logger = spdlog::stderr_color_mt("hazmat");
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<TerminalSafeMessage>('*').set_pattern("hazmat: %^%l%$: %*");
    logger->set_formatter(std::move(formatter));
    spdlog::set_default_logger(logger);
    if (global.quiet) {
        spdlog::set_level(spdlog::level::err);
    } else if (global.verbosity >= 2) {
        spdlog::set_level(spdlog::level::debug);
    } else if (global.verbosity == 1) {
        spdlog::set_level(spdlog::level::info);
    } else {
        spdlog::set_level(spdlog::level::warn);
    }
}

// The words of `remaining` in the order they were given on the command line
// (CLI11 collects them in reverse).
std::vector<std::string> in_given_order(const std::vector<std::string>& remaining, int argc,
                                        char** argv) {
    std::multiset<std::string> left(remaining.begin(), remaining.end());
    std::vector<std::string> words;
    for (int i = 1; i < argc; ++i) {
        if (const auto it = left.find(argv[i]); it != left.end()) {
            words.emplace_back(argv[i]);
            left.erase(it);
        }
    }
    return words;
}

// CLI11's message, made specific where a newcomer's usual mistakes are
// recognisable: a mistyped command, a `run` command without "--".
std::string usage_error(const CLI::App& app, const CLI::ParseError& error, int argc, char** argv) {
    std::vector<std::string> commands;
    // Internal commands (named "__...") run only inside the sandbox.
    for (const auto* command : app.get_subcommands([](const CLI::App*) { return true; })) {
        if (!command->get_name().starts_with("__"))
            commands.push_back(command->get_name());
    }
    const auto parsed = app.get_subcommands();
    const bool run = !parsed.empty() && parsed.front()->get_name() == "run";
    const auto extras = in_given_order(app.remaining(true), argc, argv);
    if (parsed.empty()) {
        if (!extras.empty() && !extras.front().starts_with('-')) {
            return fmt::format("unknown command '{}'; the commands are: {}",
                               extras.front().substr(0, 80), fmt::join(commands, ", "));
        }
        return fmt::format("{}; the commands are: {}", error.what(), fmt::join(commands, ", "));
    }
    if (run && !extras.empty()) {
        return fmt::format(
            "unexpected arguments '{}'; put '--' before the command to run: "
            "hazmat run [OPTIONS] [DIR] -- COMMAND [ARGS...]",
            fmt::join(extras, " "));
    }
    return error.what();
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "hazmat reviews an untrusted AI project (models, code, dependencies) without running "
        "it.\n\nExit codes: 0 nothing at or above --fail-on, 1 findings at or above it "
        "(including content hazmat could not verify), 2 the job could not start."};
    app.name("hazmat");
    app.require_subcommand(1);
    app.fallthrough();
    app.set_version_flag("--version", version_text,
                         "Print the version of hazmat, its rules and data");

    GlobalOptions global;
    app.add_option("--data-dir", global.data_dir,
                   "Directory with hazmat's rules/ and data/ (default: $HAZMAT_DATA_DIR, then next "
                   "to the executable)");
    app.add_flag("-v,--verbose", global.verbosity,
                 "More output on stderr: -v what was examined and skipped, -vv details");
    app.add_flag("-q,--quiet", global.quiet, "Only errors on stderr");
    app.add_flag("--no-color", global.no_color, "Never colour the output (also: NO_COLOR=1)");

    int exit_code = kExitUsage;
    add_scan_command(app, global, exit_code);
    add_rules_commands(app, global, exit_code);
    add_run_command(app, global, exit_code);
    add_apply_command(app, global, exit_code);
    add_doctor_command(app, global, exit_code);
    add_selftest_command(app, global, exit_code);
    add_db_commands(app, global, exit_code);

    app.parse_complete_callback([&] { configure_logging(global); });

    // "hazmat run [OPTIONS] [DIR] -- COMMAND...": the command after "--" is
    // never parsed as hazmat's own options or positionals.
    for (int i = 1; i < argc; ++i) {
        if (std::string_view(argv[i]) == "--") {
            global.command.assign(argv + i + 1, argv + argc);
            argc = i;
            break;
        }
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        print_error(usage_error(app, e, argc, argv));
        fmt::print(stderr, "Run 'hazmat --help' or 'hazmat COMMAND --help' for usage.\n");
        return kExitUsage;
    } catch (const std::exception& e) {
        print_error(fmt::format("internal error: {}", e.what()));
        return kExitUsage;
    }
    return exit_code;
}

}  // namespace hazmat::cli

int main(int argc, char** argv) {
    return hazmat::cli::main(argc, argv);
}
