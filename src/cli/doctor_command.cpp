#include "cli/cli.hpp"
#include "core/exit_code.hpp"

namespace hazmat::cli {

void add_doctor_command(CLI::App& app, const GlobalOptions&, int& exit_code) {
    auto* doctor = app.add_subcommand("doctor", "Report which isolation layers this host supports");
    doctor->callback([&exit_code] { exit_code = kExitClean; });
}

}  // namespace hazmat::cli
