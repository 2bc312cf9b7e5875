#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sandbox/decoys.hpp"
#include "sandbox/etc_files.hpp"
#include "sandbox/policy.hpp"
#include "sandbox/status.hpp"

namespace hazmat::sandbox {

// A host path bound into the sandbox, with how it may be used.
struct BindMount {
    std::filesystem::path source;  // host path
    std::string target;            // absolute path inside the sandbox
    bool writable = false;
    bool device = false;  // keep device nodes usable (no nodev): /dev entries, GPU nodes
};

// Everything needed to build the sandbox's root file system. The parent
// prepares it before the namespaces exist; the sandbox's init executes it.
struct RootLayout {
    std::filesystem::path mount_point;  // empty host directory the new root is mounted on

    std::filesystem::path project;  // host path of the workspace
    WorkspaceMode workspace_mode = WorkspaceMode::overlay;
    std::filesystem::path upper;  // overlay upper and work directories (host, overlay mode)
    std::filesystem::path work;
    // The layer is the run's own, read by hazmat from the page cache right
    // after the run: mount it "volatile" so that tearing the sandbox down
    // does not wait for the upper file system to sync (tens of ms). A kept
    // layer is mounted again later and stays synced.
    bool volatile_upper = false;
    std::string workspace;  // absolute path inside: the command's working directory
    std::string home;       // absolute path inside

    std::vector<BindMount> binds;  // --ro paths, GPU nodes, hazmat's own
    std::vector<std::string> device_nodes = {"null", "zero", "full", "random", "urandom", "tty"};
    uint64_t tmp_bytes = 0;
    uint64_t shm_bytes = 0;
    uint64_t home_bytes = 0;
    std::vector<SynthesizedFile> etc;
    std::vector<DecoyFile> home_files;  // decoys and ordinary dotfiles
    bool mask_sysfs_cpu = true;         // bind /sys/devices/system/cpu read-only (CPU topology)
    bool gpu = false;                   // leave /proc/driver visible for GPU drivers
};

// Builds the new root under layout.mount_point inside the current (new,
// private) mount namespace: a tmpfs with the host's /usr and library
// directories bound read-only, nosuid and nodev; a synthesized /etc; fresh
// /proc with sensitive entries masked; a minimal /dev with a private pts;
// size-limited tmpfs for /tmp, /dev/shm and the home directory; the
// workspace. Every mount target is created by hazmat inside the fresh tmpfs
// and attached through a descriptor, never through a path that a symlink
// could redirect.
Status build_root(const RootLayout& layout);

// Makes the new root the process's root (pivot_root), detaches the host's
// root so no path leads back to it, and makes "/" itself read-only.
Status enter_root(const RootLayout& layout);

// The overlay's lowerdir option escapes ':' and '\'; exposed for tests.
std::string escape_overlay_path(const std::string& path);

}  // namespace hazmat::sandbox
