#pragma once

#include <sys/types.h>

#include <cstdint>

#include "sandbox/status.hpp"

namespace hazmat::sandbox {

// The one user and group the sandbox knows: the persona's ids inside, the
// invoking user's outside. Nothing else is mapped, so files owned by other
// host users appear as "nobody" and no id inside can act as host root.
struct IdMapping {
    uint32_t inside_uid = 1000;
    uint32_t inside_gid = 1000;
    uint32_t outside_uid = 0;
    uint32_t outside_gid = 0;
};

// Written by the process that was just cloned into the new user namespace,
// for itself: the kernel lets it map its own (the creator's) ids, one line
// each, once setgroups() is denied. Doing it from inside saves a round trip
// to hazmat before the sandbox can be built.
Status write_own_id_maps(const IdMapping& mapping);

}  // namespace hazmat::sandbox
