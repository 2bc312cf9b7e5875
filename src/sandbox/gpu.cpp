#include "sandbox/gpu.hpp"

#include <filesystem>
#include <system_error>

namespace hazmat::sandbox {

namespace fs = std::filesystem;

GpuAccess find_gpu_access() {
    GpuAccess access;
    std::error_code ec;
    const auto add_device = [&](const fs::path& path) {
        access.binds.push_back({path, path.string(), true, true});
        access.grants.push_back({path.string(), landlock_access::kDevice});
        access.devices.push_back(path.string());
    };
    for (const auto& entry : fs::directory_iterator("/dev", ec)) {
        const auto name = entry.path().filename().string();
        if (name.starts_with("nvidia") && !entry.is_directory(ec))
            add_device(entry.path());
        if (name == "kfd")  // AMD ROCm compute
            add_device(entry.path());
    }
    for (const char* dir : {"/dev/dri", "/dev/nvidia-caps"}) {
        for (const auto& entry : fs::directory_iterator(dir, ec))
            add_device(entry.path());
    }
    if (access.devices.empty())
        return access;
    for (const char* path :
         {"/sys/dev/char", "/sys/class/drm", "/sys/bus/pci/devices", "/sys/module/nvidia",
          "/sys/module/nvidia_uvm", "/sys/module/amdgpu", "/proc/driver/nvidia"}) {
        if (fs::exists(path, ec))
            access.binds.push_back({path, path, false, false});
    }
    // The sysfs links above lead into /sys/devices/pciXXXX:XX.
    for (const auto& entry : fs::directory_iterator("/sys/devices", ec)) {
        if (entry.path().filename().string().starts_with("pci"))
            access.binds.push_back({entry.path(), entry.path().string(), false, false});
    }
    return access;
}

}  // namespace hazmat::sandbox
