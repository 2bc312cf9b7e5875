#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/analyzer.hpp"

namespace hazmat::models {

// A call like `ops.my_ops.warp(x)` or `torch.ops.my_ops.warp(x)` in
// TorchScript code.
struct TorchOpCall {
    std::string ns;
    std::string op;
    uint32_t line = 0;
    uint32_t column = 0;
};

// Operator calls in the code of a TorchScript archive whose namespace is not
// one PyTorch (or torchvision / torchaudio) registers. Comments and string
// literals are skipped, so a comment mentioning ops.x.y is not a call.
std::vector<TorchOpCall> find_custom_op_calls(std::string_view code);

// The code members of TorchScript archives (<archive>/code/**.py). torch.jit
// resolves `ops.<namespace>.<op>` against operators registered by native
// libraries; a namespace PyTorch does not define means the model only loads
// after the user loads a shared library, native code the project ships or
// names. The source-code rules for these members belong to the code
// analyzers, which receive every member from the zip analyzer.
class TorchScriptCodeAnalyzer : public Analyzer {
  public:
    std::string_view name() const override { return "torchscript-code"; }
    bool accepts(const Blob& blob, Format sniffed) const override;
    // Code members are text; the zip analyzer identifies the archive.
    bool identifies_format() const override { return false; }
    void analyze(const Blob& blob, Format sniffed, ScanContext& context) const override;
};

}  // namespace hazmat::models
