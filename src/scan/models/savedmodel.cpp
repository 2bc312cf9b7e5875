#include "scan/models/savedmodel.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"
#include "scan/models/keras_config.hpp"
#include "scan/models/protobuf_wire.hpp"

namespace hazmat::models {

namespace {

using Wire = ProtoField::Wire;

// Field numbers from tensorflow/core/framework/{graph,node_def,function,
// attr_value,op_def}.proto, tensorflow/core/protobuf/{saved_model,
// meta_graph,saved_object_graph}.proto and keras/protobuf/saved_metadata.proto.
namespace field {
constexpr uint32_t kSavedModelMetaGraphs = 2;
constexpr uint32_t kMetaGraphGraphDef = 2;
constexpr uint32_t kMetaGraphObjectGraph = 7;
constexpr uint32_t kGraphNode = 1;
constexpr uint32_t kGraphLibrary = 2;
constexpr uint32_t kLibraryFunction = 1;
constexpr uint32_t kFunctionSignature = 1;
constexpr uint32_t kFunctionNodeDef = 3;
constexpr uint32_t kOpDefName = 1;
constexpr uint32_t kNodeName = 1;
constexpr uint32_t kNodeOp = 2;
constexpr uint32_t kNodeAttr = 5;
constexpr uint32_t kMapKey = 1;
constexpr uint32_t kMapValue = 2;
constexpr uint32_t kAttrList = 1;
constexpr uint32_t kAttrString = 2;
constexpr uint32_t kListString = 2;
constexpr uint32_t kObjectGraphNodes = 1;
constexpr uint32_t kSavedObjectUserObject = 4;
constexpr uint32_t kUserObjectIdentifier = 1;
constexpr uint32_t kUserObjectMetadata = 3;
constexpr uint32_t kKerasMetadataNodes = 1;
constexpr uint32_t kKerasNodePath = 3;
constexpr uint32_t kKerasIdentifier = 4;
constexpr uint32_t kKerasMetadata = 5;
}  // namespace field

class Decoder : ProtoWalker<GraphInventory> {
  public:
    explicit Decoder(GraphInventory& out) : ProtoWalker(out) {}

    void saved_model(const ProtoField& message) {
        for_each(message, "SavedModel", [&](const ProtoField& field) {
            if (field.number == field::kSavedModelMetaGraphs &&
                expect_bytes(field, "meta_graphs")) {
                ++out_.meta_graphs;
                meta_graph(field);
            }
        });
    }

    void graph_def(const ProtoField& message) {
        for_each(message, "GraphDef", [&](const ProtoField& field) {
            if (field.number == field::kGraphNode && expect_bytes(field, "node"))
                node(field, "");
            else if (field.number == field::kGraphLibrary && expect_bytes(field, "library"))
                library(field);
        });
    }

    void keras_metadata(const ProtoField& message) {
        for_each(message, "SavedMetadata", [&](const ProtoField& field) {
            if (field.number != field::kKerasMetadataNodes || !expect_bytes(field, "nodes"))
                return;
            KerasMetadata metadata;
            std::string identifier;
            for_each(field, "SavedObject", [&](const ProtoField& member) {
                if (member.wire != Wire::bytes)
                    return;
                if (member.number == field::kKerasNodePath)
                    metadata.node = std::string(member.text());
                else if (member.number == field::kKerasIdentifier)
                    identifier = std::string(member.text());
                else if (member.number == field::kKerasMetadata) {
                    metadata.text = std::string(member.text());
                    metadata.offset = member.payload_offset;
                }
            });
            if (!identifier.empty())
                metadata.node += fmt::format(" ({})", identifier);
            if (!metadata.text.empty())
                out_.keras.push_back(std::move(metadata));
        });
    }

    void any_message(const ProtoField& message, std::string_view name) {
        for_each(message, name, [](const ProtoField&) {});
    }

  private:
    void meta_graph(const ProtoField& message) {
        for_each(message, "MetaGraphDef", [&](const ProtoField& field) {
            if (field.number == field::kMetaGraphGraphDef && expect_bytes(field, "graph_def"))
                graph_def(field);
            else if (field.number == field::kMetaGraphObjectGraph &&
                     expect_bytes(field, "object_graph_def"))
                object_graph(field);
        });
    }

