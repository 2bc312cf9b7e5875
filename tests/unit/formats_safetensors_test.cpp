#include <gtest/gtest.h>

#include "core/rule_ids.hpp"
#include "formats_test_support.hpp"
#include "scan/models/safetensors.hpp"

namespace hazmat::models {
namespace {

using hazmat::testing::embedded_part;
using hazmat::testing::file_part;
using hazmat::testing::location_of;
using hazmat::testing::read_fixture;
using hazmat::testing::run_analyzer;
using hazmat::testing::safetensors_bytes;
using hazmat::testing::span_of;
using hazmat::testing::with_rule;

std::unique_ptr<hazmat::testing::AnalyzerRun> scan_safetensors(std::string content) {
    return run_analyzer(std::make_unique<SafetensorsAnalyzer>(), std::move(content),
                        "model.safetensors");
}

std::string check_error(const std::string& bytes) {
    const auto check = check_safetensors(span_of(bytes));
    EXPECT_FALSE(check.ok);
    return check.error;
}

TEST(Safetensors, VerifiesAWellFormedFile) {
    const auto bytes = read_fixture("formats/benign/linear.safetensors");
    EXPECT_EQ(sniff(span_of(bytes)), Format::safetensors);
    const auto check = check_safetensors(span_of(bytes));
    ASSERT_TRUE(check.ok) << check.error;
    ASSERT_EQ(check.header.tensors.size(), 2u);
    EXPECT_EQ(check.header.tensors[0].name, "linear.weight");
    EXPECT_EQ(check.header.tensors[0].end, 32u);
    EXPECT_EQ(check.header.tensors[1].name, "linear.bias");
    EXPECT_EQ(check.header.tensors[1].dtype, "F16");
    EXPECT_EQ(check.header.metadata.at("format"), "pt");
    EXPECT_EQ(check.header.data_length, 36u);
    EXPECT_EQ(check.trailing_bytes, 0u);
}

TEST(Safetensors, CountsAVerifiedFileAsCleanAndHandsTheHeaderBack) {
    const auto bytes = read_fixture("formats/benign/linear.safetensors");
    auto run = scan_safetensors(bytes);
    EXPECT_TRUE(run->findings().empty());
    EXPECT_EQ(run->report.stats().outcomes.at("safetensors").clean, 1u);
    ASSERT_EQ(run->dispatched.size(), 1u);
    EXPECT_EQ(run->dispatched[0].location,
              location_of({file_part("model.safetensors"), embedded_part("header")}));
    EXPECT_EQ(run->dispatched[0].bytes.front(), '{');
}

TEST(Safetensors, RejectsWhatTheReferenceLoaderRejects) {
    const std::pair<std::string, std::string> cases[] = {
        {read_fixture("formats/malicious/safetensors_overlap.safetensors"),
         "tensor 'b' starts at data offset 8, expected 16 (tensors overlap or leave a gap)"},
        {safetensors_bytes(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}})",
                           std::string(8, '\0')),
         "tensor 'a' starts at data offset 4, expected 0"},
        {read_fixture("formats/malicious/safetensors_out_of_bounds.safetensors"),
         "the tensors need 4194304 bytes of data but the file holds 16"},
        {read_fixture("formats/malicious/safetensors_bad_dtype.safetensors"),
         "tensor 'a' has unknown dtype 'PICKLE'"},
        {read_fixture("formats/malicious/safetensors_length_past_end.safetensors"),
         "header length 1048576 runs past the end of the file"},
        {safetensors_bytes(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                           std::string(8, '\0')),
         "tensor 'a' of dtype F32 and shape [3] needs 12 bytes but its data_offsets span 8"},
        {safetensors_bytes(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})", ""),
         "shape entry that is not a non-negative integer"},
        {safetensors_bytes(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],)"
                           R"("data_offsets":[0,0]}})",
                           ""),
         "shape whose size overflows"},
        {safetensors_bytes(R"({"a":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}})", "x"),
         "does not fill whole bytes"},
        {safetensors_bytes(R"({"__metadata__":{"n":1}})", ""), "__metadata__ value 'n'"},
        {safetensors_bytes(R"({"a":{"dtype":"F32","shape":[1]}})", ""),
         "lacks dtype, shape or data_offsets"},
        {safetensors_bytes(R"({"a": )", ""), "header is not JSON"},
        {safetensors_bytes("[1,2]", ""), "header is not a JSON object"},
        {hazmat::testing::GgufBuilder::le64(200'000'000) + R"({"a":1})",
         "exceeds the 100 MB the reference loader accepts"},
    };
    for (const auto& [bytes, expected] : cases) {
        const auto error = check_error(bytes);
        EXPECT_NE(error.find(expected), std::string::npos) << error;
    }
}

TEST(Safetensors, ReportsInvalidFilesAsUnverified) {
    auto run = scan_safetensors(read_fixture("formats/malicious/safetensors_overlap.safetensors"));
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_EQ(run->findings()[0].rule_id, rules::kScanUnparseable);
    EXPECT_EQ(run->findings()[0].severity, Severity::high);
    EXPECT_EQ(run->findings()[0].location.offset, 8u);
    EXPECT_EQ(run->report.stats().outcomes.at("safetensors").unverified, 1u);
}

TEST(Safetensors, EmptyTensorsAndSubByteDtypesAreValid) {
    const auto bytes =
        safetensors_bytes(R"({"empty":{"dtype":"F32","shape":[0,4],"data_offsets":[0,0]},)"
                          R"("packed":{"dtype":"F4","shape":[4],"data_offsets":[0,2]}})",
                          "ab");
    const auto check = check_safetensors(span_of(bytes));
    EXPECT_TRUE(check.ok) << check.error;
}

