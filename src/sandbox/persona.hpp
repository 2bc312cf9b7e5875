#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace hazmat::sandbox {

// Who the sandboxed program appears to run as. Malware often checks for
// known analysis environments (user "sandbox", host "cuckoo", uptime of a
// few minutes) before it acts, so the persona is an ordinary developer
// machine, picked at random per run.
// LIMITATION: the CPU count and /proc/cpuinfo are the host's, and a program
// can still tell it is confined (/proc/self/status shows the seccomp filter
// and no_new_privs; only a few processes are visible).
struct Persona {
    std::string user_name = "alex";
    std::string full_name = "Alex";
    std::string host_name = "alex-thinkpad";
    uint32_t uid = 1000;
    uint32_t gid = 1000;
    // Time since boot shown through /proc/uptime (via a time namespace).
    std::chrono::seconds uptime{std::chrono::hours(80)};

    std::string home() const { return "/home/" + user_name; }

    static Persona random();
};

// Uniformly random integer in [low, high], from the kernel's CSPRNG.
uint64_t random_between(uint64_t low, uint64_t high);

}  // namespace hazmat::sandbox
