#pragma once

#include "core/result.hpp"
#include "sandbox/status.hpp"
#include "sandbox/unique_fd.hpp"

namespace hazmat::sandbox {

// The address the sandbox's resolv.conf names. A UDP socket bound there
// inside the network namespace is handed to hazmat, which answers every
// query from the network policy and records the name asked for.
inline constexpr const char* kNameserverAddress = "127.0.0.53";
inline constexpr uint16_t kNameserverPort = 53;

// A new network namespace starts with loopback down; bring it up so that
// local servers, notebook kernels and training rendezvous work inside.
Status bring_loopback_up();

// Binds the DNS answerer's socket (needs CAP_NET_BIND_SERVICE in the
// namespace, which the sandbox's init holds during setup).
Result<UniqueFd> bind_nameserver_socket();

}  // namespace hazmat::sandbox
