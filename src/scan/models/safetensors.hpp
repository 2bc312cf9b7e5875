#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/analyzer.hpp"
#include "core/bytes.hpp"

namespace hazmat::models {

struct SafetensorsTensor {
    std::string name;
    std::string dtype;
    std::vector<uint64_t> shape;
    uint64_t begin = 0;  // data offsets, relative to the byte after the header
    uint64_t end = 0;
};

struct SafetensorsHeader {
    uint64_t header_length = 0;
    std::vector<SafetensorsTensor> tensors;  // in data order once validated
    std::map<std::string, std::string> metadata;
    // String entries of earlier __metadata__ copies that a later copy
    // replaced (a header with duplicate keys never verifies, but what the
    // dropped copy holds is still examined).
    std::vector<std::pair<std::string, std::string>> shadowed_metadata;
    uint64_t data_length = 0;  // bytes the tensors cover
};

struct SafetensorsCheck {
    bool ok = false;
    SafetensorsHeader header;
    std::string error;
    uint64_t error_offset = 0;
    // Bytes after the last tensor: the reference loader refuses them, other
    // readers ignore them.
    uint64_t trailing_bytes = 0;
};

// Validates a safetensors file the way the reference implementation
// (safetensors' Metadata::validate) does, and a little stricter: header
// length within the file and at most 100 MB, a JSON object, string-to-string
// __metadata__, known dtypes, non-negative shapes whose byte size matches the
// data offsets, and offsets that start at 0, never overlap or leave gaps and
// cover the data exactly. Keys must be unique: readers differ in which copy
// of a repeated key they keep, so such a header has no single meaning.
SafetensorsCheck check_safetensors(ByteSpan bytes);

// Bytes per element times 8 for a safetensors dtype ("F32" -> 32), or
// nullopt for dtypes the format does not define.
std::optional<uint64_t> safetensors_dtype_bits(std::string_view dtype);

// A file is called verified only after every check above passed; data after
// the tensors is examined as content of its own; metadata that is a Jinja
// template is checked for escapes to Python; the header is handed back for
// credential checks.
class SafetensorsAnalyzer : public Analyzer {
  public:
    std::string_view name() const override { return "safetensors"; }
    bool accepts(const Blob& blob, Format sniffed) const override;
    void analyze(const Blob& blob, Format sniffed, ScanContext& context) const override;
};

}  // namespace hazmat::models
