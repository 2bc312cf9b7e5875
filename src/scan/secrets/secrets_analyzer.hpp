#pragma once

#include <filesystem>
#include <memory>

#include "core/analyzer.hpp"
#include "core/result.hpp"
#include "scan/secrets/detector.hpp"

namespace hazmat::secrets {

// How the analyzer treats a blob, decided from samples of its bytes.
enum class ContentKind {
    text,    // all rules, with line and column
    binary,  // specific rules only (no generic shapes), byte offsets
    skip,    // large binary (tensor data, media): not examined
};

// Binary content up to this size is still searched for credentials: a
// compiled .pyc, a small pickle or a SQLite file keeps strings verbatim.
inline constexpr size_t kMaxBinaryBytes = 16ull << 20;

// Samples the head, middle and tail (4 KiB each). Text is at most 1% NUL
// bytes and at least 90% printable ASCII, whitespace or UTF-8 bytes in every
// sample. Larger binaries are skipped unless one sample looks like text.
ContentKind classify_content(std::span<const uint8_t> bytes);

// Looks for leaked credentials in any content: files, archive members,
// decompressed streams and git blobs. Notebooks are read cell by cell.
class SecretsAnalyzer : public Analyzer {
  public:
    explicit SecretsAnalyzer(std::unique_ptr<const SecretDetector> detector);

    // Loads rules/secrets/*.toml from the data directory and compiles them.
    // Every rule id must be known to the registry (the data directory must
    // match this build).
    static Result<std::unique_ptr<SecretsAnalyzer>> load(const std::filesystem::path& rules_dir);

    std::string_view name() const override { return "secrets"; }
    bool accepts(const Blob& blob, Format sniffed) const override;
    bool identifies_format() const override { return false; }
    void analyze(const Blob& blob, Format sniffed, ScanContext& context) const override;

    const SecretDetector& detector() const { return *detector_; }

  private:
    void scan_text(std::string_view text, const Location& where, bool binary,
                   ScanContext& context) const;
    bool scan_notebook(const Blob& blob, ScanContext& context) const;
    void report_scanner_config(const Blob& blob, ScanContext& context) const;

    std::unique_ptr<const SecretDetector> detector_;
};

}  // namespace hazmat::secrets
