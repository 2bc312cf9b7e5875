#pragma once

#include <string_view>

#include "core/blob.hpp"
#include "core/location.hpp"
#include "core/scan_context.hpp"

namespace hazmat {

// The container trait the PyTorch archive classifier puts on every zip it
// recognises as a torch.save or TorchScript archive.
inline constexpr std::string_view kPytorchArchiveTrait = "pytorch-zip";

// Whether a member of a recognised PyTorch archive is tensor storage
// ("<record prefix>/data/<digits>"), above a size where reading it matters.
// torch.load maps these bytes as numbers and never interprets them, so the
// analyzers that read whole blobs (CRC check, credentials, YARA) leave them
// alone; the pickle analyzer still sniffs every member, so a pickle hidden
// under a storage name is examined all the same.
bool is_large_tensor_storage(const Location& member, std::string_view name, uint64_t size,
                             const ScanContext& context);

}  // namespace hazmat