TEST(Safetensors, ExaminesAZipGluedToTheEnd) {
    const auto bytes = read_fixture("formats/malicious/safetensors_trailing_zip.safetensors");
    auto run = scan_safetensors(bytes);
    const auto outside = with_rule(run->findings(), rules::kDataOutsideStructure);
    ASSERT_EQ(outside.size(), 1u);
    EXPECT_EQ(outside[0].severity, Severity::medium);
    const auto tail = bytes.find("PK\x03\x04");
    EXPECT_EQ(outside[0].location.offset, tail);
    ASSERT_EQ(run->dispatched.size(), 2u);
    EXPECT_EQ(run->dispatched[1].location, location_of({file_part("model.safetensors"),
                                                        embedded_part("data after the tensors")}));
    EXPECT_EQ(run->dispatched[1].format, Format::zip);
    EXPECT_EQ(run->dispatched[1].bytes, bytes.substr(tail));
}

TEST(Safetensors, ChecksMetadataThatIsATemplate) {
    auto run = scan_safetensors(
        read_fixture("formats/malicious/safetensors_metadata_template.safetensors"));
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_EQ(run->findings()[0].rule_id, rules::kTemplateInjection);
    EXPECT_EQ(run->findings()[0].severity, Severity::critical);
    EXPECT_NE(run->findings()[0].message.find("safetensors metadata 'chat_template'"),
              std::string::npos);
    // Plain metadata mentioning internals is not a template.
    auto plain =
        scan_safetensors(safetensors_bytes(R"({"__metadata__":{"note":"see __class__"}})", ""));
    EXPECT_TRUE(plain->findings().empty());
}

TEST(Safetensors, OtherFormatsUnderTheNameAreNotClaimed) {
    const auto zip = read_fixture("formats/malicious/renamed_torch_zip.safetensors");
    EXPECT_EQ(sniff(span_of(zip)), Format::zip);
    const std::string pickle = "\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00K\x01.";
    EXPECT_EQ(sniff(span_of(pickle)), Format::unknown);
    const SafetensorsAnalyzer analyzer;
    Blob blob;
    EXPECT_FALSE(analyzer.accepts(blob, Format::zip));
    EXPECT_FALSE(analyzer.accepts(blob, Format::unknown));
}

TEST(Safetensors, SniffsHeadersThatLookLikeOtherMagic) {
    // Header length 0x5d + 0x1000 * 256: the first bytes look like LZMA properties.
    std::string header = R"({"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}})";
    header.resize(0x10005d, ' ');
    EXPECT_EQ(sniff(span_of(safetensors_bytes(header, ""))), Format::safetensors);
    EXPECT_NE(sniff(span_of(std::string("12345678{\"a\":1}"))), Format::safetensors);
}

TEST(Safetensors, EveryTruncationIsUnverified) {
    const auto whole = read_fixture("formats/benign/linear.safetensors");
    for (size_t length = 10; length < whole.size(); ++length) {
        auto run = scan_safetensors(whole.substr(0, length));
        EXPECT_EQ(with_rule(run->findings(), rules::kScanUnparseable).size(), 1u) << length;
    }
}

TEST(SafetensorsDuplicates, RepeatedMetadataIsUnverifiedAndBothCopiesAreExamined) {
    // The first __metadata__ carries a template escape; readers that keep the
    // last copy, as nlohmann and serde_json do, see only {"format": "pt"}.
    const auto bytes = read_fixture("formats/malicious/safetensors_duplicate_metadata.safetensors");
    const auto check = check_safetensors(span_of(bytes));
    EXPECT_FALSE(check.ok);
    EXPECT_NE(check.error.find("key '__metadata__' appears more than once in the top-level "
                               "object"),
              std::string::npos)
        << check.error;
    const auto second = bytes.find("\"__metadata__\"", 10);
    EXPECT_EQ(check.error_offset, second);

    auto run = scan_safetensors(bytes);
    ASSERT_EQ(run->findings().size(), 2u);
    const auto unverified = with_rule(run->findings(), rules::kScanUnparseable);
    ASSERT_EQ(unverified.size(), 1u);
    EXPECT_EQ(unverified[0].severity, Severity::high);
    EXPECT_EQ(unverified[0].location.offset, second);
    const auto templates = with_rule(run->findings(), rules::kTemplateInjection);
    ASSERT_EQ(templates.size(), 1u);
    EXPECT_EQ(templates[0].severity, Severity::critical);
    EXPECT_NE(templates[0].message.find("earlier, duplicate __metadata__"), std::string::npos);
    EXPECT_EQ(run->report.stats().outcomes.at("safetensors").clean, 0u);
}

TEST(SafetensorsDuplicates, ATensorListedTwiceIsUnverified) {
    // Both copies agree with the data, so only the repeat itself is wrong.
    const auto bytes = read_fixture("formats/malicious/safetensors_duplicate_tensor.safetensors");
    auto run = scan_safetensors(bytes);
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_EQ(run->findings()[0].rule_id, rules::kScanUnparseable);
    EXPECT_EQ(run->findings()[0].severity, Severity::high);
    EXPECT_EQ(run->findings()[0].location.offset, bytes.rfind("\"linear.weight\""));
    EXPECT_NE(run->findings()[0].message.find("key 'linear.weight' appears more than once"),
              std::string::npos);
    EXPECT_EQ(run->report.stats().outcomes.at("safetensors").unverified, 1u);
}

TEST(SafetensorsDuplicates, AnInconsistentRepeatIsNamedAsTheRepeat) {
    const auto bytes =
        safetensors_bytes(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                          R"("a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}})",
                          std::string(16, '\0'));
    EXPECT_NE(check_error(bytes).find("key 'a' appears more than once"), std::string::npos);
}

}  // namespace
}  // namespace hazmat::models
