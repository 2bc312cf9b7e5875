#include "sandbox/user_namespace.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <string>

#include "sandbox/unique_fd.hpp"

namespace hazmat::sandbox {

namespace {

Status write_proc_file(const char* name, const std::string& content) {
    const auto path = fmt::format("/proc/self/{}", name);
    UniqueFd file(open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!file)
        return sys_error(fmt::format("open({})", path));
    // These files accept exactly one write holding the whole map.
    if (write(file.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size()))
        return sys_error(
            fmt::format("write({}, \"{}\")", path, content.substr(0, content.size() - 1)));
    return done();
}

}  // namespace

Status write_own_id_maps(const IdMapping& mapping) {
    if (auto status = write_proc_file("setgroups", "deny\n"); !status)
        return status;
    if (auto status = write_proc_file(
            "uid_map", fmt::format("{} {} 1\n", mapping.inside_uid, mapping.outside_uid));
        !status)
        return status;
    return write_proc_file("gid_map",
                           fmt::format("{} {} 1\n", mapping.inside_gid, mapping.outside_gid));
}

}  // namespace hazmat::sandbox
