#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sandbox/status.hpp"

namespace hazmat::sandbox {

// Landlock file-system access rights (the kernel's UAPI values).
namespace landlock_access {
inline constexpr uint64_t kExecute = 1ull << 0;
inline constexpr uint64_t kWriteFile = 1ull << 1;
inline constexpr uint64_t kReadFile = 1ull << 2;
inline constexpr uint64_t kReadDir = 1ull << 3;
inline constexpr uint64_t kRemoveDir = 1ull << 4;
inline constexpr uint64_t kRemoveFile = 1ull << 5;
inline constexpr uint64_t kMakeChar = 1ull << 6;
inline constexpr uint64_t kMakeDir = 1ull << 7;
inline constexpr uint64_t kMakeReg = 1ull << 8;
inline constexpr uint64_t kMakeSock = 1ull << 9;
inline constexpr uint64_t kMakeFifo = 1ull << 10;
inline constexpr uint64_t kMakeBlock = 1ull << 11;
inline constexpr uint64_t kMakeSym = 1ull << 12;
inline constexpr uint64_t kRefer = 1ull << 13;     // ABI 2
inline constexpr uint64_t kTruncate = 1ull << 14;  // ABI 3
inline constexpr uint64_t kIoctlDev = 1ull << 15;  // ABI 5

inline constexpr uint64_t kReadOnly = kExecute | kReadFile | kReadDir;
inline constexpr uint64_t kDevice = kReadFile | kWriteFile | kTruncate | kIoctlDev;
inline constexpr uint64_t kEverything = (1ull << 16) - 1;
}  // namespace landlock_access

// The Landlock ABI version the running kernel offers (0: none, or disabled
// at boot).
int landlock_abi();

// The file-system rights a ruleset of this ABI can handle.
uint64_t landlock_fs_rights(int abi);

struct LandlockGrant {
    std::string path;  // inside the sandbox
    uint64_t access = 0;
};

struct LandlockPlan {
    int abi = 0;  // the ABI to use (<= the kernel's)
    std::vector<LandlockGrant> grants;
};

// Restricts the calling process (and everything it starts) to the grants:
// a path not below a grant gets none of the handled rights. From ABI 6 on,
// also scopes abstract Unix sockets and signals to the sandbox, so it can
// neither connect to a host service's abstract socket nor signal a process
// outside its domain. Grants whose path does not exist are skipped.
Status apply_landlock(const LandlockPlan& plan);

}  // namespace hazmat::sandbox
