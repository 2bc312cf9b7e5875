#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/analyzer.hpp"
#include "core/bytes.hpp"

namespace hazmat::models {

// One node of a TensorFlow graph or of a function in its library.
struct GraphNode {
    std::string name;
    std::string op;
    std::string function;  // the library function holding the node, "" for the main graph
    uint64_t offset = 0;   // of the NodeDef in the file
    // Attributes that say where an op sends data: PrintV2's output_stream,
    // the debug ops' debug_urls.
    std::vector<std::string> destinations;
};

// Keras metadata JSON found in the file (keras_metadata.pb nodes, or the
// metadata of a SavedModel's user objects).
struct KerasMetadata {
    std::string text;
    std::string node;     // node path or object index, for evidence
    uint64_t offset = 0;  // of the JSON text in the file
};

struct GraphInventory {
    std::vector<GraphNode> nodes;
    std::vector<KerasMetadata> keras;
    uint64_t meta_graphs = 0;
    uint64_t functions = 0;
    bool ok = true;
    std::string error;
    uint64_t error_offset = 0;
};

enum class TensorFlowFile {
    saved_model,     // saved_model.pb: SavedModel
    keras_metadata,  // keras_metadata.pb: Keras' SavedMetadata
    fingerprint,     // fingerprint.pb: FingerprintDef, no graph
    graph_def,       // any other .pb: a frozen GraphDef
};

TensorFlowFile tensorflow_file_kind(std::string_view name);

// Decodes the protobuf wire format of a TensorFlow file (no generated
// classes) and lists every node of every graph and library function, with
// the attributes that name destinations, plus any Keras metadata.
GraphInventory read_tensorflow_file(ByteSpan bytes, TensorFlowFile kind);

// TensorFlow SavedModels and frozen graphs. A graph is a program: ops that
// run Python (PyFunc), read or write files, print or send data somewhere run
// whenever the model does. Checkpoint save and restore ops, which every
// SavedModel has, stay quiet. Keras metadata gets the Keras config analysis.
class SavedModelAnalyzer : public Analyzer {
  public:
    std::string_view name() const override { return "tensorflow"; }
    bool accepts(const Blob& blob, Format sniffed) const override;
    void analyze(const Blob& blob, Format sniffed, ScanContext& context) const override;
};

}  // namespace hazmat::models
