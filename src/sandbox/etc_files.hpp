#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sandbox/persona.hpp"

namespace hazmat::sandbox {

// A file hazmat writes into the sandbox's /etc.
struct SynthesizedFile {
    std::string name;  // relative to /etc
    std::string content;
};

// The sandbox's /etc is written from scratch: the host's users, groups,
// host names, network configuration, SSH configuration and shadow file
// never enter. `nameserver` is the DNS answerer inside the sandbox.
std::vector<SynthesizedFile> synthesized_etc(const Persona& persona, std::string_view nameserver);

// Host /etc entries that programs need and that hold nothing about the host
// worth hiding (CA certificates, the dynamic linker's cache, Debian's
// alternatives links, time zone data, Python's site configuration).
// They are bound read-only when present.
const std::vector<std::string_view>& host_etc_entries();

}  // namespace hazmat::sandbox
