#pragma once

// Builders for the model-format tests: protobuf messages in the wire format,
// GGUF files and safetensors files, assembled field by field so that each
// test can make exactly the malformation it is about. Plus helpers to pick
// findings out of a run.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/finding.hpp"
#include "models_test_support.hpp"

namespace hazmat::testing {

// --- protobuf wire format -------------------------------------------------

inline std::string pb_varint(uint64_t value) {
    std::string out;
    do {
        uint8_t byte = value & 0x7f;
        value >>= 7;
        if (value != 0)
            byte |= 0x80;
        out += static_cast<char>(byte);
    } while (value != 0);
    return out;
}

inline std::string pb_field_varint(uint32_t number, uint64_t value) {
    return pb_varint(uint64_t{number} << 3) + pb_varint(value);
}

inline std::string pb_field_bytes(uint32_t number, std::string_view data) {
    return pb_varint((uint64_t{number} << 3) | 2) + pb_varint(data.size()) + std::string(data);
}

// TensorFlow NodeDef with optional string attributes (key, AttrValue.s).
inline std::string tf_node(std::string_view name, std::string_view op,
                           std::vector<std::pair<std::string, std::string>> string_attrs = {}) {
    std::string node = pb_field_bytes(1, name) + pb_field_bytes(2, op);
    for (const auto& [key, value] : string_attrs)
        node +=
            pb_field_bytes(5, pb_field_bytes(1, key) + pb_field_bytes(2, pb_field_bytes(2, value)));
    return node;
}

inline std::string tf_graph(const std::vector<std::string>& nodes) {
    std::string graph;
    for (const auto& node : nodes)
        graph += pb_field_bytes(1, node);
    return graph;
}

// --- GGUF -----------------------------------------------------------------

// A GGUF v3 file built entry by entry.
class GgufBuilder {
  public:
    GgufBuilder& string_entry(std::string_view key, std::string_view value) {
        entry(key, 8);
        string(value);
        ++entries_;
        return *this;
    }
    GgufBuilder& u32_entry(std::string_view key, uint32_t value) {
        entry(key, 4);
        raw(value);
        ++entries_;
        return *this;
    }
    // Appends a raw key-value record (key, type and value bytes as given).
    GgufBuilder& raw_entry(std::string_view key, uint32_t type, std::string_view value_bytes) {
        entry(key, type);
        body_ += value_bytes;
        ++entries_;
        return *this;
    }
    GgufBuilder& tensor(std::string_view name, std::vector<uint64_t> dims, uint32_t type,
                        uint64_t offset) {
        tensor_infos_ += string_bytes(name);
        tensor_infos_ += le32(static_cast<uint32_t>(dims.size()));
        for (const auto dim : dims)
            tensor_infos_ += le64(dim);
        tensor_infos_ += le32(type) + le64(offset);
        ++tensors_;
        return *this;
    }
    GgufBuilder& data(std::string bytes) {
        data_ = std::move(bytes);
        return *this;
    }

    std::string build(uint64_t alignment = 32) const {
        std::string out =
            "GGUF" + le32(3) + le64(tensors_) + le64(entries_) + body_ + tensor_infos_;
        if (tensors_ > 0)
            out.resize((out.size() + alignment - 1) / alignment * alignment, '\0');
        return out + data_;
    }

    static std::string le32(uint32_t value) {
        std::string out(4, '\0');
        std::memcpy(out.data(), &value, 4);
        return out;
    }
    static std::string le64(uint64_t value) {
        std::string out(8, '\0');
        std::memcpy(out.data(), &value, 8);
        return out;
    }
    static std::string string_bytes(std::string_view text) {
        return le64(text.size()) + std::string(text);
    }

  private:
    void entry(std::string_view key, uint32_t type) {
        body_ += string_bytes(key);
        body_ += le32(type);
    }
    void string(std::string_view text) { body_ += string_bytes(text); }
    template <typename T>
    void raw(T value) {
        std::string out(sizeof(T), '\0');
        std::memcpy(out.data(), &value, sizeof(T));
        body_ += out;
    }

    std::string body_;
    std::string tensor_infos_;
    std::string data_;
    uint64_t entries_ = 0;
    uint64_t tensors_ = 0;
};

// --- safetensors ----------------------------------------------------------

inline std::string safetensors_bytes(std::string_view header_json, std::string_view data) {
    return GgufBuilder::le64(header_json.size()) + std::string(header_json) + std::string(data);
}

// --- findings -------------------------------------------------------------

inline std::vector<Finding> with_rule(const std::vector<Finding>& findings, std::string_view rule) {
    std::vector<Finding> out;
    for (const auto& finding : findings) {
        if (finding.rule_id == rule)
            out.push_back(finding);
    }
    return out;
}

inline std::vector<Finding> above_info(const std::vector<Finding>& findings) {
    std::vector<Finding> out;
    for (const auto& finding : findings) {
        if (finding.severity > Severity::info)
            out.push_back(finding);
    }
    return out;
}

inline bool has_evidence(const Finding& finding, std::string_view text) {
    for (const auto& line : finding.evidence) {
        if (line.find(text) != std::string::npos)
            return true;
    }
    return false;
}

inline ByteSpan span_of(const std::string& text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

}  // namespace hazmat::testing
