#pragma once

#include "sandbox/status.hpp"

namespace hazmat::sandbox {

// Gives up every capability the process holds in its user namespace:
// bounding and ambient sets emptied, securebits locked so that no later
// execve (of a root-owned or file-capability binary) can regain any, and
// the effective, permitted and inheritable sets cleared. Then sets
// no_new_privs, so setuid bits and file capabilities are inert for good.
Status drop_privileges();

}  // namespace hazmat::sandbox
