#pragma once

#include <memory>
#include <vector>

#include "core/analyzer.hpp"

namespace hazmat {

// Zips, read with hazmat's lenient reader the way PyTorch's loader reads
// them; libarchive takes over when no central directory can be found.
class ZipAnalyzer final : public Analyzer {
  public:
    std::string_view name() const override { return "zip"; }
    bool accepts(const Blob& blob, Format sniffed) const override;
    void analyze(const Blob& blob, Format sniffed, ScanContext& context) const override;
};

// tar and 7z, through libarchive.
class LibarchiveAnalyzer final : public Analyzer {
  public:
    std::string_view name() const override { return "libarchive"; }
    bool accepts(const Blob& blob, Format sniffed) const override;
    void analyze(const Blob& blob, Format sniffed, ScanContext& context) const override;
};

// gzip, bzip2, xz, lzma, lz4, zstd and zlib streams: undone by content and
// examined as a child (location part `decompressed`, named after the codec).
class DecompressionAnalyzer final : public Analyzer {
  public:
    std::string_view name() const override { return "decompress"; }
    bool accepts(const Blob& blob, Format sniffed) const override;
    void analyze(const Blob& blob, Format sniffed, ScanContext& context) const override;
};

// All of the above, in the order the dispatcher should try them.
std::vector<std::unique_ptr<Analyzer>> archive_analyzers();

}  // namespace hazmat
