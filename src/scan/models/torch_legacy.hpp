#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/analyzer.hpp"
#include "core/bytes.hpp"

namespace hazmat::models {

// A pickle inside a container that mixes pickles with raw records.
struct PickleSegment {
    uint64_t offset = 0;
    uint64_t length = 0;
};

// Where a layout split stopped, when it did not reach the end.
struct LayoutBreak {
    std::string message;
    uint64_t offset = 0;
    // Set when the break is inside a pickle: where that pickle starts. A loader
    // executes its opcodes up to the break, so it still needs examining.
    std::optional<uint64_t> unparsed_pickle_offset;
};

struct LegacyLayout {
    std::vector<PickleSegment> pickles;  // in file order; five when complete
    uint64_t data_offset = 0;            // raw storage data after the fifth pickle
    std::optional<LayoutBreak> broken;
};

// True when `bytes` starts with the pickled magic number torch.save writes at
// the start of the pre-1.6 format (_use_new_zipfile_serialization=False).
bool is_torch_legacy_checkpoint(ByteSpan bytes);

// torch.serialization._legacy_load reads five consecutive pickles: the magic
// number, the protocol version, system info, the saved object (with storages
// as persistent ids) and the list of storage keys; raw storage data follows
// and is copied into tensors, never unpickled.
LegacyLayout split_torch_legacy(ByteSpan bytes);

enum class TorchTarRecord { storages, tensors };

struct TarRecordLayout {
    std::vector<PickleSegment> pickles;
    uint64_t end = 0;  // first byte torch does not read
    std::optional<LayoutBreak> broken;
};

// The `storages` member of PyTorch's tar layout: a pickled count, then per
// storage a pickled (key, location, storage type) followed by an 8-byte element
// count and the elements, then a pickled list of storage views. The element
// size comes from the storage type the pickle names (torch.FloatStorage: 4).
TarRecordLayout split_torch_tar_storages(ByteSpan bytes);

// The `tensors` member: a pickled count, then per tensor a pickled
// (key, storage id, tensor type) followed by a 4-byte dimension count, 4
// unused bytes, the sizes, the strides (8 bytes each) and an 8-byte offset.
TarRecordLayout split_torch_tar_tensors(ByteSpan bytes);

// Which record a blob is: an archive member named exactly `storages` or
// `tensors` (torch's legacy_load extracts those names) whose content starts
// like a pickle.
std::optional<TorchTarRecord> torch_tar_record_kind(const Blob& blob);

// Blobs whose pickles these analyzers split out and dispatch one by one, each
// declared Format::pickle. The pickle analyzer must leave these blobs
// themselves alone: read as one stream of consecutive pickles, their raw
// records would be misread as opcodes.
bool torch_legacy_splits_pickles(const Blob& blob, Format sniffed);

// The pre-1.6 PyTorch format: dispatches its five pickles ("pickle 1" to
// "pickle 5") and counts "pytorch-legacy".
class TorchLegacyAnalyzer : public Analyzer {
  public:
    std::string_view name() const override { return "pytorch-legacy"; }
    bool accepts(const Blob& blob, Format sniffed) const override;
    // Read as one pickle, the raw storage records would look like garbage
    // opcodes; each pickle is handed back on its own instead.
    bool claims_exclusively(const Blob&, Format) const override { return true; }
    void analyze(const Blob& blob, Format sniffed, ScanContext& context) const override;
};

// The `storages` and `tensors` members of PyTorch's tar layout (its first
// releases, still read by torch.load): dispatches every pickle between the raw
// records and counts "pytorch-tar" once per archive (at its storages member).
class TorchTarRecordAnalyzer : public Analyzer {
  public:
    std::string_view name() const override { return "pytorch-tar"; }
    bool accepts(const Blob& blob, Format sniffed) const override;
    bool claims_exclusively(const Blob&, Format) const override { return true; }
    void analyze(const Blob& blob, Format sniffed, ScanContext& context) const override;
};

}  // namespace hazmat::models
