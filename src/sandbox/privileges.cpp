#include "sandbox/privileges.hpp"

#include <fmt/format.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>

namespace hazmat::sandbox {

namespace {

int last_capability() {
    int last = CAP_LAST_CAP;
    if (FILE* file = std::fopen("/proc/sys/kernel/cap_last_cap", "re")) {
        if (std::fscanf(file, "%d", &last) != 1)
            last = CAP_LAST_CAP;
        std::fclose(file);
    }
    return last;
}

}  // namespace

Status drop_privileges() {
    // Securebits and the bounding set need CAP_SETPCAP, so they go first.
    const unsigned long securebits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                                     SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
                                     SECBIT_NO_CAP_AMBIENT_RAISE |
                                     SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
    if (prctl(PR_SET_SECUREBITS, securebits, 0, 0, 0) != 0)
        return sys_error(fmt::format("prctl(PR_SET_SECUREBITS, {:#x})", securebits));
    const int last = last_capability();
    for (int cap = 0; cap <= last; ++cap) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
            return sys_error(fmt::format("prctl(PR_CAPBSET_DROP, {})", cap));
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
        return sys_error("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    if (syscall(SYS_capset, &header, data) != 0)
        return sys_error("capset(empty)");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return sys_error("prctl(PR_SET_NO_NEW_PRIVS)");
    return done();
}

}  // namespace hazmat::sandbox
