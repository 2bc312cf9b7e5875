#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/blob.hpp"
#include "core/severity.hpp"

namespace hazmat {
class ScanContext;
}

namespace hazmat::models {

// Where a Keras config was found; loaders differ in what they allow.
enum class KerasConfigOrigin {
    keras_v3,    // config.json of a .keras archive: Keras 3 with safe_mode
    legacy_h5,   // model_config of an HDF5 file: no safe_mode at all (CVE-2025-9905)
    savedmodel,  // Keras metadata in a TensorFlow SavedModel
};

struct KerasIssue {
    std::string_view rule;
    Severity severity = Severity::high;
    std::string message;
    std::vector<std::string> evidence;
    std::string path;  // where in the JSON ("config.layers[2].config.function")
};

// Bytes a config carries for another loader: the torch.save archive inside a
// TorchModuleWrapper, which torch.load unpickles.
struct KerasPayload {
    std::string name;  // "TorchModuleWrapper 'torch_module' module"
    std::string bytes;
};

struct KerasConfigAnalysis {
    std::vector<KerasIssue> issues;
    std::vector<KerasPayload> payloads;
    uint64_t objects = 0;  // serialized objects ({"class_name": ...}) walked
};

// Walks a whole Keras config (functional and sequential models, wrappers,
// nested models, shared layers, compile and training configs: every
// {"class_name": ...} object at any depth) the way Keras' deserializers
// would resolve it, and collects what can run code: Lambda layers with
// marshalled bytecode, callables from modules outside Keras, Keras
// functions that download, load or switch safe mode off, TorchModuleWrapper
// and TFSMLayer entries, and custom objects. Never imports or runs anything.
KerasConfigAnalysis analyze_keras_config(const nlohmann::json& config, KerasConfigOrigin origin);

// Reports an analysis as findings at `where` (the config's location) and
// hands embedded payloads back for examination as children of `parent`.
// `keras_version` (from metadata, may be empty) goes into the evidence.
void report_keras_analysis(const KerasConfigAnalysis& analysis, const Blob& parent,
                           const Location& where, std::string_view keras_version,
                           ScanContext& context);

// Parses `text` as a Keras config and reports it; unparseable JSON is an
// HZ-SCAN-002 finding. Returns false when the text is not JSON.
bool analyze_keras_config_text(std::string_view text, KerasConfigOrigin origin, const Blob& parent,
                               const Location& where, std::string_view keras_version,
                               ScanContext& context);

// Identifier-like strings found in marshalled Python code (names, attribute
// names and string constants), for evidence; at most `limit`.
std::vector<std::string> marshal_names(std::string_view code, size_t limit = 16);

// Base64 as Python's codecs module writes it (line breaks allowed).
std::optional<std::string> decode_base64(std::string_view text);

}  // namespace hazmat::models
