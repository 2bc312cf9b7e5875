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

// Written by the parent for the child `pid` that was cloned into a new user
// namespace. An unprivileged parent must first deny setgroups() (the kernel
// requires it before an unprivileged gid_map); a privileged parent leaves
// it allowed so that the child can clear its supplementary groups.
Status write_id_maps(pid_t pid, const IdMapping& mapping, bool deny_setgroups);

}  // namespace hazmat::sandbox
