#include "sandbox/landlock.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>

#include "sandbox/unique_fd.hpp"

namespace hazmat::sandbox {

namespace {

// The installed kernel headers (6.1) stop at Landlock ABI 2: no TRUNCATE,
// IOCTL_DEV, network rights, scopes or the ABI 7 logging flags. The
// structures and values below are the kernel's stable UAPI
// (include/uapi/linux/landlock.h), declared here so hazmat uses the ABI the
// running kernel offers rather than the one the build machine knew.
struct RulesetAttr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;  // ABI 4
    uint64_t scoped;              // ABI 6
};

struct __attribute__((packed)) PathBeneathAttr {
    uint64_t allowed_access;
    int32_t parent_fd;
};

constexpr uint32_t kCreateRulesetVersion = 1u << 0;
constexpr int kRulePathBeneath = 1;
constexpr uint64_t kScopeAbstractUnixSocket = 1ull << 0;  // ABI 6
constexpr uint64_t kScopeSignal = 1ull << 1;              // ABI 6

long create_ruleset(const RulesetAttr* attr, size_t size, uint32_t flags) {
    return syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

// What a rule on a non-directory may carry; anything else is EINVAL.
constexpr uint64_t kFileRights = landlock_access::kExecute | landlock_access::kWriteFile |
                                 landlock_access::kReadFile | landlock_access::kTruncate |
                                 landlock_access::kIoctlDev;

}  // namespace

int landlock_abi() {
    const long abi = create_ruleset(nullptr, 0, kCreateRulesetVersion);
    return abi < 0 ? 0 : static_cast<int>(abi);
}

uint64_t landlock_fs_rights(int abi) {
    using namespace landlock_access;
    if (abi <= 0)
        return 0;
    uint64_t rights = (1ull << 13) - 1;  // ABI 1
    if (abi >= 2)
        rights |= kRefer;
    if (abi >= 3)
        rights |= kTruncate;
    if (abi >= 5)
        rights |= kIoctlDev;
    return rights;
}

Status apply_landlock(const LandlockPlan& plan) {
    if (plan.abi <= 0)
        return Error{"Landlock is not available"};
    const uint64_t handled = landlock_fs_rights(plan.abi);
    RulesetAttr attr = {};
    attr.handled_access_fs = handled;
    // Network rights (ABI 4) stay unhandled on purpose: isolation comes from
    // the network namespace, and loopback inside it must stay usable.
    size_t attr_size = offsetof(RulesetAttr, handled_access_net);
    if (plan.abi >= 6) {
        attr.scoped = kScopeAbstractUnixSocket | kScopeSignal;
        attr_size = sizeof(RulesetAttr);
    }
    UniqueFd ruleset(static_cast<int>(create_ruleset(&attr, attr_size, 0)));
    if (!ruleset)
        return sys_error(fmt::format("landlock_create_ruleset(abi {})", plan.abi));

    for (const auto& grant : plan.grants) {
        UniqueFd path(open(grant.path.c_str(), O_PATH | O_CLOEXEC));
        if (!path)
            continue;
        struct stat info = {};
        if (fstat(path.get(), &info) != 0)
            return sys_error(fmt::format("fstat({})", grant.path));
        uint64_t allowed = grant.access & handled;
        if (!S_ISDIR(info.st_mode))
            allowed &= kFileRights;
        if (allowed == 0)
            continue;
        PathBeneathAttr rule = {};
        rule.allowed_access = allowed;
        rule.parent_fd = path.get();
        if (syscall(SYS_landlock_add_rule, ruleset.get(), kRulePathBeneath, &rule, 0) != 0)
            return sys_error(fmt::format("landlock_add_rule({}, {:#x})", grant.path, allowed));
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return sys_error("prctl(PR_SET_NO_NEW_PRIVS)");
    if (syscall(SYS_landlock_restrict_self, ruleset.get(), 0) != 0)
        return sys_error("landlock_restrict_self");
    return done();
}

}  // namespace hazmat::sandbox
