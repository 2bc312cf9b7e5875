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

// From the kernel's CSPRNG, a page at a time: decoys need a few hundred
// random values per run, and one getrandom() each would cost more than the
// rest of their generation.
uint64_t random_u64() {
    thread_local std::array<uint64_t, 512> pool;
    thread_local size_t next = pool.size();
    if (next == pool.size()) {
        auto* out = reinterpret_cast<char*>(pool.data());
        const size_t size = sizeof(pool);
        size_t filled = 0;
        while (filled < size) {
            const auto got = getrandom(out + filled, size - filled, 0);
            if (got > 0)
                filled += static_cast<size_t>(got);
        }
        next = 0;
    }
    return pool[next++];
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