    void library(const ProtoField& message) {
        for_each(message, "FunctionDefLibrary", [&](const ProtoField& field) {
            if (field.number == field::kLibraryFunction && expect_bytes(field, "function"))
                function(field);
        });
    }

    // The signature names the function; writers put it first, but the wire
    // format does not promise an order, so it is looked up before the nodes.
    void function(const ProtoField& message) {
        ++out_.functions;
        std::string name;
        for_each(message, "FunctionDef", [&](const ProtoField& field) {
            if (field.number != field::kFunctionSignature || field.wire != Wire::bytes)
                return;
            for_each(field, "OpDef", [&](const ProtoField& member) {
                if (member.number == field::kOpDefName && member.wire == Wire::bytes)
                    name = std::string(member.text());
            });
        });
        for_each(message, "FunctionDef", [&](const ProtoField& field) {
            if (field.number == field::kFunctionNodeDef && expect_bytes(field, "node_def"))
                node(field, name);
        });
    }

    void node(const ProtoField& message, const std::string& function) {
        GraphNode graph_node;
        graph_node.function = function;
        graph_node.offset = message.offset;
        for_each(message, "NodeDef", [&](const ProtoField& field) {
            if (field.wire != Wire::bytes)
                return;
            if (field.number == field::kNodeName)
                graph_node.name = std::string(field.text());
            else if (field.number == field::kNodeOp)
                graph_node.op = std::string(field.text());
            else if (field.number == field::kNodeAttr)
                attribute(field, graph_node);
        });
        out_.nodes.push_back(std::move(graph_node));
    }

    // map<string, AttrValue> entries; only the string attributes that name
    // where an op sends its output are kept.
    void attribute(const ProtoField& entry, GraphNode& graph_node) {
        std::string key;
        ProtoField value;
        bool has_value = false;
        for_each(entry, "NodeDef.attr", [&](const ProtoField& field) {
            if (field.number == field::kMapKey && field.wire == Wire::bytes)
                key = std::string(field.text());
            else if (field.number == field::kMapValue && field.wire == Wire::bytes) {
                value = field;
                has_value = true;
            }
        });
        if (!has_value || (key != "output_stream" && key != "debug_urls"))
            return;
        for_each(value, "AttrValue", [&](const ProtoField& field) {
            if (field.wire != Wire::bytes)
                return;
            if (field.number == field::kAttrString) {
                graph_node.destinations.emplace_back(field.text());
            } else if (field.number == field::kAttrList) {
                for_each(field, "AttrValue.list", [&](const ProtoField& item) {
                    if (item.number == field::kListString && item.wire == Wire::bytes)
                        graph_node.destinations.emplace_back(item.text());
                });
            }
        });
    }

