#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace hazmat::models {

// JSON from a scanned file: a model config, a safetensors header, a
// tokenizer config. Nesting is bounded before anything is allocated, so that
// a file of a million '[' costs a scan of its bytes, not gigabytes of nodes.
struct JsonInput {
    bool ok = false;
    nlohmann::json value;
    std::string error;
    uint64_t error_offset = 0;  // byte offset into the text
};

inline constexpr size_t kMaxJsonNesting = 256;

JsonInput parse_untrusted_json(std::string_view text, size_t max_nesting = kMaxJsonNesting);

// Byte offset at which `text` nests arrays and objects deeper than `limit`,
// or npos. Brackets inside strings do not count.
size_t json_nesting_exceeded_at(std::string_view text, size_t limit);

}  // namespace hazmat::models
