#include "scan/models/onnx.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "core/mapped_file.hpp"
#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"
#include "scan/models/protobuf_wire.hpp"
#include "scan/pickle/pickle_analyzer.hpp"

namespace hazmat::models {

namespace fs = std::filesystem;

namespace {

using Wire = ProtoField::Wire;

// Field numbers from onnx/onnx.proto3.
namespace field {
constexpr uint32_t kModelIrVersion = 1;
constexpr uint32_t kModelProducer = 2;
constexpr uint32_t kModelGraph = 7;
constexpr uint32_t kModelOpsetImport = 8;
constexpr uint32_t kModelTrainingInfo = 20;
constexpr uint32_t kModelFunctions = 25;
constexpr uint32_t kOpsetDomain = 1;
constexpr uint32_t kOpsetVersion = 2;
constexpr uint32_t kTrainingInitialization = 1;
constexpr uint32_t kTrainingAlgorithm = 2;
constexpr uint32_t kGraphNode = 1;
constexpr uint32_t kGraphInitializer = 5;
constexpr uint32_t kGraphSparseInitializer = 15;
constexpr uint32_t kSparseValues = 1;
constexpr uint32_t kSparseIndices = 2;
constexpr uint32_t kNodeOpType = 4;
constexpr uint32_t kNodeAttribute = 5;
constexpr uint32_t kNodeDomain = 7;
constexpr uint32_t kAttributeTensor = 5;
constexpr uint32_t kAttributeGraph = 6;
constexpr uint32_t kAttributeTensors = 10;
constexpr uint32_t kAttributeGraphs = 11;
constexpr uint32_t kAttributeSparseTensor = 22;
constexpr uint32_t kAttributeSparseTensors = 23;
constexpr uint32_t kFunctionName = 1;
constexpr uint32_t kFunctionNode = 7;
constexpr uint32_t kFunctionDomain = 10;
constexpr uint32_t kTensorDims = 1;
constexpr uint32_t kTensorDataType = 2;
constexpr uint32_t kTensorSegment = 3;
constexpr uint32_t kTensorFloatData = 4;
constexpr uint32_t kTensorInt32Data = 5;
constexpr uint32_t kTensorStringData = 6;
constexpr uint32_t kTensorInt64Data = 7;
constexpr uint32_t kTensorName = 8;
constexpr uint32_t kTensorRawData = 9;
constexpr uint32_t kTensorDoubleData = 10;
constexpr uint32_t kTensorUint64Data = 11;
constexpr uint32_t kTensorExternalData = 13;
constexpr uint32_t kTensorDataLocation = 14;
constexpr uint32_t kEntryKey = 1;
constexpr uint32_t kEntryValue = 2;
}  // namespace field

// If, Loop and Scan nest graphs in attributes; real models nest a handful.
constexpr int kMaxGraphNesting = 64;

// TensorProto.DataType codes and bits per element (0: variable size).
constexpr std::array<uint64_t, 27> kTypeBits = {
    0,    // UNDEFINED
    32,   // FLOAT
    8,    // UINT8
    8,    // INT8
    16,   // UINT16
    16,   // INT16
    32,   // INT32
    64,   // INT64
    0,    // STRING
    8,    // BOOL
    16,   // FLOAT16
    64,   // DOUBLE
    32,   // UINT32
    64,   // UINT64
    64,   // COMPLEX64
    128,  // COMPLEX128
    16,   // BFLOAT16
    8,    // FLOAT8E4M3FN
    8,    // FLOAT8E4M3FNUZ
    8,    // FLOAT8E5M2
    8,    // FLOAT8E5M2FNUZ
    4,    // UINT4
    4,    // INT4
    4,    // FLOAT4E2M1
    8,    // FLOAT8E8M0
    2,    // UINT2
    2,    // INT2
};
constexpr int64_t kFloat = 1;
constexpr int64_t kInt32 = 6;
constexpr int64_t kInt64 = 7;
constexpr int64_t kString = 8;
constexpr int64_t kDouble = 11;

// Domains whose operators ONNX and ONNX Runtime implement themselves.
constexpr std::array<std::string_view, 9> kStandardDomains = {
    "",
    "ai.onnx",
    "ai.onnx.ml",
    "ai.onnx.training",
    "ai.onnx.preview.training",
    "com.microsoft",
    "com.microsoft.nchwc",
    "com.microsoft.experimental",
    "com.ms.internal.nhwc",
};

struct Tensor {
    std::string name;
    std::vector<uint64_t> dims;
    int64_t data_type = 0;
    bool has_segment = false;
    bool external = false;
    std::optional<std::pair<std::string, uint64_t>> data;  // field name, bytes or elements
    std::map<std::string, std::string> external_data;
    uint64_t offset = 0;
};

uint64_t count_varints(ByteSpan bytes) {
    return static_cast<uint64_t>(
        std::count_if(bytes.begin(), bytes.end(), [](uint8_t b) { return (b & 0x80) == 0; }));
}

std::optional<uint64_t> parse_decimal(std::string_view text) {
    if (text.empty() || text.size() > 19)
        return std::nullopt;
    uint64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    return value;
}

std::optional<uint64_t> element_count(const std::vector<uint64_t>& dims) {
    uint64_t count = 1;
    for (const uint64_t extent : dims) {
        if (__builtin_mul_overflow(count, extent, &count))
            return std::nullopt;
    }
    return count;
}

std::optional<uint64_t> expected_bytes(const Tensor& tensor) {
    if (tensor.data_type <= 0 || static_cast<size_t>(tensor.data_type) >= kTypeBits.size())
        return std::nullopt;
    const uint64_t bits = kTypeBits[static_cast<size_t>(tensor.data_type)];
    const auto count = element_count(tensor.dims);
    if (bits == 0 || !count)
        return std::nullopt;
    uint64_t total = 0;
    if (__builtin_mul_overflow(*count, bits, &total))
        return std::nullopt;
    return (total + 7) / 8;
}

class ModelDecoder : ProtoWalker<OnnxModel> {
  public:
    explicit ModelDecoder(OnnxModel& out) : ProtoWalker(out) {}

