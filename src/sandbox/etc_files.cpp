#include "sandbox/etc_files.hpp"

#include <fmt/format.h>

#include "sandbox/encodings.hpp"

namespace hazmat::sandbox {

namespace {

std::string random_machine_id() {
    std::string bytes;
    for (int i = 0; i < 16; ++i)
        bytes += static_cast<char>(random_between(0, 255));
    return hex_encode(bytes) + "\n";
}

}  // namespace

std::vector<SynthesizedFile> synthesized_etc(const Persona& persona, std::string_view nameserver) {
    const auto& user = persona.user_name;
    return {
        // The persona is the only account: nothing about the host's users.
        {"passwd", fmt::format("{0}:x:{1}:{2}:{3},,,:{4}:/bin/bash\n", user, persona.uid,
                               persona.gid, persona.full_name, persona.home())},
        {"group", fmt::format("{0}:x:{1}:\n", user, persona.gid)},
        {"hostname", persona.host_name + "\n"},
        {"hosts", fmt::format("127.0.0.1\tlocalhost\n127.0.1.1\t{0}\n::1\tlocalhost "
                              "ip6-localhost ip6-loopback\n",
                              persona.host_name)},
        {"resolv.conf",
         fmt::format("nameserver {}\noptions edns0 trust-ad\nsearch .\n", nameserver)},
        {"nsswitch.conf",
         "passwd:         files\ngroup:          files\nshadow:         files\n"
         "hosts:          files dns\nnetworks:       files\nprotocols:      files\n"
         "services:       files\nethers:         files\nrpc:            files\n"},
        {"machine-id", random_machine_id()},
        {"shells", "/bin/sh\n/usr/bin/sh\n/bin/bash\n/usr/bin/bash\n"},
    };
}

const std::vector<std::string_view>& host_etc_entries() {
    static const std::vector<std::string_view> entries = {
        "alternatives",
        "ssl/certs",
        "ca-certificates",
        "ca-certificates.conf",
        "ssl/openssl.cnf",
        "ld.so.cache",
        "ld.so.conf",
        "ld.so.conf.d",
        "localtime",
        "timezone",
        "os-release",
        "debian_version",
        "lsb-release",
        "protocols",
        "services",
        "mime.types",
        "bash.bashrc",
        "profile",
        "inputrc",
        "fonts",
        "python3",
        "python3.11",
        "python3.12",
        "gai.conf",
        "host.conf",
        "magic",
        "mailcap",
        "login.defs",
        "terminfo",
        "bindresvport.blacklist",
        "xdg",
    };
    return entries;
}

}  // namespace hazmat::sandbox
