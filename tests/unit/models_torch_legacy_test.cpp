#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/rule_ids.hpp"
#include "models_test_support.hpp"
#include "scan/models/pickle_extent.hpp"
#include "scan/models/torch_legacy.hpp"

namespace hazmat::models {
namespace {

using namespace std::string_literals;

using hazmat::testing::embedded_part;
using hazmat::testing::file_part;
using hazmat::testing::location_of;
using hazmat::testing::member_part;
using hazmat::testing::read_fixture;
using hazmat::testing::run_analyzer;
using hazmat::testing::run_analyzer_on_blob;
using hazmat::testing::stream_part;
using hazmat::testing::tar_member;

ByteSpan span_of(const std::string& text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

std::vector<uint64_t> offsets_of(const std::vector<PickleSegment>& segments) {
    std::vector<uint64_t> offsets;
    for (const auto& segment : segments)
        offsets.push_back(segment.offset);
    return offsets;
}

Blob tar_record_blob(const std::string& fixture, const std::string& member) {
    Blob blob;
    blob.bytes = hazmat::testing::bytes_of(tar_member(fixture, member));
    blob.location = location_of({file_part("x.tar"), member_part(member)});
    blob.name = member;
    blob.depth = 1;
    return blob;
}

TEST(PickleExtent, FindsEndGlobalsAndIntegers) {
    const std::string stream = "\x80\x02K\x05.trailing";
    const auto measured = measure_pickle(span_of(stream));
    ASSERT_TRUE(measured.ok) << measured.error;
    EXPECT_EQ(measured.extent.end, 5u);
    EXPECT_EQ(measured.extent.integer, 5);

    const std::string call =
        "\x80\x02"
        "cos\nsystem\n"
        "\x8c\x04"
        "echo\x85R.";
    const auto with_global = measure_pickle(span_of(call));
    ASSERT_TRUE(with_global.ok);
    EXPECT_EQ(with_global.extent.globals, std::vector<std::string>{"os.system"});
    EXPECT_FALSE(with_global.extent.integer);
}

TEST(PickleExtent, ResolvesStackGlobalThroughTheMemo) {
    // The memo trick of the example project's payload.
    const std::string stream =
        "\x80\x04\x8c\x05pydocq\x00"
        "0\x8c\x09pipepagerq\x01"
        "0h\x00h\x01\x93N."s;
    const auto measured = measure_pickle(span_of(stream));
    ASSERT_TRUE(measured.ok) << measured.error;
    EXPECT_EQ(measured.extent.globals, std::vector<std::string>{"pydoc.pipepager"});
    EXPECT_EQ(measured.extent.unresolved_globals, 0u);

    const std::string computed = "\x80\x04N\x8c\x01x\x93.";
    EXPECT_EQ(measure_pickle(span_of(computed)).extent.unresolved_globals, 1u);
}

TEST(PickleExtent, ReportsUnknownOpcodesAndTruncation) {
    const auto unknown = measure_pickle(span_of(std::string("\x80\x02\xff.", 4)));
    EXPECT_FALSE(unknown.ok);
    EXPECT_EQ(unknown.error, "unknown pickle opcode 0xff");
    EXPECT_EQ(unknown.error_offset, 2u);

    const auto truncated = measure_pickle(span_of(std::string("\x80\x02X\x10\x00\x00\x00ab", 9)));
    EXPECT_FALSE(truncated.ok);
    EXPECT_EQ(truncated.error_offset, 2u);

    EXPECT_EQ(measure_pickle(span_of("\x80\x02N")).error, "pickle ends without a STOP opcode");
}

TEST(TorchLegacy, RecognisesTheMagicNumberPickle) {
    EXPECT_TRUE(is_torch_legacy_checkpoint(span_of(read_fixture("models/benign/torch_legacy.pt"))));
    EXPECT_TRUE(is_torch_legacy_checkpoint(span_of("L119547037146038801333356L\n.")));
    const std::string framed =
        "\x80\x04\x95\x0d\x00\x00\x00\x00\x00\x00\x00\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50"
        "\x19."s;
    EXPECT_TRUE(is_torch_legacy_checkpoint(span_of(framed)));
    EXPECT_FALSE(is_torch_legacy_checkpoint(span_of("\x80\x02K\x01.")));
    EXPECT_FALSE(
        is_torch_legacy_checkpoint(span_of(read_fixture("models/benign/sklearn_pickle.pkl"))));
}

TEST(TorchLegacy, SplitsTheFivePicklesOfARealCheckpoint) {
    const auto layout = split_torch_legacy(span_of(read_fixture("models/benign/torch_legacy.pt")));
    EXPECT_FALSE(layout.broken);
    EXPECT_EQ(offsets_of(layout.pickles), (std::vector<uint64_t>{0, 15, 21, 137, 614}));
    EXPECT_EQ(layout.data_offset, 654u);
}

TEST(TorchLegacy, DispatchesEachPickleSoThePayloadInTheFourthIsExamined) {
    const auto content = read_fixture("models/malicious/torch_legacy_payload.pt");
    auto run = run_analyzer(std::make_unique<TorchLegacyAnalyzer>(), content, "old.pt");

    ASSERT_EQ(run->dispatched.size(), 5u);
    for (size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(run->dispatched[i].location,
                  location_of({file_part("old.pt"), stream_part(fmt::format("pickle {}", i + 1))}));
        EXPECT_EQ(run->dispatched[i].format, Format::pickle);
    }
    const auto& fourth = run->dispatched[3].bytes;
    EXPECT_EQ(fourth.substr(2, 15), "cbuiltins\neval\n");
    EXPECT_EQ(fourth[23], 'R');  // the REDUCE, at the offset MANIFEST.md lists
    EXPECT_TRUE(run->findings().empty());
    EXPECT_EQ(run->report.stats().formats.at("pytorch-legacy"), 1u);
}

TEST(TorchLegacy, BrokenPickleIsReportedAndStillHandedOver) {
    auto content = read_fixture("models/benign/torch_legacy.pt").substr(0, 200);
    auto run = run_analyzer(std::make_unique<TorchLegacyAnalyzer>(), content, "cut.pt");
    const auto& findings = run->findings();
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].rule_id, rules::kScanUnparseable);
    // Pickles 1-3 complete, pickle 4 cut: handed over from its start.
    ASSERT_EQ(run->dispatched.size(), 4u);
    EXPECT_EQ(run->dispatched[3].bytes, content.substr(137));
}

TEST(TorchLegacy, DeclaredPicklesAreNotSplitAgain) {
    // The first stream is itself the magic-number pickle; once dispatched as
    // "pickle 1" it must go to the pickle analyzer, not back here.
    Blob blob;
    blob.bytes =
        hazmat::testing::bytes_of(read_fixture("models/benign/torch_legacy.pt").substr(0, 15));
    EXPECT_TRUE(torch_legacy_splits_pickles(blob, Format::unknown));
    EXPECT_FALSE(torch_legacy_splits_pickles(blob, Format::pickle));
    EXPECT_FALSE(TorchLegacyAnalyzer().accepts(blob, Format::pickle));
}

TEST(TorchTar, SplitsStorageRecordsByTheNamedElementSize) {
    const auto storages = tar_member("models/benign/torch_tar_legacy.tar", "storages");
    const auto layout = split_torch_tar_storages(span_of(storages));
    EXPECT_FALSE(layout.broken) << layout.broken->message;
    // count, (key, location, FloatStorage), 8 + 6 x 4 raw bytes, views
    EXPECT_EQ(offsets_of(layout.pickles), (std::vector<uint64_t>{0, 5, 68}));
    EXPECT_EQ(layout.end, storages.size());
}

TEST(TorchTar, SplitsTensorRecords) {
    const auto tensors = tar_member("models/benign/torch_tar_legacy.tar", "tensors");
    const auto layout = split_torch_tar_tensors(span_of(tensors));
    EXPECT_FALSE(layout.broken);
    EXPECT_EQ(layout.pickles.size(), 2u);
    EXPECT_EQ(layout.end, tensors.size());
}

TEST(TorchTar, PayloadBetweenRawRecordsIsHandedToThePickleAnalyzer) {
    auto run =
        run_analyzer_on_blob(std::make_unique<TorchTarRecordAnalyzer>(),
                             tar_record_blob("models/malicious/torch_tar_payload.tar", "storages"));
    ASSERT_EQ(run->dispatched.size(), 3u);
    const auto& second = run->dispatched[1];
    EXPECT_EQ(second.location,
              location_of({file_part("x.tar"), member_part("storages"), stream_part("pickle 2")}));
    EXPECT_EQ(second.format, Format::pickle);
    EXPECT_EQ(second.bytes.substr(2, 11), "cos\nsystem\n");
    EXPECT_EQ(second.bytes[32], 'R');
    EXPECT_TRUE(run->findings().empty());
    EXPECT_EQ(run->report.stats().formats.at("pytorch-tar"), 1u);
}

TEST(TorchTar, RecordSizeThatRunsPastTheEndIsABrokenLayout) {
    auto storages = tar_member("models/benign/torch_tar_legacy.tar", "storages");
    // The views pickle starts at 68, after 8 + 6 x 4 raw bytes: the element
    // count sits at 36. Claim 127 floats instead of 6.
    storages[36] = '\x7f';
    Blob blob;
    blob.bytes = hazmat::testing::bytes_of(storages);
    blob.location = location_of({file_part("x.tar"), member_part("storages")});
    blob.depth = 1;
    auto run = run_analyzer_on_blob(std::make_unique<TorchTarRecordAnalyzer>(), blob);
    const auto& findings = run->findings();
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].rule_id, rules::kScanUnparseable);
    EXPECT_EQ(run->dispatched.size(), 2u);  // the count and the record pickle before the break
}

