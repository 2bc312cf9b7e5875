#include "sandbox/process_memory.hpp"

#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace hazmat::sandbox {

namespace {

constexpr uint64_t kPage = 4096;

}  // namespace

std::optional<std::string> ProcessMemory::read(uint64_t address, size_t limit) const {
    if (address == 0)
        return std::nullopt;
    std::string out;
    // Page by page, so a buffer that ends right before unmapped memory is
    // still read up to its end.
    while (out.size() < limit) {
        const uint64_t at = address + out.size();
        const size_t chunk = std::min<uint64_t>(limit - out.size(), kPage - at % kPage);
        std::string buffer(chunk, '\0');
        struct iovec local = {buffer.data(), chunk};
        struct iovec remote = {reinterpret_cast<void*>(at), chunk};
        const auto n = process_vm_readv(pid_, &local, 1, &remote, 1, 0);
        if (n <= 0)
            break;
        out.append(buffer.data(), static_cast<size_t>(n));
        if (static_cast<size_t>(n) < chunk)
            break;
    }
    if (out.empty())
        return std::nullopt;
    return out;
}

std::optional<std::string> ProcessMemory::read_string(uint64_t address, size_t limit) const {
    if (address == 0)
        return std::nullopt;
    std::string out;
    while (out.size() < limit) {
        const uint64_t at = address + out.size();
        const size_t chunk = std::min<uint64_t>(limit - out.size(), kPage - at % kPage);
        auto piece = read(at, chunk);
        if (!piece)
            break;
        const auto nul = piece->find('\0');
        if (nul != std::string::npos) {
            out.append(*piece, 0, nul);
            return out;
        }
        out += *piece;
        if (piece->size() < chunk)
            break;
    }
    if (out.empty())
        return std::nullopt;
    return out;
}

std::vector<std::string> ProcessMemory::read_string_array(uint64_t address, bool& truncated,
                                                          size_t max_count,
                                                          size_t max_total) const {
    std::vector<std::string> out;
    truncated = false;
    size_t total = 0;
    for (size_t i = 0; address != 0; ++i) {
        if (i >= max_count || total >= max_total) {
            truncated = true;
            break;
        }
        const auto pointer_bytes = read(address + i * sizeof(uint64_t), sizeof(uint64_t));
        if (!pointer_bytes || pointer_bytes->size() != sizeof(uint64_t))
            break;
        uint64_t pointer = 0;
        std::memcpy(&pointer, pointer_bytes->data(), sizeof(pointer));
        if (pointer == 0)
            break;
        auto text = read_string(pointer, std::min<size_t>(4096, max_total - total));
        if (!text)
            break;
        total += text->size();
        out.push_back(std::move(*text));
    }
    return out;
}

}  // namespace hazmat::sandbox
