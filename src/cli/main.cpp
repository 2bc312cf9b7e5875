#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>

#include "cli/cli.hpp"
#include "core/exit_code.hpp"
#include "hazmat_version.hpp"
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

void print_error(std::string_view message) {
    fmt::print(stderr, "hazmat: {}\n", message);
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

void configure_logging(const GlobalOptions& global) {
    auto logger = spdlog::stderr_color_mt("hazmat");
    logger->set_pattern("hazmat: %^%l%$: %v");
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
        app.exit(e);
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
