#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hazmat::sandbox {

// What the sandbox's network namespace may reach.
//
// Today the namespace holds only a loopback interface: nothing leaves, and
// loopback stays usable because ML tools rely on it (distributed training
// rendezvous, notebook kernels, local servers). The allow-listed mode is the
// slot for an egress layer that sits behind a TAP device inside the
// namespace (a user-mode TCP/IP stack on the host side): its DNS answerer
// resolves only names a rule admits, and each flow's TLS SNI or HTTP Host is
// checked against the same rules before bytes are forwarded.
enum class NetworkMode {
    loopback_only,
    allow_listed,  // LIMITATION: not implemented yet; refused at policy check
};

struct EgressRule {
    // "pypi.org" matches exactly; "*.huggingface.co" matches any subdomain
    // (not the bare domain).
    std::string host;
    uint16_t port = 443;  // 0: any port
};

struct NetworkPolicy {
    NetworkMode mode = NetworkMode::loopback_only;
    std::vector<EgressRule> allow;

    // Whether the DNS answerer may resolve `name` to a real address.
    bool admits_name(std::string_view name) const;
    // Whether a flow to `host` (from SNI or Host) on `port` may be forwarded.
    bool admits_flow(std::string_view host, uint16_t port) const;
};

// Case-insensitive host match with the "*." wildcard rule above; a trailing
// dot on `name` (absolute DNS form) is ignored.
bool host_matches(std::string_view pattern, std::string_view name);

}  // namespace hazmat::sandbox
