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

}  // namespace hazmat::code
