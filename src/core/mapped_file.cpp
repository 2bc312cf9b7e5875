#include "core/mapped_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hazmat {

namespace {

struct Mapping {
    void* address = nullptr;
    size_t length = 0;
    ~Mapping() {
        if (address != nullptr)
            munmap(address, length);
    }
};

Error system_error(std::string_view call, const std::filesystem::path& path) {
    return Error{fmt::format("{}({}) failed: {}", call, path.string(), std::strerror(errno))};
}

}  // namespace

Result<Bytes> map_file(const std::filesystem::path& path) {
    // O_NONBLOCK: a FIFO swapped in between the walker's stat and this open
    // must not hang the scan; the fstat below then rejects it.
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return system_error("open", path);

    struct stat info {};
    if (fstat(fd, &info) != 0) {
        const auto error = system_error("fstat", path);
        close(fd);
        return error;
    }
    if (!S_ISREG(info.st_mode)) {
        close(fd);
        return Error{fmt::format("{} is not a regular file", path.string())};
    }
    if (info.st_size == 0) {
        close(fd);
        return Bytes();
    }

    const auto length = static_cast<size_t>(info.st_size);
    void* address = mmap(nullptr, length, PROT_READ, MAP_PRIVATE, fd, 0);
    const int saved_errno = errno;
    close(fd);
    if (address == MAP_FAILED) {
        errno = saved_errno;
        return system_error("mmap", path);
    }
    auto mapping = std::make_shared<Mapping>();
    mapping->address = address;
    mapping->length = length;
    const ByteSpan span(static_cast<const uint8_t*>(address), length);
    return Bytes(span, std::move(mapping));
}

}  // namespace hazmat