    void model(const ProtoField& message) {
        std::vector<ProtoField> graphs;
        std::vector<ProtoField> functions;
        for_each(message, "ModelProto", [&](const ProtoField& field) {
            switch (field.number) {
                case field::kModelIrVersion:
                    out_.ir_version = static_cast<int64_t>(field.value);
                    break;
                case field::kModelProducer:
                    if (field.wire == Wire::bytes)
                        out_.producer = std::string(field.text());
                    break;
                case field::kModelGraph:
                    if (expect_bytes(field, "graph"))
                        graphs.push_back(field);
                    break;
                case field::kModelOpsetImport:
                    if (expect_bytes(field, "opset_import"))
                        opset(field);
                    break;
                case field::kModelTrainingInfo:
                    if (expect_bytes(field, "training_info"))
                        training_info(field, graphs);
                    break;
                case field::kModelFunctions:
                    if (expect_bytes(field, "functions"))
                        functions.push_back(field);
                    break;
                default:
                    break;
            }
        });
        // Functions first, so that nodes calling them are not taken for
        // custom operators.
        for (const auto& function_field : functions)
            function_name(function_field);
        for (const auto& function_field : functions)
            function_body(function_field);
        for (const auto& graph_field : graphs)
            graph(graph_field, 0);
        finish_domains();
    }

  private:
    void opset(const ProtoField& message) {
        std::string domain;
        int64_t version = 0;
        for_each(message, "OperatorSetIdProto", [&](const ProtoField& field) {
            if (field.number == field::kOpsetDomain && field.wire == Wire::bytes)
                domain = std::string(field.text());
            else if (field.number == field::kOpsetVersion)
                version = static_cast<int64_t>(field.value);
        });
        out_.opsets.emplace_back(std::move(domain), version);
    }

    void training_info(const ProtoField& message, std::vector<ProtoField>& graphs) {
        for_each(message, "TrainingInfoProto", [&](const ProtoField& field) {
            if ((field.number == field::kTrainingInitialization ||
                 field.number == field::kTrainingAlgorithm) &&
                expect_bytes(field, "training graph"))
                graphs.push_back(field);
        });
    }

    void function_name(const ProtoField& message) {
        std::string name;
        std::string domain;
        for_each(message, "FunctionProto", [&](const ProtoField& field) {
            if (field.wire != Wire::bytes)
                return;
            if (field.number == field::kFunctionName)
                name = std::string(field.text());
            else if (field.number == field::kFunctionDomain)
                domain = std::string(field.text());
        });
        local_functions_.emplace(domain, name);
    }

    void function_body(const ProtoField& message) {
        for_each(message, "FunctionProto", [&](const ProtoField& field) {
            if (field.number == field::kFunctionNode && expect_bytes(field, "node"))
                node(field, 0);
        });
    }

