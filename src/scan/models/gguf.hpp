#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/analyzer.hpp"
#include "core/bytes.hpp"

namespace hazmat::models {

// GGUF metadata value types (gguf.h).
enum class GgufType : uint32_t {
    uint8 = 0,
    int8 = 1,
    uint16 = 2,
    int16 = 3,
    uint32 = 4,
    int32 = 5,
    float32 = 6,
    boolean = 7,
    string = 8,
    array = 9,
    uint64 = 10,
    int64 = 11,
    float64 = 12,
};

struct GgufEntry {
    std::string key;
    uint64_t offset = 0;  // of the key
    GgufType type = GgufType::uint8;
    // Scalar strings: the value (a view into the file) and where it starts.
    std::string_view text;
    uint64_t text_offset = 0;
    // Scalar integers (for general.alignment).
    std::optional<uint64_t> unsigned_value;
    // Arrays: element type and count (elements are checked, not kept).
    GgufType element_type = GgufType::uint8;
    uint64_t count = 0;
};

struct GgufTensor {
    std::string name;
    uint64_t offset = 0;  // of the tensor info
    std::vector<uint64_t> dims;
    uint32_t type = 0;
    uint64_t data_offset = 0;  // relative to the data section
};

struct GgufFile {
    uint32_t version = 0;
    uint64_t tensor_count = 0;
    uint64_t entry_count = 0;
    std::vector<GgufEntry> entries;
    std::vector<GgufTensor> tensors;
    uint64_t alignment = 32;
    uint64_t data_start = 0;  // first byte of the tensor data section
};

struct GgufParse {
    bool ok = false;
    GgufFile file;  // what was read before an error, too
    std::string error;
    uint64_t error_offset = 0;
};

// Reads the header, every metadata key-value pair (all value types, nested
// arrays) and the tensor infos, checking each length and count against the
// bytes that remain before reading or allocating anything, so a declared
// count of 2^63 is an error, not an allocation. Versions 1 to 3, little
// endian.
GgufParse parse_gguf(ByteSpan bytes);

// Size in bytes of a tensor of ggml type `type` with these dimensions, or
// nullopt for unknown types, rows that are not whole blocks, or overflow.
std::optional<uint64_t> ggml_tensor_bytes(uint32_t type, const std::vector<uint64_t>& dims);

// llama.cpp models. Templates in the metadata (tokenizer.chat_template and
// any other string that is Jinja) are checked for escapes to Python; tensor
// data must lie inside the file, contiguous and aligned as llama.cpp
// requires; the string metadata is handed back for credential checks.
class GgufAnalyzer : public Analyzer {
  public:
    std::string_view name() const override { return "gguf"; }
    bool accepts(const Blob& blob, Format sniffed) const override;
    void analyze(const Blob& blob, Format sniffed, ScanContext& context) const override;
};

}  // namespace hazmat::models
