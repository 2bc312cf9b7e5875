#include "core/tensor_storage.hpp"

#include <algorithm>
#include <cctype>

namespace hazmat {

namespace {

// Smaller storages (biases, norms) cost little and are read as usual.
constexpr uint64_t kLargeStorageBytes = 1ull << 20;

bool storage_name(std::string_view name) {
    const auto slash = name.rfind('/');
    if (slash == std::string_view::npos || slash + 1 == name.size())
        return false;
    const auto key = name.substr(slash + 1);
    if (!std::all_of(key.begin(), key.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }))
        return false;
    const auto directory = name.substr(0, slash);
    return directory == "data" || directory.ends_with("/data");
}

}  // namespace

bool is_large_tensor_storage(const Location& member, std::string_view name, uint64_t size,
                             const ScanContext& context) {
    return size > kLargeStorageBytes && storage_name(name) &&
           context.inside_container(member, kPytorchArchiveTrait);
}

}  // namespace hazmat
