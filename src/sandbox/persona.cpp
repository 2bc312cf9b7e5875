#include "sandbox/persona.hpp"

#include <sys/random.h>

#include <array>
#include <cctype>
#include <string_view>

namespace hazmat::sandbox {

namespace {

constexpr std::array<std::string_view, 16> kFirstNames = {
    "alex", "sam",  "jordan", "chris", "taylor", "maria", "li",  "priya",
    "omar", "nina", "david",  "julia", "tom",    "anna",  "ben", "kate",
};

constexpr std::array<std::string_view, 6> kMachineSuffixes = {
    "laptop", "desktop", "thinkpad", "xps", "workstation", "pc",
};

uint64_t random_u64() {
    uint64_t value = 0;
    auto* out = reinterpret_cast<char*>(&value);
    size_t filled = 0;
    while (filled < sizeof(value)) {
        const auto got = getrandom(out + filled, sizeof(value) - filled, 0);
        if (got > 0)
            filled += static_cast<size_t>(got);
    }
    return value;
}

std::string capitalized(std::string_view name) {
    std::string out(name);
    if (!out.empty())
        out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
    return out;
}

}  // namespace

uint64_t random_between(uint64_t low, uint64_t high) {
    if (high <= low)
        return low;
    return low + random_u64() % (high - low + 1);
}

Persona Persona::random() {
    Persona persona;
    const auto name = kFirstNames[random_between(0, kFirstNames.size() - 1)];
    const auto suffix = kMachineSuffixes[random_between(0, kMachineSuffixes.size() - 1)];
    persona.user_name = std::string(name);
    persona.full_name = capitalized(name);
    persona.host_name = std::string(name) + "-" + std::string(suffix);
    // A machine that has been up for a few days: long enough to pass
    // "booted minutes ago" checks, short enough to be ordinary.
    persona.uptime = std::chrono::seconds(random_between(2 * 86400, 19 * 86400));
    return persona;
}

}  // namespace hazmat::sandbox
