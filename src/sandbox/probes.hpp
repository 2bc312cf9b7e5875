#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hazmat::sandbox {

// An escape probe: something a hostile program tries from inside the
// sandbox. Each runs in its own sandbox (hazmat selftest) and prints one
// line, "PROBE <name> blocked|allowed <detail>".
struct ProbeInfo {
    std::string_view name;
    std::string_view description;
};

const std::vector<ProbeInfo>& probe_catalog();

// Runs probe `name` in the current process (inside the sandbox) with the
// arguments the harness passes (host pids, ports, paths); prints its result
// line and returns 0, or 2 for an unknown probe.
int run_probe(std::string_view name, std::span<const std::string> args);

// Parses a result line; false when `line` is not one.
struct ProbeLine {
    std::string name;
    bool blocked = false;
    std::string detail;
};
bool parse_probe_line(std::string_view line, ProbeLine& out);

}  // namespace hazmat::sandbox
