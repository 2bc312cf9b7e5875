#pragma once

#include <string_view>

#include "core/result.hpp"
#include "sandbox/status.hpp"
#include "sandbox/unique_fd.hpp"

namespace hazmat::sandbox {

// Opens `relative` below the directory `root` without following any
// symlink and without leaving `root` (openat2 with RESOLVE_BENEATH,
// RESOLVE_NO_SYMLINKS and RESOLVE_NO_MAGICLINKS). Everything hazmat does
// to a tree the sandboxed program could have written (the overlay's upper
// layer, the sandbox's home) goes through this, so a planted link can never
// redirect hazmat's own, more privileged, file operations to the host.
Result<UniqueFd> open_beneath(int root, std::string_view relative, int flags, unsigned mode = 0);

// Creates every missing directory of `relative` below `root` (mode 0755),
// with the same no-symlink rule, and returns an O_PATH descriptor of the
// last one.
Result<UniqueFd> make_dirs_beneath(int root, std::string_view relative, unsigned mode = 0755);

// A mount point below `root`: a directory, or an empty regular file when
// the source of the mount is a file. Returns it as an O_PATH descriptor,
// which is what move_mount attaches to, so the mount lands on exactly the
// object created here.
Result<UniqueFd> make_mount_point(int root, std::string_view relative, bool directory);

// Writes `content` to a new file `relative` below `root` (parent directories
// are created). Fails if the file exists.
Status write_file_beneath(int root, std::string_view relative, std::string_view content,
                          unsigned mode);

}  // namespace hazmat::sandbox
