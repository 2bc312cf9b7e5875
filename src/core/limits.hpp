#pragma once

#include <chrono>
#include <cstdint>

namespace hazmat {

// Bounds on the work hazmat does for one file on disk, including everything
// nested inside it. Hitting any of them produces an HZ-SCAN-001 finding
// ("could not verify"), never a silent pass. Defaults are documented in
// docs/limits.md and chosen so that real multi-GB checkpoints pass while
// bombs stop early.
struct ScanLimits {
    // Containers inside containers (zip in tar in gzip ...).
    uint32_t max_depth = 12;
    // Archive members across the whole file.
    uint64_t max_members = 200'000;
    // Bytes produced by decompression across the whole file.
    uint64_t max_expanded_bytes = 32ull << 30;
    // Decompressed/compressed ratio of one member, checked once the member
    // has produced more than ratio_floor_bytes (small inputs compress well).
    uint64_t max_expansion_ratio = 1'000;
    uint64_t ratio_floor_bytes = 16ull << 20;
    // Decompressed output above this size is spilled to an unlinked temporary
    // file and mapped, so memory stays bounded.
    uint64_t spill_threshold_bytes = 64ull << 20;

    // Pickle virtual machine.
    uint64_t pickle_max_opcodes = 1'000'000'000;
    uint64_t pickle_max_stack_depth = 10'000'000;
    uint64_t pickle_max_memo_entries = 100'000'000;
    // Values built of values built of values... (nested lists, tuples, dicts).
    uint32_t pickle_max_nesting = 10'000;
    // pickle.loads(...) inside a pickle inside a pickle ...
    uint32_t pickle_max_embedded_depth = 8;
    // Consecutive pickle streams in one blob.
    uint32_t pickle_max_streams = 4'096;

    // Wall-clock budget for one file on disk and all it contains.
    std::chrono::milliseconds file_timeout{300'000};
};

}  // namespace hazmat
