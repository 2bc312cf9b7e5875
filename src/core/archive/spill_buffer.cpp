#include "core/archive/spill_buffer.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace hazmat {

namespace {

struct SpillMapping {
    void* address = nullptr;
    size_t length = 0;
    ~SpillMapping() {
        if (address != nullptr)
            munmap(address, length);
    }
};

std::string temp_directory() {
    const char* dir = std::getenv("TMPDIR");
    return (dir != nullptr && dir[0] != '\0') ? dir : "/tmp";
}

// An anonymous file in `directory`: O_TMPFILE where the file system supports
// it, else a named file that is unlinked at once. Either way nobody else can
// open it by name, and it disappears when the last descriptor closes.
int open_unlinked_file(const std::string& directory, std::string& error) {
    const int fd = open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC | O_EXCL, 0600);
    if (fd >= 0)
        return fd;
    std::string pattern = directory + "/hazmat-spill-XXXXXX";
    const int named = mkostemp(pattern.data(), O_CLOEXEC);
    if (named < 0) {
        error = fmt::format("mkostemp({}) failed: {}", pattern, std::strerror(errno));
        return -1;
    }
    unlink(pattern.c_str());
    return named;
}

}  // namespace

SpillBuffer::SpillBuffer(uint64_t spill_threshold) : threshold_(spill_threshold) {}

SpillBuffer::~SpillBuffer() {
    if (fd_ >= 0)
        close(fd_);
}

bool SpillBuffer::append(ByteSpan chunk) {
    if (error_)
        return false;
    if (fd_ < 0 && size_ + chunk.size() > threshold_ && !spill())
        return false;
    if (fd_ >= 0) {
        if (!write_all(chunk))
            return false;
    } else {
        memory_.insert(memory_.end(), chunk.begin(), chunk.end());
    }
    size_ += chunk.size();
    return true;
}

bool SpillBuffer::append_zeros(uint64_t count) {
    static const std::vector<uint8_t> kZeros(64 * 1024, 0);
    while (count > 0) {
        const auto n = static_cast<size_t>(std::min<uint64_t>(count, kZeros.size()));
        if (!append(ByteSpan(kZeros.data(), n)))
            return false;
        count -= n;
    }
    return true;
}

bool SpillBuffer::spill() {
    std::string error;
    const auto directory = temp_directory();
    fd_ = open_unlinked_file(directory, error);
    if (fd_ < 0) {
        error_ = std::move(error);
        return false;
    }
    spdlog::debug("spilling content past {} bytes to an unlinked file in {}", threshold_,
                  directory);
    const std::vector<uint8_t> pending = std::move(memory_);
    memory_.clear();
    return write_all(pending);
}

bool SpillBuffer::write_all(ByteSpan chunk) {
    while (!chunk.empty()) {
        const ssize_t written = write(fd_, chunk.data(), chunk.size());
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0) {
            error_ = fmt::format("write to the temporary spill file failed: {}",
                                 written < 0 ? std::strerror(errno) : "no progress");
            return false;
        }
        chunk = chunk.subspan(static_cast<size_t>(written));
    }
    return true;
}

Result<Bytes> SpillBuffer::finish() {
    if (fd_ < 0) {
        size_ = 0;
        return bytes_from(std::move(memory_));
    }
    const int fd = fd_;
    fd_ = -1;
    const auto length = static_cast<size_t>(size_);
    size_ = 0;
    if (length == 0) {
        close(fd);
        return Bytes();
    }
    void* address = mmap(nullptr, length, PROT_READ, MAP_SHARED, fd, 0);
    const int saved_errno = errno;
    close(fd);
    if (address == MAP_FAILED)
        return Error{
            fmt::format("mmap of the temporary spill file failed: {}", std::strerror(saved_errno))};
    auto mapping = std::make_shared<SpillMapping>();
    mapping->address = address;
    mapping->length = length;
    return Bytes(ByteSpan(static_cast<const uint8_t*>(address), length), std::move(mapping));
}

}  // namespace hazmat
