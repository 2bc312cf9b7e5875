#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/analyzer.hpp"
#include "core/finding.hpp"

namespace hazmat::models {

enum class TorchArchiveKind {
    none,         // not an archive torch.load or torch.jit.load would read
    pytorch_zip,  // torch.save (format of PyTorch 1.6 and later)
    torchscript,  // torch.jit.save; torch.load hands these to torch.jit.load
};

std::string_view to_string(TorchArchiveKind kind);

// How PyTorch's reader sees a zip archive, from member names alone.
struct TorchArchiveLayout {
    TorchArchiveKind kind = TorchArchiveKind::none;
    // The directory every record lives in, without the slash ("sentiment-head"):
    // the part of the FIRST central-directory name before its first '/'.
    std::string prefix;
    std::vector<std::string> pickle_members;  // *.pkl and *.debug_pkl records
    std::vector<std::string> code_members;    // code/**.py and *.debug_pkl records
    std::optional<std::string> version_member;
    // Members outside the prefix: torch never reads them, but they are still
    // examined like every other member.
    std::vector<std::string> foreign_members;
};

// Classifies an archive the way caffe2's PyTorchStreamReader and torch.load
// do: the record prefix comes from the first entry's name, records are looked
// up as "<prefix>/<name>", "data.pkl" is what torch.load unpickles, and an
// archive with "constants.pkl" (or compiled code) is TorchScript, which
// torch.load forwards to torch.jit.load.
TorchArchiveLayout classify_torch_archive(std::span<const std::string> member_names);

// HZ-MDL-004 for TorchScript archives, listing the code torch.jit.load
// compiles; nothing for other kinds.
std::vector<Finding> torch_archive_findings(const TorchArchiveLayout& layout,
                                            const Location& archive);

// Counts zip archives that PyTorch reads ("pytorch-zip", "torchscript") and
// reports TorchScript code. It does not dispatch members: the zip analyzer
// hands every member to the dispatcher, and the pickle analyzer recognises
// each pickle by content, whatever its name.
class TorchArchiveAnalyzer : public Analyzer {
  public:
    std::string_view name() const override { return "pytorch-zip"; }
    bool accepts(const Blob& blob, Format sniffed) const override;
    // A format analyzer like the zip one: when an analyzer claims the blob
    // whole (a distributed-checkpoint shard), it stands aside with the zip
    // analyzer, and the archive handed back is classified there, once.
    void analyze(const Blob& blob, Format sniffed, ScanContext& context) const override;
};

}  // namespace hazmat::models
