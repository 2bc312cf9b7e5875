#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/data_dir.hpp"
#include "core/result.hpp"

namespace hazmat::cli {

// Options every command understands.
struct GlobalOptions {
    std::optional<std::string> data_dir;
    int verbosity = 0;
    bool quiet = false;
    bool no_color = false;
    // Everything after the first "--" on the command line: the command that
    // `run` executes in the sandbox.
    std::vector<std::string> command;
};

// Each command registers itself on the application and stores its exit code
// in `exit_code` when it runs.
void add_scan_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
void add_rules_commands(CLI::App& app, const GlobalOptions& global, int& exit_code);
void add_run_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
void add_apply_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
void add_doctor_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
void add_selftest_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
void add_db_commands(CLI::App& app, const GlobalOptions& global, int& exit_code);

Result<DataDir> find_data(const GlobalOptions& global);

// Whether coloured output is appropriate for stdout.
bool use_color(const GlobalOptions& global, bool writing_to_file);

// Writes a rendered report to `path`, or to stdout for "-", or when `path`
// is empty to stderr (default_to_stderr: commands whose stdout belongs to
// the sandboxed program) or stdout.
bool write_report(const std::string& text, const std::string& path, bool default_to_stderr);

// A check for options that take a positive number (seconds, cores): rejects
// zero, negative and non-numeric values with a message that says so.
CLI::Validator positive_number(const std::string& what);

// The severities --fail-on accepts, in any case ("HIGH" is "high").
CLI::Validator severity_name();

// Prints "hazmat: <message>" to stderr.
void print_error(std::string_view message);

}  // namespace hazmat::cli