TEST(TorchTar, StorageTypeMustBeNamed) {
    // (0, 'cpu', <computed>): the element size, hence the next pickle's
    // position, cannot be known.
    const std::string storages = "\x80\x02K\x01."s + "\x80\x02K\x00\x8c\x03"s + "cpu" +
                                 "N\x8c\x01x\x93\x87."s + std::string(8, '\0');
    const auto layout = split_torch_tar_storages(span_of(storages));
    ASSERT_TRUE(layout.broken);
    EXPECT_NE(layout.broken->message.find("the storage type is computed"), std::string::npos);
}

TEST(TorchTar, BytesAfterTheLastRecordAreReportedAndExamined) {
    auto tensors = tar_member("models/benign/torch_tar_legacy.tar", "tensors");
    const std::string hidden =
        "\x80\x02"
        "cos\nsystem\n.";
    Blob blob;
    blob.bytes = hazmat::testing::bytes_of(tensors + hidden);
    blob.location = location_of({file_part("x.tar"), member_part("tensors")});
    blob.depth = 1;
    auto run = run_analyzer_on_blob(std::make_unique<TorchTarRecordAnalyzer>(), blob);
    const auto& findings = run->findings();
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].rule_id, rules::kDataOutsideStructure);
    EXPECT_EQ(findings[0].location.offset, tensors.size());
    ASSERT_EQ(run->dispatched.size(), 3u);
    EXPECT_EQ(run->dispatched[2].location, location_of({file_part("x.tar"), member_part("tensors"),
                                                        embedded_part("data after the records")}));
    EXPECT_EQ(run->dispatched[2].bytes, hidden);
}

TEST(TorchTar, OnlyMembersNamedLikeTorchRecordsAreSplit) {
    Blob blob;
    blob.bytes = hazmat::testing::bytes_of("\x80\x02K\x01.");
    blob.location = location_of({file_part("x.tar"), member_part("storages")});
    EXPECT_EQ(torch_tar_record_kind(blob), TorchTarRecord::storages);
    blob.location = location_of({file_part("x.tar"), member_part("data/storages")});
    EXPECT_FALSE(torch_tar_record_kind(blob));
    blob.location = location_of({file_part("storages")});
    EXPECT_FALSE(torch_tar_record_kind(blob));
}

}  // namespace
}  // namespace hazmat::models
