#include "cli/cli.hpp"
#include "core/exit_code.hpp"

namespace hazmat::cli {

void add_selftest_command(CLI::App& app, const GlobalOptions&, int& exit_code) {
    auto* selftest = app.add_subcommand("selftest", "Run escape probes inside the sandbox");
    selftest->callback([&exit_code] { exit_code = kExitClean; });
}

}  // namespace hazmat::cli
