#include "sandbox/status.hpp"

#include <fmt/format.h>

#include <cstring>

namespace hazmat::sandbox {

Error sys_error(std::string_view call) {
    return sys_error(call, errno);
}

Error sys_error(std::string_view call, int error_number) {
    return Error{fmt::format("{}: {}", call, std::strerror(error_number))};
}

}  // namespace hazmat::sandbox
