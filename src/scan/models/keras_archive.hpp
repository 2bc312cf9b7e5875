#pragma once

#include "core/analyzer.hpp"

namespace hazmat::models {

// Keras 3 .keras archives: a zip with config.json (the model, read by
// keras.saving.load_model), metadata.json (the Keras version) and the
// weights. The config is analyzed as a whole, with findings located at the
// config.json member; the zip analyzer still hands every member, the weights
// included, to the dispatcher.
class KerasArchiveAnalyzer : public Analyzer {
  public:
    std::string_view name() const override { return "keras"; }
    bool accepts(const Blob& blob, Format sniffed) const override;
    // The zip analyzer identifies the container; this one reads its config.
    bool identifies_format() const override { return false; }
    void analyze(const Blob& blob, Format sniffed, ScanContext& context) const override;
};

}  // namespace hazmat::models
