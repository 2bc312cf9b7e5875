#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"

namespace hazmat::models {

// The structure of one pickle stream, read without executing it: where it
// ends and which classes it names. Model containers that interleave pickles
// with raw binary records (PyTorch's legacy formats) need exactly this to find
// where the next pickle starts; judging what a pickle does is the pickle
// analyzer's job, which receives every stream found here.
struct PickleExtent {
    uint64_t end = 0;  // one past the STOP opcode, relative to the stream's start
    // "module.name" of every GLOBAL and INST, and of every STACK_GLOBAL whose two
    // names are string literals pushed right before it (directly or via the memo).
    std::vector<std::string> globals;
    uint32_t unresolved_globals = 0;  // STACK_GLOBALs whose names are computed
    // Set when the whole stream is a single integer literal (a record count).
    std::optional<int64_t> integer;
};

struct PickleExtentResult {
    bool ok = false;
    PickleExtent extent;
    std::string error;
    uint64_t error_offset = 0;  // relative to the stream's start
};

// Walks opcodes from the start of `bytes` to the first STOP, for every opcode
// of protocols 0 to 5. Fails on an unknown opcode or truncated argument.
PickleExtentResult measure_pickle(ByteSpan bytes);

}  // namespace hazmat::models
