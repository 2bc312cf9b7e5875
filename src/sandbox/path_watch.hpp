#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sandbox/decoys.hpp"
#include "sandbox/events.hpp"

namespace hazmat::sandbox {

// Decides which opens are worth recording, from paths inside the sandbox.
class PathWatch {
  public:
    // `home` and `workspace` are paths inside the sandbox; `host_home` is the
    // invoking user's real home directory (an attempt to open it from inside
    // means the program knows where it would find the real credentials).
    PathWatch(std::string home, std::string workspace, std::string host_home,
              const DecoySet& decoys);

    // `opener` is the opening process's pid inside the sandbox: its own
    // /proc entries are not another process's.
    PathCategory classify(std::string_view absolute_path, bool writing, int opener = 0) const;

    // Paths a program may write without that being remarkable.
    bool is_writable_area(std::string_view absolute_path) const;

    // "~/.aws/credentials" for a path in home, the path itself otherwise.
    std::string display(std::string_view absolute_path) const;

    const std::string& home() const { return home_; }
    const std::string& workspace() const { return workspace_; }

  private:
    bool in_home(std::string_view path, std::string_view relative) const;

    std::string home_;
    std::string workspace_;
    std::string host_home_;
    std::vector<std::string> decoy_paths_;      // absolute
    std::vector<std::string> companion_paths_;  // planted beside them, holding no secret
};

// Lexically normal absolute path: `path` joined to `base` when relative,
// "." and ".." resolved without touching the file system.
std::string normalize_path(std::string_view base, std::string_view path);

// True when `path` is `prefix` or lies below it.
bool path_within(std::string_view path, std::string_view prefix);

// Files in a home directory that make a shell, desktop session, scheduler,
// Python or Git run code later. Relative to home; a trailing '/' means
// anything below that directory.
const std::vector<std::string_view>& home_persistence_paths();

}  // namespace hazmat::sandbox
