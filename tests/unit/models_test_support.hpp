#pragma once

// Helpers shared by the model analyzers' unit tests: fixtures from disk, a
// stand-in analyzer that records the nested blobs a model analyzer hands back
// to the dispatcher, and a way to run analyzers over bytes.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/analyzer.hpp"
#include "core/dispatcher.hpp"
#include "core/report.hpp"
#include "core/scan_context.hpp"
#include "core/scanner.hpp"

namespace hazmat::testing {

inline std::string read_fixture(const std::string& relative) {
    const auto path = std::filesystem::path(HAZMAT_FIXTURES_DIR) / relative;
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in) << "missing fixture " << path;
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline Bytes bytes_of(std::string text) {
    return bytes_from(std::move(text));
}

// What a model analyzer handed back for nested examination.
struct DispatchedBlob {
    Location location;
    std::string name;
    Format format = Format::unknown;  // as declared by the parent, else as sniffed
    std::string bytes;
    uint32_t depth = 0;
};

// Accepts every blob nested deeper than the one under test and records it,
// standing in for the pickle and archive analyzers that examine such blobs in
// the real dispatcher.
class RecordingAnalyzer : public Analyzer {
  public:
    RecordingAnalyzer(std::vector<DispatchedBlob>& sink, uint32_t input_depth)
        : sink_(sink), input_depth_(input_depth) {}
    std::string_view name() const override { return "recording"; }
    bool accepts(const Blob& blob, Format) const override { return blob.depth > input_depth_; }
    bool identifies_format() const override { return false; }
    void analyze(const Blob& blob, Format sniffed, ScanContext&) const override {
        sink_.push_back(
            {blob.location, blob.name, sniffed, std::string(blob.bytes.as_chars()), blob.depth});
    }

  private:
    std::vector<DispatchedBlob>& sink_;
    uint32_t input_depth_;
};

// Runs `analyzer` (plus the recorder) over `content` as a file named `name`.
struct AnalyzerRun {
    Report report;
    std::vector<DispatchedBlob> dispatched;

    const std::vector<Finding>& findings() {
        report.finish();
        return report.findings();
    }
};

inline std::unique_ptr<AnalyzerRun> run_analyzer(std::unique_ptr<Analyzer> analyzer,
                                                 std::string content, const std::string& name) {
    auto run = std::make_unique<AnalyzerRun>();
    std::vector<std::unique_ptr<Analyzer>> analyzers;
    analyzers.push_back(std::move(analyzer));
    analyzers.push_back(std::make_unique<RecordingAnalyzer>(run->dispatched, 0));
    const Dispatcher dispatcher(std::move(analyzers));
    scan_bytes(dispatcher, ScanLimits{}, bytes_of(std::move(content)), name, run->report);
    return run;
}

// Runs `analyzer` (plus the recorder) over a blob that is already nested, e.g.
// an archive member, as the archive analyzers would hand it over.
inline std::unique_ptr<AnalyzerRun> run_analyzer_on_blob(std::unique_ptr<Analyzer> analyzer,
                                                         const Blob& blob) {
    auto run = std::make_unique<AnalyzerRun>();
    std::vector<std::unique_ptr<Analyzer>> analyzers;
    analyzers.push_back(std::move(analyzer));
    analyzers.push_back(std::make_unique<RecordingAnalyzer>(run->dispatched, blob.depth));
    const Dispatcher dispatcher(std::move(analyzers));
    const ScanLimits limits;
    ScanContext context(dispatcher, run->report, limits);
    context.scan(blob);
    return run;
}

inline Location location_of(std::initializer_list<LocationPart> parts) {
    Location location;
    location.chain = parts;
    return location;
}

inline LocationPart file_part(std::string name) {
    return {LocationPart::Kind::file, std::move(name)};
}
inline LocationPart member_part(std::string name) {
    return {LocationPart::Kind::member, std::move(name)};
}
inline LocationPart embedded_part(std::string name) {
    return {LocationPart::Kind::embedded, std::move(name)};
}
inline LocationPart stream_part(std::string name) {
    return {LocationPart::Kind::stream, std::move(name)};
}

// A member of a tar fixture, read with libarchive.
std::string tar_member(const std::string& fixture, const std::string& member);

}  // namespace hazmat::testing
