#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sandbox/persona.hpp"

namespace hazmat::sandbox {

// One planted fake secret. Values are random per run, so any later
// sighting (in a paste site, a log, an attacker's request) names the run
// that leaked it.
struct DecoySecret {
    std::string id;     // stable name, e.g. "aws-secret-access-key"
    std::string where;  // where it was planted: "~/.aws/credentials" or "$HF_TOKEN"
    std::string value;
};

// A fake credential file in the sandbox's home directory.
struct DecoyFile {
    std::string path;  // relative to home: ".aws/credentials"
    std::string content;
    uint32_t mode = 0600;
    bool holds_secret = true;  // false for companions such as ~/.aws/config or a public key
};

// Realistic-looking credentials that a credential stealer looks for first:
// cloud keys, SSH keys, tokens of GitHub, Hugging Face, Docker, Kubernetes,
// and API keys in the environment.
struct DecoySet {
    std::vector<DecoySecret> secrets;
    std::vector<DecoyFile> files;
    std::vector<std::pair<std::string, std::string>> environment;

    static DecoySet generate(const Persona& persona);

    // The decoy file at `path` relative to home, or nullptr.
    const DecoyFile* file(std::string_view path) const;
};

}  // namespace hazmat::sandbox
