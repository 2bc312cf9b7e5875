#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/analyzer.hpp"
#include "core/bytes.hpp"

namespace hazmat::models {

// A tensor whose data lives in another file (TensorProto.external_data).
struct OnnxExternalData {
    std::string tensor;
    std::string location;
    std::optional<uint64_t> offset;
    std::optional<uint64_t> length;
    std::optional<uint64_t> expected_bytes;  // from dims and data_type, when fixed-size
    uint64_t field_offset = 0;               // of the TensorProto in the model file
};

// A tensor whose declared shape and type disagree with the data it carries.
struct OnnxSizeMismatch {
    std::string tensor;
    uint64_t expected = 0;  // from dims and data_type
    uint64_t actual = 0;    // what the field holds
    std::string unit;       // "bytes" or "elements"
    std::string field;      // "raw_data", "float_data", "external_data length" ...
    uint64_t field_offset = 0;
};

struct OnnxModel {
    int64_t ir_version = 0;
    std::string producer;
    std::vector<std::pair<std::string, int64_t>> opsets;  // domain, version
    // Operator domains used by nodes, with their op types, that neither
    // ONNX nor ONNX Runtime define and no function in the model provides.
    std::vector<std::pair<std::string, std::vector<std::string>>> custom_domains;
    std::vector<OnnxExternalData> external;
    std::vector<OnnxSizeMismatch> mismatches;
    uint64_t tensors = 0;
    uint64_t nodes = 0;
    bool ok = true;
    std::string error;
    uint64_t error_offset = 0;
};

// Decodes an ONNX ModelProto from the protobuf wire format: the main graph,
// subgraphs in node attributes (If, Loop, Scan), training graphs and model
// functions, every initializer and attribute tensor, to bounded nesting.
OnnxModel read_onnx_model(ByteSpan bytes);

// Why an external data location escapes the model's directory, or nullopt:
// absolute paths (POSIX or Windows), paths that climb out with '..' after
// normalisation, NUL bytes. Pure string logic; see check_external_link for
// the file system.
std::optional<std::string> external_location_escape(std::string_view location);

// For a model on disk: whether following `location` from the model's
// directory passes through a symbolic link (ONNX before 1.21 follows them,
// CVE-2026-27489) or ends at a file with other hard links.
std::optional<std::string> check_external_link(const std::filesystem::path& model_dir,
                                               std::string_view location);

// ONNX models: external data that escapes the model directory (read by
// onnx.load and ONNX Runtime), tensors whose size disagrees with their
// declared shape, and custom operator domains, which need native code from
// a library the user registers.
class OnnxAnalyzer : public Analyzer {
  public:
    std::string_view name() const override { return "onnx"; }
    bool accepts(const Blob& blob, Format sniffed) const override;
    void analyze(const Blob& blob, Format sniffed, ScanContext& context) const override;
};

// The ONNX model in `file`'s directory, or in the directory above, that names
// `file` as a tensor's external data, or nullopt. Examines at most a few
// dozen .onnx files; locations that escape a model's directory never match.
std::optional<std::filesystem::path> onnx_model_naming(const std::filesystem::path& file);

// Raw tensor bytes that an ONNX model next to them names as external data.
// onnx.save(location=...) accepts any file name, so "weights.bin" would
// otherwise be a file named like a pickle checkpoint whose content matches
// no format (HZ-SCAN-004). Only content that no format sniffs is claimed:
// a pickle, zip or other format named as external data is still examined
// as what it is, since torch.load would read it as such.
class OnnxExternalDataAnalyzer : public Analyzer {
  public:
    std::string_view name() const override { return "onnx-external-data"; }
    bool accepts(const Blob& blob, Format sniffed) const override;
    void analyze(const Blob& blob, Format sniffed, ScanContext& context) const override;
};

}  // namespace hazmat::models
