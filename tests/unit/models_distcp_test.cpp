#include <gtest/gtest.h>

#include "core/rule_ids.hpp"
#include "models_test_support.hpp"
#include "scan/models/distcp.hpp"

namespace hazmat::models {

void PrintTo(const ShardSegment& segment, std::ostream* out) {
    *out << "{" << segment.offset << ", " << segment.length << ", "
         << (segment.is_archive ? "archive" : "data") << "}";
}

namespace {

using hazmat::testing::file_part;
using hazmat::testing::location_of;
using hazmat::testing::read_fixture;
using hazmat::testing::run_analyzer;
using hazmat::testing::stream_part;

ByteSpan span_of(const std::string& text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// A shard written by torch.distributed.checkpoint (PyTorch 1.13): the
// non-tensor value first, then the two tensors, each a torch.save archive.
const std::string& benign_shard() {
    static const std::string shard = read_fixture("models/benign/distcp/__0_0.distcp");
    return shard;
}

TEST(Distcp, SplitsTheArchivesTorchWroteBackToBack) {
    EXPECT_EQ(split_concatenated_archives(span_of(benign_shard())),
              (std::vector<ShardSegment>{{0, 431, true}, {431, 747, true}, {1178, 747, true}}));
}

TEST(Distcp, AccountsForBytesNoArchiveClaims) {
    const auto& shard = benign_shard();
    const std::string crafted =
        "junk" + shard.substr(0, 431) + "between" + shard.substr(431) + "tail";
    EXPECT_EQ(split_concatenated_archives(span_of(crafted)),
              (std::vector<ShardSegment>{{0, 4, false},
                                         {4, 431, true},
                                         {435, 7, false},
                                         {442, 747, true},
                                         {1189, 747, true},
                                         {1936, 4, false}}));
    EXPECT_EQ(split_concatenated_archives(span_of("no archive here")),
              (std::vector<ShardSegment>{{0, 15, false}}));
    EXPECT_TRUE(split_concatenated_archives(span_of("")).empty());
}

TEST(Distcp, HandsOverEveryArchiveOfTheShard) {
    const auto shard = read_fixture("models/malicious/distcp_payload/__0_0.distcp");
    auto run = run_analyzer(std::make_unique<DistcpAnalyzer>(), shard, "ckpt/__0_0.distcp");

    // A zip reader would see only the archive at the end; the payload sits in
    // the first one, which torch.load reads at the offset .metadata gives.
    ASSERT_EQ(run->dispatched.size(), 3u);
    EXPECT_EQ(run->dispatched[0].location,
              location_of({file_part("ckpt/__0_0.distcp"), stream_part("archive at byte 0")}));
    EXPECT_EQ(run->dispatched[0].format, Format::zip);
    EXPECT_EQ(run->dispatched[0].bytes, shard.substr(0, 431));
    EXPECT_NE(run->dispatched[0].bytes.find("cbuiltins\neval\n"), std::string::npos);
    EXPECT_EQ(run->dispatched[1].location,
              location_of({file_part("ckpt/__0_0.distcp"), stream_part("archive at byte 431")}));
    EXPECT_EQ(run->dispatched[2].location,
              location_of({file_part("ckpt/__0_0.distcp"), stream_part("archive at byte 1178")}));
    EXPECT_TRUE(run->findings().empty());
    EXPECT_EQ(run->report.stats().formats.at("pytorch-distcp"), 1u);
}

TEST(Distcp, ReportsAndExaminesDataBetweenArchives) {
    const auto& shard = benign_shard();
    const std::string hidden =
        "\x80\x02"
        "cos\nsystem\n.";
    const std::string crafted = shard.substr(0, 431) + hidden + shard.substr(431);
    auto run = run_analyzer(std::make_unique<DistcpAnalyzer>(), crafted, "__0_0.distcp");

    const auto& findings = run->findings();
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].rule_id, rules::kDataOutsideStructure);
    EXPECT_EQ(findings[0].severity, Severity::medium);
    EXPECT_EQ(findings[0].location.offset, 431u);
    ASSERT_EQ(run->dispatched.size(), 4u);
    EXPECT_EQ(run->dispatched[1].location,
              location_of({file_part("__0_0.distcp"), stream_part("data at byte 431")}));
    EXPECT_EQ(run->dispatched[1].bytes, hidden);
    EXPECT_EQ(run->dispatched[1].format, Format::unknown);
}

TEST(Distcp, ShardThatDoesNotSniffAsZipHasEveryArchiveHandedOver) {
    const std::string crafted = "\x80\x02N." + benign_shard();
    auto run = run_analyzer(std::make_unique<DistcpAnalyzer>(), crafted, "__0_0.distcp");
    ASSERT_EQ(run->dispatched.size(), 4u);
    EXPECT_EQ(run->dispatched[3].location,
              location_of({file_part("__0_0.distcp"), stream_part("archive at byte 1182")}));
}

TEST(Distcp, SingleArchiveShardIsHandedOverWhole) {
    auto run = run_analyzer(std::make_unique<DistcpAnalyzer>(), benign_shard().substr(1178),
                            "__0_1.distcp");
    ASSERT_EQ(run->dispatched.size(), 1u);
    EXPECT_EQ(run->dispatched[0].location,
              location_of({file_part("__0_1.distcp"), stream_part("archive at byte 0")}));
    EXPECT_TRUE(run->findings().empty());
}

TEST(Distcp, ClaimsTheShardSoNoZipReaderMisreadsIt) {
    Blob blob;
    blob.bytes = hazmat::testing::bytes_of(benign_shard());
    blob.name = "ckpt/__0_0.distcp";
    EXPECT_TRUE(DistcpAnalyzer().claims_exclusively(blob, Format::zip));
}

TEST(Distcp, OnlyShardsAreAccepted) {
    Blob blob;
    blob.bytes = hazmat::testing::bytes_of(benign_shard());
    blob.name = "model.pt";
    EXPECT_FALSE(DistcpAnalyzer().accepts(blob, Format::zip));
    blob.name = "ckpt/__1_0.distcp";
    EXPECT_TRUE(DistcpAnalyzer().accepts(blob, Format::zip));
    EXPECT_FALSE(DistcpAnalyzer().accepts(blob, Format::pickle));
}

}  // namespace
}  // namespace hazmat::models