    void graph(const ProtoField& message, int nesting) {
        if (nesting > kMaxGraphNesting) {
            fail(fmt::format("graphs nest more than {} levels deep", kMaxGraphNesting),
                 message.offset);
            return;
        }
        for_each(message, "GraphProto", [&](const ProtoField& field) {
            if (field.number == field::kGraphNode && expect_bytes(field, "node"))
                node(field, nesting);
            else if (field.number == field::kGraphInitializer && expect_bytes(field, "initializer"))
                tensor(field);
            else if (field.number == field::kGraphSparseInitializer &&
                     expect_bytes(field, "sparse_initializer"))
                sparse_tensor(field);
        });
    }

    void node(const ProtoField& message, int nesting) {
        ++out_.nodes;
        std::string op_type;
        std::string domain;
        for_each(message, "NodeProto", [&](const ProtoField& field) {
            if (field.wire != Wire::bytes)
                return;
            if (field.number == field::kNodeOpType)
                op_type = std::string(field.text());
            else if (field.number == field::kNodeDomain)
                domain = std::string(field.text());
            else if (field.number == field::kNodeAttribute)
                attribute(field, nesting);
        });
        if (std::find(kStandardDomains.begin(), kStandardDomains.end(), domain) ==
                kStandardDomains.end() &&
            !local_functions_.contains({domain, op_type}))
            used_domains_[domain].insert(op_type);
    }

    void attribute(const ProtoField& message, int nesting) {
        for_each(message, "AttributeProto", [&](const ProtoField& field) {
            if (field.wire != Wire::bytes)
                return;
            switch (field.number) {
                case field::kAttributeTensor:
                case field::kAttributeTensors:
                    tensor(field);
                    break;
                case field::kAttributeGraph:
                case field::kAttributeGraphs:
                    graph(field, nesting + 1);
                    break;
                case field::kAttributeSparseTensor:
                case field::kAttributeSparseTensors:
                    sparse_tensor(field);
                    break;
                default:
                    break;
            }
        });
    }

    void sparse_tensor(const ProtoField& message) {
        for_each(message, "SparseTensorProto", [&](const ProtoField& field) {
            if ((field.number == field::kSparseValues || field.number == field::kSparseIndices) &&
                expect_bytes(field, "sparse tensor part"))
                tensor(field);
        });
    }

    void tensor(const ProtoField& message) {
        ++out_.tensors;
        Tensor parsed;
        parsed.offset = message.offset;
        uint64_t typed_count = 0;
        std::string typed_field;
        for_each(message, "TensorProto", [&](const ProtoField& field) {
            switch (field.number) {
                case field::kTensorDims:
                    // Packed (proto3 default) or one varint per dimension.
                    if (field.wire == Wire::bytes)
                        read_packed_dims(field, parsed.dims);
                    else
                        parsed.dims.push_back(field.value);
                    break;
                case field::kTensorDataType:
                    parsed.data_type = static_cast<int64_t>(field.value);
                    break;
                case field::kTensorSegment:
                    parsed.has_segment = true;
                    break;
                case field::kTensorName:
                    if (field.wire == Wire::bytes)
                        parsed.name = std::string(field.text());
                    break;
                case field::kTensorRawData:
                    if (field.wire == Wire::bytes)
                        parsed.data = std::pair{std::string("raw_data"), field.bytes.size()};
                    break;
                case field::kTensorExternalData:
                    if (field.wire == Wire::bytes)
                        external_entry(field, parsed.external_data);
                    break;
                case field::kTensorDataLocation:
                    parsed.external = field.value == 1;
                    break;
                case field::kTensorFloatData:
                    typed_field = "float_data";
                    typed_count += field.wire == Wire::bytes ? field.bytes.size() / 4 : 1;
                    break;
                case field::kTensorDoubleData:
                    typed_field = "double_data";
                    typed_count += field.wire == Wire::bytes ? field.bytes.size() / 8 : 1;
                    break;
                case field::kTensorInt32Data:
                case field::kTensorInt64Data:
                case field::kTensorUint64Data:
                    typed_field = field.number == field::kTensorInt32Data   ? "int32_data"
                                  : field.number == field::kTensorInt64Data ? "int64_data"
                                                                            : "uint64_data";
                    typed_count += field.wire == Wire::bytes ? count_varints(field.bytes) : 1;
                    break;
                case field::kTensorStringData:
                    typed_field = "string_data";
                    ++typed_count;
                    break;
                default:
                    break;
            }
        });
        check_tensor(parsed, typed_field, typed_count);
    }

