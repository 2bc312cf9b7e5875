#pragma once

#include <string>
#include <vector>

#include "sandbox/landlock.hpp"
#include "sandbox/mount_namespace.hpp"

namespace hazmat::sandbox {

// What --gpu makes visible: NVIDIA and DRI device nodes (read-write, with
// device ioctls), and the read-only sysfs and /proc parts CUDA and Mesa
// read to find them. Driver libraries need nothing extra: they live under
// /usr, which is bound read-only anyway.
struct GpuAccess {
    std::vector<BindMount> binds;
    std::vector<LandlockGrant> grants;
    std::vector<std::string> devices;  // device paths found, for the report
};

GpuAccess find_gpu_access();

}  // namespace hazmat::sandbox
