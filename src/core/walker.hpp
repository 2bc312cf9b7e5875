#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/report.hpp"

namespace hazmat {

struct WalkEntry {
    std::filesystem::path path;  // to open
    std::string display;  // as shown in findings: the target as given, then the relative path
    uint64_t size = 0;
};

// Lists the regular files of a target (a file or a directory) in a stable
// order. Never follows symbolic links: a link that resolves outside the
// target is reported (HZ-SCAN-006), one that stays inside is skipped because
// its destination is scanned where it lives. FIFOs, devices and sockets are
// reported and never opened; unreadable directories are reported. `.git`
// directories are not walked as ordinary files.
std::vector<WalkEntry> walk_target(const std::filesystem::path& target, FindingSink& sink,
                                   uint64_t& skipped);

}  // namespace hazmat