    void read_packed_dims(const ProtoField& field, std::vector<uint64_t>& dims) {
        uint64_t value = 0;
        int shift = 0;
        for (const uint8_t byte : field.bytes) {
            if (shift < 64)
                value |= static_cast<uint64_t>(byte & 0x7f) << shift;
            shift += 7;
            if ((byte & 0x80) == 0) {
                dims.push_back(value);
                value = 0;
                shift = 0;
            }
        }
    }

    void external_entry(const ProtoField& message, std::map<std::string, std::string>& entries) {
        std::string key;
        std::string value;
        for_each(message, "StringStringEntryProto", [&](const ProtoField& field) {
            if (field.number == field::kEntryKey && field.wire == Wire::bytes)
                key = std::string(field.text());
            else if (field.number == field::kEntryValue && field.wire == Wire::bytes)
                value = std::string(field.text());
        });
        entries[key] = value;
    }

    void check_tensor(const Tensor& tensor, const std::string& typed_field, uint64_t typed_count) {
        const auto expected = expected_bytes(tensor);
        if (tensor.external || !tensor.external_data.empty()) {
            OnnxExternalData external;
            external.tensor = tensor.name;
            external.field_offset = tensor.offset;
            external.expected_bytes = expected;
            if (const auto it = tensor.external_data.find("location");
                it != tensor.external_data.end())
                external.location = it->second;
            if (const auto it = tensor.external_data.find("offset");
                it != tensor.external_data.end())
                external.offset = parse_decimal(it->second);
            if (const auto it = tensor.external_data.find("length");
                it != tensor.external_data.end())
                external.length = parse_decimal(it->second);
            out_.external.push_back(std::move(external));
            return;
        }
        if (tensor.has_segment)
            return;  // a part of a larger tensor: sizes are per segment
        if (tensor.data) {
            if (expected && tensor.data->second != *expected)
                out_.mismatches.push_back({tensor.name, *expected, tensor.data->second, "bytes",
                                           "raw_data", tensor.offset});
            return;
        }
        // Typed fields: one value per element for the common types.
        const auto count = element_count(tensor.dims);
        if (!count || typed_count == 0)
            return;
        const bool comparable = tensor.data_type == kFloat || tensor.data_type == kInt32 ||
                                tensor.data_type == kInt64 || tensor.data_type == kDouble ||
                                tensor.data_type == kString;
        if (comparable && typed_count != *count)
            out_.mismatches.push_back(
                {tensor.name, *count, typed_count, "elements", typed_field, tensor.offset});
    }

    void finish_domains() {
        for (auto& [domain, ops] : used_domains_)
            out_.custom_domains.emplace_back(domain,
                                             std::vector<std::string>(ops.begin(), ops.end()));
    }

