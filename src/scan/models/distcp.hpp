#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/analyzer.hpp"
#include "core/bytes.hpp"

namespace hazmat::models {

// One piece of a distributed checkpoint shard.
struct ShardSegment {
    uint64_t offset = 0;
    uint64_t length = 0;
    bool is_archive = false;  // a complete zip archive; otherwise unaccounted bytes

    bool operator==(const ShardSegment&) const = default;
};

// Splits bytes that hold several zip archives back to back, as
// torch.distributed.checkpoint's FileSystemWriter writes them: every tensor and
// every non-tensor value is a separate torch.save archive appended to the
// shard, at an offset recorded in the checkpoint's .metadata. Archives are found
// from the end, each end-of-central-directory record (zip64 included) giving
// the start of its archive; bytes no archive accounts for become segments of
// their own. Segments are returned in file order and cover every byte.
std::vector<ShardSegment> split_concatenated_archives(ByteSpan bytes);

// Whether a blob is a shard of a torch.distributed checkpoint (named
// "*.distcp"). Its archives are the DistcpAnalyzer's to examine: the zip
// analyzer would treat the leading ones as data prepended to the last.
bool is_distributed_checkpoint_shard(const Blob& blob);

// A `.distcp` shard of a torch.distributed checkpoint (the directory also
// holds a `.metadata` pickle, which the pickle analyzer examines). A zip reader
// sees only the archive at the end of the shard; this analyzer dispatches every
// archive ("archive at byte N", declared zip) so that each one's pickles
// are examined, and reports bytes between archives (HZ-MDL-006), which it also
// dispatches. Counts "pytorch-distcp".
class DistcpAnalyzer : public Analyzer {
  public:
    std::string_view name() const override { return "pytorch-distcp"; }
    // The shard's role comes from its name in the checkpoint directory; its
    // content (concatenated archives) decides how it is read.
    bool accepts(const Blob& blob, Format sniffed) const override;
    // A zip reader would see only the last archive and call the others
    // prepended data; each archive is handed back on its own instead.
    bool claims_exclusively(const Blob&, Format) const override { return true; }
    void analyze(const Blob& blob, Format sniffed, ScanContext& context) const override;
};

}  // namespace hazmat::models
