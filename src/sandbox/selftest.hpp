#pragma once

#include <string>
#include <vector>

#include "core/result.hpp"
#include "sandbox/sandbox.hpp"

namespace hazmat::sandbox {

struct ProbeResult {
    std::string name;
    std::string description;
    bool blocked = false;
    std::string detail;                 // what the probe saw, or what the host-side check found
    std::vector<std::string> observed;  // denials the monitor recorded during the probe
};

struct SelftestResult {
    std::vector<ProbeResult> probes;
    IsolationSummary isolation;
    bool privileged = false;
};

struct SelftestOptions {
    std::vector<std::string> only;  // probe names; empty: all
    bool allow_degraded = false;
};

// Runs every escape probe in its own sandbox on this machine, with small
// limits, and judges each from both sides: what the probe reports from
// inside, and what hazmat sees outside (the host process it tried to signal
// is alive, nothing connected to the host listeners, the canary files were
// not touched by hazmat's own handling of what the probe left behind).
Result<SelftestResult> run_selftest(const SelftestOptions& options);

}  // namespace hazmat::sandbox
