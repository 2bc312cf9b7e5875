#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/rule_ids.hpp"
#include "formats_test_support.hpp"
#include "report/render.hpp"

namespace hazmat {
namespace {

using hazmat::testing::file_part;
using hazmat::testing::location_of;
using hazmat::testing::member_part;

Location at(std::initializer_list<LocationPart> parts) {
    return hazmat::testing::location_of(parts);
}

// Three safetensors files (one clean, one with a finding nested inside it,
// one unverified), a zip whose member has an info finding only.
void fill(Report& report) {
    report.count_object("safetensors", at({file_part("a.safetensors")}));
    report.count_object("safetensors", at({file_part("b.safetensors")}));
    report.count_object("safetensors", at({file_part("c.safetensors")}));
    report.count_object("zip", at({file_part("d.zip")}));
    report.count_format("pickle");  // counted without a location: no outcome
    report.add(Finding::make(rules::kDataOutsideStructure, "tail",
                             at({file_part("b.safetensors"),
                                 {LocationPart::Kind::embedded, "data after the tensors"}})));
    report.add(Finding::make(rules::kScanUnparseable, "bad", at({file_part("c.safetensors")})));
    report.add(Finding::make(rules::kTorchScriptCode, "code",
                             at({file_part("d.zip"), member_part("archive/code/x.py")})));
    report.finish();
}

TEST(FormatOutcomes, ClassifiesObjectsByTheFindingsInsideThem) {
    Report report;
    fill(report);
    const auto& outcomes = report.stats().outcomes;
    ASSERT_EQ(outcomes.size(), 2u);
    const auto& safetensors = outcomes.at("safetensors");
    EXPECT_EQ(safetensors.objects, 3u);
    EXPECT_EQ(safetensors.clean, 1u);
    EXPECT_EQ(safetensors.with_findings, 1u);
    EXPECT_EQ(safetensors.unverified, 1u);
    // Info findings do not make an object "with findings".
    EXPECT_EQ(outcomes.at("zip").clean, 1u);
    EXPECT_EQ(report.stats().formats.at("pickle"), 1u);
    EXPECT_EQ(report.stats().formats.at("safetensors"), 3u);
}

TEST(FormatOutcomes, AppearInTextAndJson) {
    Report report;
    fill(report);
    const auto text = render_text(report, TextOptions{});
    EXPECT_NE(text.find("By format: 3 safetensors: 1 clean, 1 with findings, 1 unverified; "
                        "1 zip clean.\n"),
              std::string::npos)
        << text;
    const auto json = nlohmann::json::parse(render_json(report));
    EXPECT_EQ(
        json["summary"]["outcomes"]["safetensors"],
        (nlohmann::json{{"objects", 3}, {"clean", 1}, {"with_findings", 1}, {"unverified", 1}}));
}

// An analyzer that counts every blob it sees as "thing".
class CountingAnalyzer : public Analyzer {
  public:
    std::string_view name() const override { return "counting"; }
    bool accepts(const Blob&, Format) const override { return true; }
    void analyze(const Blob& blob, Format, ScanContext& context) const override {
        context.count_format("thing");
        if (blob.depth == 0) {
            Blob child;
            child.bytes = hazmat::testing::bytes_of("inner");
            child.location = blob.location.child(LocationPart::Kind::embedded, "inner");
            child.depth = 1;
            context.scan(child);
            context.report(Finding::make(rules::kScanUnparseable, "inner is bad", child.location));
        }
    }
};

TEST(FormatOutcomes, ScanContextAttachesTheBlobBeingExamined) {
    std::vector<std::unique_ptr<Analyzer>> analyzers;
    analyzers.push_back(std::make_unique<CountingAnalyzer>());
    const Dispatcher dispatcher(std::move(analyzers));
    Report report;
    scan_bytes(dispatcher, ScanLimits{}, hazmat::testing::bytes_of("outer"), "f.bin", report);
    report.finish();
    // The outer object holds the inner one's finding; both are unverified.
    const auto& thing = report.stats().outcomes.at("thing");
    EXPECT_EQ(thing.objects, 2u);
    EXPECT_EQ(thing.unverified, 2u);
}

}  // namespace
}  // namespace hazmat