    // Keras (TF 2.x) stored each layer's config as JSON in the metadata of
    // the SavedModel's user objects.
    void object_graph(const ProtoField& message) {
        uint64_t index = 0;
        for_each(message, "SavedObjectGraph", [&](const ProtoField& field) {
            if (field.number != field::kObjectGraphNodes || field.wire != Wire::bytes)
                return;
            const uint64_t object = index++;
            for_each(field, "SavedObject", [&](const ProtoField& member) {
                if (member.number != field::kSavedObjectUserObject || member.wire != Wire::bytes)
                    return;
                KerasMetadata metadata;
                std::string identifier;
                for_each(member, "SavedUserObject", [&](const ProtoField& item) {
                    if (item.wire != Wire::bytes)
                        return;
                    if (item.number == field::kUserObjectIdentifier)
                        identifier = std::string(item.text());
                    else if (item.number == field::kUserObjectMetadata) {
                        metadata.text = std::string(item.text());
                        metadata.offset = item.payload_offset;
                    }
                });
                metadata.node = fmt::format("object {} ({})", object, identifier);
                if (!metadata.text.empty())
                    out_.keras.push_back(std::move(metadata));
            });
        });
    }
};

struct OpRule {
    std::string_view op;
    std::string_view rule;
    Severity severity;
    std::string_view what;
};

// Ops that act outside the graph. Save/restore (SaveV2, RestoreV2,
// MergeV2Checkpoints, ShardedFilename ...) are absent on purpose: every
// SavedModel has them to load its own variables.
// LIMITATION: checkpoint ops are not reported at all, and the file paths
// they use are not traced back to their constants, so a SaveV2 or
// RestoreV2 aimed at ~/.bashrc is not reported.
constexpr OpRule kOpRules[] = {
    {"PyFunc", rules::kGraphPythonOp, Severity::high, "calls a Python function"},
    {"PyFuncStateless", rules::kGraphPythonOp, Severity::high, "calls a Python function"},
    {"EagerPyFunc", rules::kGraphPythonOp, Severity::high, "calls a Python function"},
    {"WriteFile", rules::kGraphFileOp, Severity::high, "writes a file"},
    {"DatasetToTFRecord", rules::kGraphFileOp, Severity::high, "writes a TFRecord file"},
    {"SaveDataset", rules::kGraphFileOp, Severity::high, "writes a dataset to a path"},
    {"SaveDatasetV2", rules::kGraphFileOp, Severity::high, "writes a dataset to a path"},
    {"SnapshotDataset", rules::kGraphFileOp, Severity::high, "writes dataset snapshots"},
    {"SnapshotDatasetV2", rules::kGraphFileOp, Severity::high, "writes dataset snapshots"},
    {"CreateSummaryFileWriter", rules::kGraphFileOp, Severity::medium, "writes event files"},
    {"CreateSummaryDbWriter", rules::kGraphFileOp, Severity::medium, "writes a database"},
    {"WriteSummary", rules::kGraphFileOp, Severity::medium, "writes event files"},
    {"WriteScalarSummary", rules::kGraphFileOp, Severity::medium, "writes event files"},
    {"WriteRawProtoSummary", rules::kGraphFileOp, Severity::medium, "writes event files"},
    {"ImportEvent", rules::kGraphFileOp, Severity::medium, "writes event files"},
    {"ReadFile", rules::kGraphFileOp, Severity::medium, "reads a file"},
    {"MatchingFiles", rules::kGraphFileOp, Severity::medium, "lists files matching a pattern"},
    {"MatchingFilesDataset", rules::kGraphFileOp, Severity::medium, "lists files"},
    {"WholeFileReader", rules::kGraphFileOp, Severity::medium, "reads files"},
    {"WholeFileReaderV2", rules::kGraphFileOp, Severity::medium, "reads files"},
    {"TextLineReader", rules::kGraphFileOp, Severity::medium, "reads files"},
    {"TextLineReaderV2", rules::kGraphFileOp, Severity::medium, "reads files"},
    {"FixedLengthRecordReader", rules::kGraphFileOp, Severity::medium, "reads files"},
    {"FixedLengthRecordReaderV2", rules::kGraphFileOp, Severity::medium, "reads files"},
    {"TFRecordReader", rules::kGraphFileOp, Severity::medium, "reads files"},
    {"TFRecordReaderV2", rules::kGraphFileOp, Severity::medium, "reads files"},
    {"LMDBReader", rules::kGraphFileOp, Severity::medium, "reads files"},
    {"TextLineDataset", rules::kGraphFileOp, Severity::medium, "reads files"},
    {"TFRecordDataset", rules::kGraphFileOp, Severity::medium, "reads files"},
    {"TFRecordDatasetV2", rules::kGraphFileOp, Severity::medium, "reads files"},
    {"FixedLengthRecordDataset", rules::kGraphFileOp, Severity::medium, "reads files"},
    {"FixedLengthRecordDatasetV2", rules::kGraphFileOp, Severity::medium, "reads files"},
    {"LMDBDataset", rules::kGraphFileOp, Severity::medium, "reads files"},
    {"ExperimentalLMDBDataset", rules::kGraphFileOp, Severity::medium, "reads files"},
    {"CSVDataset", rules::kGraphFileOp, Severity::medium, "reads files"},
    {"CSVDatasetV2", rules::kGraphFileOp, Severity::medium, "reads files"},
    {"ExperimentalCSVDataset", rules::kGraphFileOp, Severity::medium, "reads files"},
    {"LoadDataset", rules::kGraphFileOp, Severity::medium, "reads a saved dataset"},
    {"ImmutableConst", rules::kGraphFileOp, Severity::medium, "maps a file into memory"},
    {"LoadAndRemapMatrix", rules::kGraphFileOp, Severity::medium, "reads a checkpoint file"},
    // Lookup tables read their vocabulary from the SavedModel's assets.
    {"InitializeTableFromTextFile", rules::kGraphFileOp, Severity::info,
     "reads a vocabulary file, usually one of the SavedModel's assets,"},
    {"InitializeTableFromTextFileV2", rules::kGraphFileOp, Severity::info,
     "reads a vocabulary file, usually one of the SavedModel's assets,"},
    {"Print", rules::kGraphOutputOp, Severity::low, "prints tensors to standard error"},
    {"PrintV2", rules::kGraphOutputOp, Severity::low, "prints tensors"},
    {"DebugIdentity", rules::kGraphOutputOp, Severity::medium, "copies tensors to a debugger"},
    {"DebugIdentityV2", rules::kGraphOutputOp, Severity::medium, "copies tensors to a debugger"},
    {"DebugIdentityV3", rules::kGraphOutputOp, Severity::medium, "copies tensors to a debugger"},
    {"DebugNanCount", rules::kGraphOutputOp, Severity::medium, "copies tensors to a debugger"},
    {"DebugNumericSummary", rules::kGraphOutputOp, Severity::medium, "sends tensor summaries"},
    {"DebugNumericSummaryV2", rules::kGraphOutputOp, Severity::medium, "sends tensor summaries"},
    {"DataServiceDataset", rules::kGraphOutputOp, Severity::high, "connects to a tf.data service"},
    {"DataServiceDatasetV2", rules::kGraphOutputOp, Severity::high,
     "connects to a tf.data service"},
    {"DataServiceDatasetV3", rules::kGraphOutputOp, Severity::high,
     "connects to a tf.data service"},
    {"DataServiceDatasetV4", rules::kGraphOutputOp, Severity::high,
     "connects to a tf.data service"},
    {"RegisterDataset", rules::kGraphOutputOp, Severity::high, "connects to a tf.data service"},
    {"RegisterDatasetV2", rules::kGraphOutputOp, Severity::high, "connects to a tf.data service"},
    {"RpcClient", rules::kGraphOutputOp, Severity::high, "opens an RPC connection"},
    {"RpcCall", rules::kGraphOutputOp, Severity::high, "makes an RPC call"},
    {"Rpc", rules::kGraphOutputOp, Severity::high, "makes an RPC call"},
    {"TryRpc", rules::kGraphOutputOp, Severity::high, "makes an RPC call"},
    {"RpcServer", rules::kGraphOutputOp, Severity::high, "starts an RPC server"},
};

const OpRule* rule_for(std::string_view op) {
    for (const auto& rule : kOpRules) {
        if (rule.op == op)
            return &rule;
    }
    return nullptr;
}

// Where a node's destination attribute sends data raises or lowers the
// risk: a file:// stream writes files, grpc:// leaves the machine.
Severity destination_severity(Severity base, const GraphNode& node) {
    Severity severity = base;
    for (const auto& destination : node.destinations) {
        if (destination.starts_with("file://") || destination.starts_with("grpc://"))
            severity = std::max(severity, Severity::high);
        else if (!destination.empty() && destination != "stderr" && destination != "stdout" &&
                 !destination.starts_with("log(") && node.op != "PrintV2")
            severity = std::max(severity, Severity::medium);
    }
    return severity;
}

std::string describe_node(const GraphNode& node) {
    std::string text = fmt::format("node '{}'", node.name);
    if (!node.function.empty())
        text += fmt::format(" in function '{}'", node.function);
    if (!node.destinations.empty())
        text += fmt::format(" sending to {}", fmt::join(node.destinations, ", "));
    return text;
}

constexpr size_t kMaxListedNodes = 10;

void report_ops(const Blob& blob, const GraphInventory& inventory, ScanContext& context) {
    std::map<std::string_view, std::vector<const GraphNode*>> by_op;
    for (const auto& node : inventory.nodes) {
        if (rule_for(node.op) != nullptr)
            by_op[node.op].push_back(&node);
    }
    for (const auto& [op, nodes] : by_op) {
        const auto* rule = rule_for(op);
        Severity severity = rule->severity;
        for (const auto* node : nodes)
            severity = std::max(severity, destination_severity(rule->severity, *node));
        auto finding =
            Finding::make(rule->rule,
                          fmt::format("The graph uses the op {} ({} node{}), which {} "
                                      "whenever the model runs.",
                                      op, nodes.size(), nodes.size() == 1 ? "" : "s", rule->what),
                          blob.location)
                .with_severity(severity)
                .at_offset(nodes.front()->offset)
                .with_fingerprint_key(std::string(op));
        for (size_t i = 0; i < nodes.size() && i < kMaxListedNodes; ++i)
            finding.with_evidence(describe_node(*nodes[i]));
        if (nodes.size() > kMaxListedNodes)
            finding.with_evidence(fmt::format("... and {} more", nodes.size() - kMaxListedNodes));
        context.report(std::move(finding));
    }
}

std::string_view base_name(std::string_view name) {
    const auto slash = name.find_last_of('/');
    return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

std::string_view format_name(TensorFlowFile kind) {
    switch (kind) {
        case TensorFlowFile::saved_model:
            return "tf-savedmodel";
        case TensorFlowFile::keras_metadata:
            return "keras-metadata";
        case TensorFlowFile::fingerprint:
            return "tf-fingerprint";
        case TensorFlowFile::graph_def:
            return "tf-graph";
    }
    return "tf-graph";
}

}  // namespace

TensorFlowFile tensorflow_file_kind(std::string_view name) {
    const auto base = base_name(name);
    if (base == "saved_model.pb")
        return TensorFlowFile::saved_model;
    if (base == "keras_metadata.pb")
        return TensorFlowFile::keras_metadata;
    if (base == "fingerprint.pb")
        return TensorFlowFile::fingerprint;
    return TensorFlowFile::graph_def;
}

GraphInventory read_tensorflow_file(ByteSpan bytes, TensorFlowFile kind) {
    GraphInventory inventory;
    if (bytes.size() > kMaxProtoMessage) {
        inventory.ok = false;
        inventory.error = "larger than the 2 GiB protobuf limit";
        return inventory;
    }
    ProtoField whole;
    whole.bytes = bytes;
    Decoder decoder(inventory);
    switch (kind) {
        case TensorFlowFile::saved_model:
            decoder.saved_model(whole);
            break;
        case TensorFlowFile::keras_metadata:
            decoder.keras_metadata(whole);
            break;
        case TensorFlowFile::fingerprint:
            decoder.any_message(whole, "FingerprintDef");
            break;
        case TensorFlowFile::graph_def:
            decoder.graph_def(whole);
            break;
    }
    return inventory;
}

// LIMITATION: SavedModels in text format (saved_model.pbtxt) are not parsed;
// TensorFlow reads them, hazmat does not look at them.
bool SavedModelAnalyzer::accepts(const Blob& blob, Format sniffed) const {
    return sniffed == Format::unknown && extension_of(blob.name) == ".pb";
}

void SavedModelAnalyzer::analyze(const Blob& blob, Format, ScanContext& context) const {
    const auto kind = tensorflow_file_kind(blob.name);
    context.count_format(format_name(kind));
    const auto inventory = read_tensorflow_file(blob.bytes.span(), kind);
    spdlog::debug("{}: {} meta graphs, {} functions, {} nodes, {} Keras metadata entries",
                  blob.location.to_display(), inventory.meta_graphs, inventory.functions,
                  inventory.nodes.size(), inventory.keras.size());
    // Whatever was decoded before an error is still reported.
    report_ops(blob, inventory, context);
    for (const auto& metadata : inventory.keras) {
        auto where = blob.location;
        where.offset = metadata.offset;
        analyze_keras_config_text(metadata.text, KerasConfigOrigin::savedmodel, blob, where, "",
                                  context);
    }
    if (!inventory.ok) {
        context.report(
            Finding::make(
                rules::kScanUnparseable,
                fmt::format("The TensorFlow file cannot be decoded as {} ({}); ops "
                            "after that point were not examined.",
                            kind == TensorFlowFile::graph_def ? "a GraphDef" : format_name(kind),
                            inventory.error),
                blob.location)
                .at_offset(inventory.error_offset));
    }
}

}  // namespace hazmat::models
