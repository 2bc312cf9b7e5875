#pragma once

#include <cerrno>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace hazmat::sandbox {

// Success without a value; the sandbox's setup steps return this.
struct Done {};
using Status = Result<Done>;

inline Status done() {
    return Done{};
}

// "mount(tmpfs, /tmp): Operation not permitted": names the call that failed,
// its arguments and errno, so an operator can tell what broke without a
// debugger. Reads errno, so call it right after the failing call.
Error sys_error(std::string_view call);
Error sys_error(std::string_view call, int error_number);

}  // namespace hazmat::sandbox
