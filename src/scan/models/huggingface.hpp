#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/analyzer.hpp"

namespace hazmat::models {

// One class a Hugging Face config maps to custom code.
struct RemoteCodeReference {
    std::string auto_class;  // "AutoModelForCausalLM", or "pipeline 'text-gen'"
    std::string reference;   // "modeling_foo.FooModel" or "org/repo--modeling_foo.FooModel"
    std::string repository;  // "org/repo" when the code lives in another repository
    std::string module;      // "modeling_foo"
};

// The references in a config's auto_map (AutoConfig, AutoModel*,
// AutoTokenizer pairs ...) and custom_pipelines, in file order.
std::vector<RemoteCodeReference> remote_code_references(const nlohmann::json& config);

// The .py files transformers' get_relative_import_files would fetch along
// with `module_file`: its `from .x import` and `import .x` imports, followed
// recursively. Files are read from `directory`; missing ones are listed too.
std::vector<std::string> relative_import_files(const std::filesystem::path& directory,
                                               const std::string& module_file);

// Hugging Face repository configs (config.json, tokenizer_config.json,
// processor and feature-extractor configs). auto_map and custom_pipelines
// name Python modules that transformers imports and runs when the user
// passes trust_remote_code=True; each is reported with the files it loads.
// Chat templates in tokenizer configs are checked for escapes to Python.
class HuggingFaceConfigAnalyzer : public Analyzer {
  public:
    std::string_view name() const override { return "huggingface-config"; }
    bool accepts(const Blob& blob, Format sniffed) const override;
    // Config files are JSON text, not a model format.
    bool identifies_format() const override { return false; }
    void analyze(const Blob& blob, Format sniffed, ScanContext& context) const override;
};

}  // namespace hazmat::models
