#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/analyzer.hpp"

namespace hazmat::code {

// Reviews source code, install hooks, notebooks, Dockerfiles and CI
// workflows: files on disk and archive members alike (a TorchScript
// archive's code/ members, an sdist's setup.py). Looks at text, so it never
// claims to identify a model format.
class CodeAnalyzer final : public Analyzer {
  public:
    // `scan_roots` are the scan targets as the user gave them; paths are
    // judged (tests/, docs/, examples/) relative to them.
    explicit CodeAnalyzer(std::vector<std::string> scan_roots = {})
        : scan_roots_(std::move(scan_roots)) {}

    std::string_view name() const override { return "code"; }
    bool accepts(const Blob& blob, Format sniffed) const override;
    bool identifies_format() const override { return false; }
    void analyze(const Blob& blob, Format sniffed, ScanContext& context) const override;

    // The blob's path relative to the scan root it came from, with archive
    // member names appended ("pkg-1.0.tar.gz/pkg-1.0/tests/test_x.py").
    std::string relative_path(const Blob& blob) const;

  private:
    std::vector<std::string> scan_roots_;
};

// Python path configuration files (site-packages .pth). The extension is
// shared with PyTorch checkpoints, so this analyzer identifies the format
// positively, from content that only a path file has: text lines that are
// paths, comments or import statements. A checkpoint renamed or a pickle
// written in text protocol 0 does not qualify, and still meets the
// unknown-model check when nothing else recognises it.
class PthAnalyzer final : public Analyzer {
  public:
    explicit PthAnalyzer(std::vector<std::string> scan_roots = {}) : code_(std::move(scan_roots)) {}

    std::string_view name() const override { return "pth"; }
    bool accepts(const Blob& blob, Format sniffed) const override;
    void analyze(const Blob& blob, Format sniffed, ScanContext& context) const override;

  private:
    CodeAnalyzer code_;
};

// The code analyzers, in dispatch order.
std::vector<std::unique_ptr<Analyzer>> code_analyzers(const std::vector<std::string>& scan_roots);

// Whether text has the shape of a .pth file (see PthAnalyzer).
bool looks_like_path_file(std::string_view text);

}  // namespace hazmat::code
