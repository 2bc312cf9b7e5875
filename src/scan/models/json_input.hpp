#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/finding.hpp"

namespace hazmat::models {

// A key that appears more than once in one JSON object. Parsers disagree on
// which copy counts: nlohmann, Python's json and serde_json's maps keep the
// last, other readers keep the first or refuse the document. A file whose
// meaning depends on the reader cannot be called verified, and the copy that
// a scanner drops is exactly where a payload would hide.
struct JsonDuplicateKey {
    std::string path;         // of the object holding the key ("" for the top level)
    std::string key;          // decoded
    uint64_t offset = 0;      // byte offset of the second copy's opening quote
    nlohmann::json shadowed;  // the earlier copy's value, which `value` no longer holds
};

// JSON from a scanned file: a model config, a safetensors header, a
// tokenizer config. Nesting is bounded before anything is allocated, so that
// a file of a million '[' costs a scan of its bytes, not gigabytes of nodes.
struct JsonInput {
    bool ok = false;
    nlohmann::json value;  // duplicate keys hold their last copy, as in Python
    std::vector<JsonDuplicateKey> duplicates;
    std::string error;
    uint64_t error_offset = 0;  // byte offset into the text
};

inline constexpr size_t kMaxJsonNesting = 256;

JsonInput parse_untrusted_json(std::string_view text, size_t max_nesting = kMaxJsonNesting);

// Byte offset at which `text` nests arrays and objects deeper than `limit`,
// or npos. Brackets inside strings do not count.
size_t json_nesting_exceeded_at(std::string_view text, size_t limit);

// One line for a finding: "key '__metadata__' appears twice at the top level
// (second copy at byte 73)".
std::string describe_duplicate_key(const JsonDuplicateKey& duplicate, uint64_t base_offset = 0);

// HZ-SCAN-002 for a document with duplicate keys, at the first repeat, or
// nullopt. `what` names the document ("The Keras config"); `consequence`
// says what was and was not examined.
std::optional<Finding> duplicate_key_finding(const JsonInput& input, std::string_view what,
                                             std::string_view consequence, const Location& where,
                                             uint64_t base_offset = 0);

}  // namespace hazmat::models
