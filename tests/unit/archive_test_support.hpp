#pragma once

// Shared by the archive tests: scanning a fixture through the archive
// analyzers plus a test-only analyzer that stands in for the pickle
// analyzer, so these tests depend on nothing but the archive code.

#include <algorithm>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/analyzer.hpp"
#include "core/archive/archive_analyzers.hpp"
#include "core/dispatcher.hpp"
#include "core/limits.hpp"
#include "core/mapped_file.hpp"
#include "core/report.hpp"
#include "core/scan_context.hpp"
#include "core/scanner.hpp"

namespace hazmat {

// Readable test failures: a location prints as the text renderer shows it.
inline void PrintTo(const Location& location, std::ostream* out) {
    *out << location.to_display();
}

}  // namespace hazmat

namespace hazmat::testing {

inline constexpr std::string_view kMarker = "hazmat-test";

// Accepts content that starts like the fixtures' stand-in pickle (protocol
// 2 or 0) and carries its marker, and records the location chain through
// which it was reached. Raw archives that merely contain the pickle's bytes
// are not pickles, so they are not recorded.
class MarkerAnalyzer final : public Analyzer {
  public:
    MarkerAnalyzer(std::vector<Location>& reached, std::vector<const uint8_t*>& data)
        : reached_(reached), data_(data) {}

    std::string_view name() const override { return "marker"; }
    bool accepts(const Blob& blob, Format /*sniffed*/) const override {
        const auto text = blob.bytes.as_chars();
        const bool pickle_start = text.starts_with("\x80\x02") || text.starts_with("cos\n");
        return pickle_start && text.find(kMarker) != std::string_view::npos;
    }
    void analyze(const Blob& blob, Format /*sniffed*/, ScanContext& /*context*/) const override {
        reached_.push_back(blob.location);
        data_.push_back(blob.bytes.data());
    }

  private:
    std::vector<Location>& reached_;
    std::vector<const uint8_t*>& data_;
};

struct ScanOutcome {
    std::vector<Finding> findings;
    std::vector<Location> reached;
    std::vector<const uint8_t*> reached_data;  // where each reached blob's bytes live

    std::vector<const Finding*> with_rule(std::string_view rule) const {
        std::vector<const Finding*> matching;
        for (const auto& finding : findings) {
            if (finding.rule_id == rule)
                matching.push_back(&finding);
        }
        return matching;
    }
};

inline std::string fixture_path(const std::string& name) {
    return std::string(HAZMAT_FIXTURES_DIR) + "/archive/" + name;
}

inline Bytes load_fixture(const std::string& name) {
    auto bytes = map_file(fixture_path(name));
    if (!bytes)
        throw std::runtime_error(bytes.error().message);
    return std::move(bytes).value();
}

// Scans `bytes` as a file named `name` with the archive analyzers and the
// marker analyzer.
inline ScanOutcome scan_as(Bytes bytes, const std::string& name, const ScanLimits& limits = {}) {
    ScanOutcome outcome;
    auto analyzers = archive_analyzers();
    analyzers.push_back(std::make_unique<MarkerAnalyzer>(outcome.reached, outcome.reached_data));
    const Dispatcher dispatcher(std::move(analyzers));
    Report report;
    scan_bytes(dispatcher, limits, std::move(bytes), name, report);
    report.finish();
    outcome.findings = report.findings();
    return outcome;
}

inline ScanOutcome scan_fixture(const std::string& name, const ScanLimits& limits = {}) {
    return scan_as(load_fixture(name), name, limits);
}

inline LocationPart file(std::string name) {
    return {LocationPart::Kind::file, std::move(name)};
}
inline LocationPart member(std::string name) {
    return {LocationPart::Kind::member, std::move(name)};
}
inline LocationPart decompressed(std::string name) {
    return {LocationPart::Kind::decompressed, std::move(name)};
}

inline Location chain(std::vector<LocationPart> parts) {
    Location location;
    location.chain = std::move(parts);
    return location;
}

inline bool has_evidence(const Finding& finding, std::string_view line) {
    return std::find(finding.evidence.begin(), finding.evidence.end(), line) !=
           finding.evidence.end();
}

}  // namespace hazmat::testing