    std::set<std::pair<std::string, std::string>> local_functions_;
    std::map<std::string, std::set<std::string>> used_domains_;
};

bool is_windows_drive(std::string_view location) {
    return location.size() >= 2 && std::isalpha(static_cast<unsigned char>(location[0])) &&
           location[1] == ':';
}

// The model's file on disk, when the blob is one (not an archive member).
std::optional<fs::path> disk_path_of(const Blob& blob) {
    if (blob.depth != 0 || blob.location.chain.size() != 1 ||
        blob.location.chain.front().kind != LocationPart::Kind::file)
        return std::nullopt;
    const fs::path path(blob.location.chain.front().name);
    std::error_code error;
    if (!fs::is_regular_file(fs::symlink_status(path, error)))
        return std::nullopt;
    return path;
}

constexpr size_t kMaxReported = 25;

void report_external(const Blob& blob, const OnnxModel& model, ScanContext& context) {
    const auto disk = disk_path_of(blob);
    const fs::path directory = disk ? disk->parent_path() : fs::path();
    std::map<std::string, std::vector<const OnnxExternalData*>> by_location;
    for (const auto& external : model.external)
        by_location[external.location].push_back(&external);

    size_t reported = 0;
    for (const auto& [location, tensors] : by_location) {
        if (reported >= kMaxReported)
            break;
        auto problem = external_location_escape(location);
        Severity severity = Severity::high;
        if (!problem && disk) {
            problem = check_external_link(directory, location);
            if (problem && problem->find("hard link") != std::string::npos)
                severity = Severity::medium;
        }
        if (!problem)
            continue;
        ++reported;
        auto finding =
            Finding::make(rules::kOnnxExternalDataEscape,
                          fmt::format("Tensor data is read from '{}', which {}; onnx.load and "
                                      "ONNX Runtime read that file when the model loads.",
                                      location, *problem),
                          blob.location)
                .with_severity(severity)
                .at_offset(tensors.front()->field_offset)
                .with_fingerprint_key(location);
        for (size_t i = 0; i < tensors.size() && i < 10; ++i)
            finding.with_evidence(fmt::format("tensor '{}'", tensors[i]->tensor));
        if (tensors.size() > 10)
            finding.with_evidence(fmt::format("... and {} more tensors", tensors.size() - 10));
        context.report(std::move(finding));
    }
}

void report_sizes(const Blob& blob, const OnnxModel& model, ScanContext& context) {
    std::vector<OnnxSizeMismatch> mismatches = model.mismatches;
    // External data that declares a length must declare the tensor's size.
    for (const auto& external : model.external) {
        if (external.length && external.expected_bytes &&
            *external.length != *external.expected_bytes)
            mismatches.push_back({external.tensor, *external.expected_bytes, *external.length,
                                  "bytes", "external_data length", external.field_offset});
    }
    for (size_t i = 0; i < mismatches.size() && i < kMaxReported; ++i) {
        const auto& mismatch = mismatches[i];
        context.report(
            Finding::make(rules::kTensorSizeMismatch,
                          fmt::format("Tensor '{}' declares {} {} of data (its shape and type) "
                                      "but its {} holds {}.",
                                      mismatch.tensor, mismatch.expected, mismatch.unit,
                                      mismatch.field, mismatch.actual),
                          blob.location)
                .at_offset(mismatch.field_offset)
                .with_fingerprint_key(mismatch.tensor));
    }
}

void report_domains(const Blob& blob, const OnnxModel& model, ScanContext& context) {
    if (model.custom_domains.empty())
        return;
    std::vector<std::string> names;
    for (const auto& [domain, ops] : model.custom_domains)
        names.push_back(fmt::format("'{}'", domain));
    auto finding = Finding::make(rules::kOnnxCustomDomain,
                                 fmt::format("The model uses operators from {}, which neither "
                                             "ONNX nor ONNX Runtime defines.",
                                             fmt::join(names, ", ")),
                                 blob.location);
    for (const auto& [domain, ops] : model.custom_domains)
        finding.with_evidence(fmt::format("domain '{}': {}", domain, fmt::join(ops, ", ")));
    context.report(std::move(finding));
}

// ModelProto as onnx writes it: ir_version first (field 1, varint, versions
// 3 and later), then producer_name, graph or opset_import.
bool looks_like_onnx(ByteSpan bytes) {
    return bytes.size() >= 3 && bytes[0] == 0x08 && bytes[1] >= 3 && bytes[1] <= 15 &&
           (bytes[2] == 0x12 || bytes[2] == 0x3a || bytes[2] == 0x42);
}

}  // namespace

OnnxModel read_onnx_model(ByteSpan bytes) {
    OnnxModel model;
    if (bytes.size() > kMaxProtoMessage) {
        model.ok = false;
        model.error = "larger than the 2 GiB protobuf limit";
        return model;
    }
    ProtoField whole;
    whole.bytes = bytes;
    ModelDecoder(model).model(whole);
    return model;
}

std::optional<std::string> external_location_escape(std::string_view location) {
    if (location.empty())
        return "is empty";
    if (location.find('\0') != std::string_view::npos)
        return "contains a NUL byte, which cuts the path short in C++ readers";
    if (location.front() == '/' || location.front() == '\\')
        return "is an absolute path";
    if (is_windows_drive(location))
        return "is an absolute Windows path";
    // Normalised the way os.path.normpath and std::filesystem both would,
    // with either separator, as ONNX Runtime runs on Windows too.
    int depth = 0;
    size_t start = 0;
    while (start <= location.size()) {
        const size_t end = location.find_first_of("/\\", start);
        const auto part = location.substr(
            start, end == std::string_view::npos ? std::string_view::npos : end - start);
        if (part == "..") {
            if (--depth < 0)
                return "climbs out of the model's directory with '..'";
        } else if (!part.empty() && part != ".") {
            ++depth;
        }
        if (end == std::string_view::npos)
            break;
        start = end + 1;
    }
    return std::nullopt;
}

// LIMITATION: a link is reported wherever it points, so a model in the
// Hugging Face cache layout (every file a link into blobs/) is reported too.
std::optional<std::string> check_external_link(const fs::path& model_dir,
                                               std::string_view location) {
    fs::path current = model_dir;
    std::error_code error;
    for (const auto& part : fs::path(std::string(location)).lexically_normal()) {
        if (part.empty() || part == ".")
            continue;
        current /= part;
        const auto status = fs::symlink_status(current, error);
        if (error || !fs::exists(status))
            return std::nullopt;  // missing: onnx.load fails, nothing is read
        if (fs::is_symlink(status)) {
            const auto target = fs::read_symlink(current, error);
            return fmt::format("passes through the symbolic link '{}' (to '{}')",
                               current.generic_string(),
                               error ? std::string("?") : target.generic_string());
        }
    }
    struct stat info {};
    if (::lstat(current.c_str(), &info) == 0 && S_ISREG(info.st_mode) && info.st_nlink > 1)
        return fmt::format(
            "is a file with {} hard links, which may share its content with a "
            "file outside the project",
            info.st_nlink);
    return std::nullopt;
}

bool OnnxAnalyzer::accepts(const Blob& blob, Format sniffed) const {
    if (sniffed != Format::unknown)
        return false;
    return extension_of(blob.name) == ".onnx" || looks_like_onnx(blob.bytes.span());
}

void OnnxAnalyzer::analyze(const Blob& blob, Format, ScanContext& context) const {
    context.count_format("onnx");
    const auto model = read_onnx_model(blob.bytes.span());
    spdlog::debug("{}: ONNX ir_version {} from '{}', {} nodes, {} tensors, {} external",
                  blob.location.to_display(), model.ir_version, model.producer, model.nodes,
                  model.tensors, model.external.size());
    report_external(blob, model, context);
    report_sizes(blob, model, context);
    report_domains(blob, model, context);
    if (!model.ok) {
        context.report(Finding::make(rules::kScanUnparseable,
                                     fmt::format("The ONNX model cannot be decoded ({}); what "
                                                 "follows was not examined.",
                                                 model.error),
                                     blob.location)
                           .at_offset(model.error_offset));
    }
}

namespace {

// Bounds on the search for the model that names a data file: it runs only
// for files whose content matches no format, but a directory can be large.
constexpr size_t kMaxDirectoryEntries = 4096;
constexpr size_t kMaxModelsExamined = 32;

bool names_as_external_data(const fs::path& model, const fs::path& target) {
    const auto bytes = map_file(model);
    if (!bytes)
        return false;
    const auto parsed = read_onnx_model(bytes->span());
    const auto directory = model.parent_path();
    return std::any_of(parsed.external.begin(), parsed.external.end(), [&](const auto& external) {
        return !external_location_escape(external.location) &&
               (directory / external.location).lexically_normal() == target;
    });
}

}  // namespace

// LIMITATION: only models in the data file's own directory and the one
// above are searched, so external data two directories below its model is
// still reported as an unverifiable model file when named like one.
std::optional<fs::path> onnx_model_naming(const fs::path& file) {
    std::error_code error;
    const auto target = fs::absolute(file, error).lexically_normal();
    if (error)
        return std::nullopt;
    size_t models = 0;
    fs::path directory = target.parent_path();
    for (int level = 0; level < 2; ++level, directory = directory.parent_path()) {
        fs::directory_iterator it(directory, error);
        for (size_t entries = 0; !error && it != fs::directory_iterator() &&
                                 entries < kMaxDirectoryEntries && models < kMaxModelsExamined;
             it.increment(error), ++entries) {
            const auto& path = it->path();
            if (extension_of(path.filename().string()) != ".onnx" ||
                !fs::is_regular_file(it->symlink_status(error)))
                continue;
            ++models;
            if (names_as_external_data(path, target))
                return path;
        }
        error.clear();
        if (directory == directory.parent_path())
            break;
    }
    return std::nullopt;
}

bool OnnxExternalDataAnalyzer::accepts(const Blob& blob, Format sniffed) const {
    // Cheap tests first: the directory search runs only for a file on disk
    // that would otherwise be an unknown model.
    if (sniffed != Format::unknown || !name_claims_model(blob.name) ||
        extension_of(blob.name) == ".onnx" || looks_like_onnx(blob.bytes.span()) ||
        pickle::looks_like_pickle(blob.bytes.span()))
        return false;
    const auto disk = disk_path_of(blob);
    return disk && onnx_model_naming(*disk).has_value();
}

void OnnxExternalDataAnalyzer::analyze(const Blob& blob, Format, ScanContext& context) const {
    context.count_format("onnx-external-data");
    spdlog::debug("{}: raw tensor data named by an ONNX model next to it",
                  blob.location.to_display());
}

}  // namespace hazmat::models
