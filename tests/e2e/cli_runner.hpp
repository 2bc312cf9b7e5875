#pragma once

// Runs the built hazmat binary the way a user would (no shell in between) and
// gives tests its exit code, output and parsed JSON report.

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hazmat::e2e {

struct CliResult {
    int exit_code = -1;  // the process's exit status, or 128 + signal
    std::string out;
    std::string err;
};

struct CliOptions {
    // Working directory of the child (default: the test's own).
    std::optional<std::filesystem::path> cwd;
    // Environment changes: a value sets the variable, nullopt removes it.
    std::map<std::string, std::optional<std::string>> env;
};

// Options that only change one environment variable (nullopt removes it).
CliOptions with_env(const std::string& name, std::optional<std::string> value);

// Runs `program` with `args` and collects both output streams completely
// (read together, so neither pipe can fill up and stall the child).
CliResult run_program(const std::string& program, const std::vector<std::string>& args,
                      const CliOptions& options = {});

// Runs the hazmat binary under test (HAZMAT_BINARY).
CliResult run_hazmat(const std::vector<std::string>& args, const CliOptions& options = {});

// The JSON report on stdout; a parse failure fails the calling test.
nlohmann::json parse_report(const CliResult& result);

// Findings of one rule, in report order.
std::vector<nlohmann::json> findings_with_rule(const nlohmann::json& report,
                                               std::string_view rule_id);

// Findings whose severity is above "info".
std::vector<nlohmann::json> findings_above_info(const nlohmann::json& report);

// A finding's location chain as ("kind", "name") pairs, outermost first.
using Chain = std::vector<std::pair<std::string, std::string>>;
Chain chain_of(const nlohmann::json& finding);

// Paths the build hands to the tests.
std::filesystem::path source_dir();
std::filesystem::path fixtures_dir();
std::filesystem::path build_data_dir();

// A fresh directory under the system's temporary directory, removed by the
// destructor.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, std::string_view content);

}  // namespace hazmat::e2e
