#include <gtest/gtest.h>

#include "core/rule_ids.hpp"
#include "formats_test_support.hpp"
#include "scan/models/gguf.hpp"

namespace hazmat::models {
namespace {

using hazmat::testing::above_info;
using hazmat::testing::embedded_part;
using hazmat::testing::file_part;
using hazmat::testing::GgufBuilder;
using hazmat::testing::has_evidence;
using hazmat::testing::location_of;
using hazmat::testing::read_fixture;
using hazmat::testing::run_analyzer;
using hazmat::testing::span_of;
using hazmat::testing::with_rule;

std::unique_ptr<hazmat::testing::AnalyzerRun> scan_gguf(std::string content,
                                                        const std::string& name = "model.gguf") {
    return run_analyzer(std::make_unique<GgufAnalyzer>(), std::move(content), name);
}

// Where `needle` starts in the file, for exact offset assertions.
uint64_t offset_of(const std::string& bytes, std::string_view needle) {
    const auto at = bytes.find(needle);
    EXPECT_NE(at, std::string::npos) << needle;
    return at;
}

TEST(GgufParser, ReadsHeaderMetadataAndTensorsOfAWellFormedFile) {
    const auto bytes = read_fixture("formats/benign/llama_chatml.gguf");
    const auto parsed = parse_gguf(span_of(bytes));
    ASSERT_TRUE(parsed.ok) << parsed.error;
    const auto& file = parsed.file;
    EXPECT_EQ(file.version, 3u);
    EXPECT_EQ(file.entry_count, 8u);
    ASSERT_EQ(file.entries.size(), 8u);
    EXPECT_EQ(file.entries[0].key, "general.architecture");
    EXPECT_EQ(file.entries[0].text, "llama");
    EXPECT_EQ(file.entries[5].key, "tokenizer.ggml.tokens");
    EXPECT_EQ(file.entries[5].type, GgufType::array);
    EXPECT_EQ(file.entries[5].element_type, GgufType::string);
    EXPECT_EQ(file.entries[5].count, 4u);
    EXPECT_EQ(file.entries[7].key, "tokenizer.chat_template");
    EXPECT_EQ(file.entries[7].text_offset, offset_of(bytes, "{% for message"));
    EXPECT_EQ(file.alignment, 32u);
    ASSERT_EQ(file.tensors.size(), 2u);
    EXPECT_EQ(file.tensors[1].name, "output.weight");
    EXPECT_EQ(file.tensors[1].dims, (std::vector<uint64_t>{32, 1}));
    EXPECT_EQ(file.tensors[1].type, 8u);
    EXPECT_EQ(file.tensors[1].data_offset, 32u);
    EXPECT_EQ(file.data_start % 32, 0u);
    EXPECT_EQ(bytes.size(), file.data_start + 32 + 64);
}

TEST(GgufParser, ComputesGgmlTensorSizes) {
    EXPECT_EQ(ggml_tensor_bytes(0, {4, 2}), 32u);                             // F32
    EXPECT_EQ(ggml_tensor_bytes(8, {32, 1}), 34u);                            // Q8_0
    EXPECT_EQ(ggml_tensor_bytes(12, {256, 2}), 288u);                         // Q4_K
    EXPECT_EQ(ggml_tensor_bytes(30, {3}), 6u);                                // BF16
    EXPECT_EQ(ggml_tensor_bytes(8, {31}), std::nullopt);                      // not whole blocks
    EXPECT_EQ(ggml_tensor_bytes(4, {32}), std::nullopt);                      // removed Q4_2
    EXPECT_EQ(ggml_tensor_bytes(0, {1ull << 40, 1ull << 40}), std::nullopt);  // overflow
}

TEST(GgufParser, ReadsEveryValueTypeAndNestedArrays) {
    GgufBuilder builder;
    builder.raw_entry("u8", 0, std::string(1, '\x01'))
        .raw_entry("i8", 1, std::string(1, '\xff'))
        .raw_entry("u16", 2, std::string(2, '\x01'))
        .raw_entry("i16", 3, std::string(2, '\x01'))
        .u32_entry("u32", 7)
        .raw_entry("i32", 5, GgufBuilder::le32(5))
        .raw_entry("f32", 6, GgufBuilder::le32(0x3f800000))
        .raw_entry("bool", 7, std::string(1, '\x01'))
        .string_entry("str", "text")
        .raw_entry("u64", 10, GgufBuilder::le64(9))
        .raw_entry("i64", 11, GgufBuilder::le64(9))
        .raw_entry("f64", 12, GgufBuilder::le64(0))
        .raw_entry("nested", 9,
                   GgufBuilder::le32(9) + GgufBuilder::le64(2) +  // array of 2 arrays
                       GgufBuilder::le32(4) + GgufBuilder::le64(1) + GgufBuilder::le32(1) +
                       GgufBuilder::le32(8) + GgufBuilder::le64(1) +
                       GgufBuilder::string_bytes("x"));
    const auto bytes = builder.build();
    const auto parsed = parse_gguf(span_of(bytes));
    ASSERT_TRUE(parsed.ok) << parsed.error;
    ASSERT_EQ(parsed.file.entries.size(), 13u);
    EXPECT_EQ(parsed.file.entries[4].unsigned_value, 7u);
    EXPECT_EQ(parsed.file.entries[8].text, "text");
    EXPECT_EQ(parsed.file.entries[12].element_type, GgufType::array);
    EXPECT_EQ(parsed.file.entries[12].count, 2u);
}

TEST(GgufAnalyzer, ReportsNothingForAWellFormedModelWithAChatTemplate) {
    auto run = scan_gguf(read_fixture("formats/benign/llama_chatml.gguf"));
    EXPECT_TRUE(run->findings().empty());
    EXPECT_EQ(run->report.stats().formats.at("gguf"), 1u);
    EXPECT_EQ(run->report.stats().outcomes.at("gguf").clean, 1u);
}

TEST(GgufAnalyzer, IgnoresPythonNamesInProseCommentsAndRawBlocks) {
    auto run = scan_gguf(read_fixture("formats/benign/llama_prose_template.gguf"));
    EXPECT_TRUE(run->findings().empty());
}

TEST(GgufAnalyzer, FlagsChatTemplateThatWalksLipsumGlobalsToOs) {
    const auto bytes = read_fixture("formats/malicious/gguf_ssti_template.gguf");
    auto run = scan_gguf(bytes);
    ASSERT_EQ(run->findings().size(), 1u);
    const auto& finding = run->findings()[0];
    EXPECT_EQ(finding.rule_id, rules::kTemplateInjection);
    EXPECT_EQ(finding.severity, Severity::critical);
    EXPECT_EQ(finding.location.chain, location_of({file_part("model.gguf")}).chain);
    EXPECT_EQ(finding.location.offset, offset_of(bytes, "lipsum"));
    EXPECT_NE(finding.message.find("tokenizer.chat_template"), std::string::npos);
    EXPECT_TRUE(has_evidence(finding, "uses the Python internal name __globals__"));
    EXPECT_TRUE(has_evidence(finding, "calls .popen"));
}

TEST(GgufAnalyzer, FlagsAttrFilterWithHexEscapedDunderName) {
    const auto bytes = read_fixture("formats/malicious/gguf_obfuscated_template.gguf");
    auto run = scan_gguf(bytes);
    ASSERT_EQ(run->findings().size(), 1u);
    const auto& finding = run->findings()[0];
    EXPECT_EQ(finding.rule_id, rules::kTemplateInjection);
    EXPECT_EQ(finding.severity, Severity::critical);
    EXPECT_EQ(finding.location.offset, offset_of(bytes, "cycler|attr"));
    EXPECT_TRUE(has_evidence(finding, "attr() filter"));
    EXPECT_TRUE(has_evidence(finding, "escape sequences"));
    EXPECT_TRUE(has_evidence(finding, "names the Python internal attribute __init__"));
}

TEST(GgufAnalyzer, ChecksJinjaInOtherStringMetadataButNotPlainText) {
    const auto bytes = GgufBuilder()
                           .string_entry("general.description", "{{ x.__class__ }} in a tag")
                           .string_entry("general.license", "mentions __class__ only in prose")
                           .build();
    auto run = scan_gguf(bytes);
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_EQ(run->findings()[0].rule_id, rules::kTemplateInjection);
    EXPECT_EQ(run->findings()[0].location.offset, offset_of(bytes, "__class__ }}"));
    EXPECT_NE(run->findings()[0].message.find("general.description"), std::string::npos);
}

TEST(GgufAnalyzer, ArrayCountOfTwoToTheSixtyThreeIsUnverifiedNotAllocated) {
    auto run = scan_gguf(read_fixture("formats/malicious/gguf_huge_array.gguf"));
    ASSERT_EQ(run->findings().size(), 1u);
    const auto& finding = run->findings()[0];
    EXPECT_EQ(finding.rule_id, rules::kScanUnparseable);
    EXPECT_EQ(finding.severity, Severity::high);
    // 24-byte header, 29-byte key, 4-byte type: the array starts at 57.
    EXPECT_EQ(finding.location.offset, 57u);
    EXPECT_NE(finding.message.find("9223372036854775808 elements"), std::string::npos);
}

TEST(GgufAnalyzer, HugeMetadataAndTensorCountsAreUnverified) {
    std::string entries = "GGUF" + GgufBuilder::le32(3) + GgufBuilder::le64(0) +
                          GgufBuilder::le64(~0ull) + std::string(64, '\0');
    auto run = scan_gguf(entries);
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_NE(run->findings()[0].message.find("metadata entries cannot fit"), std::string::npos);

    std::string tensors = "GGUF" + GgufBuilder::le32(3) + GgufBuilder::le64(1ull << 62) +
                          GgufBuilder::le64(0) + std::string(64, '\0');
    run = scan_gguf(tensors);
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_NE(run->findings()[0].message.find("tensor infos cannot fit"), std::string::npos);
}

TEST(GgufAnalyzer, StringLengthBeyondTheFileIsUnverified) {
    const auto bytes =
        GgufBuilder().raw_entry("general.name", 8, GgufBuilder::le64(1ull << 40) + "abc").build();
    auto run = scan_gguf(bytes);
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_EQ(run->findings()[0].rule_id, rules::kScanUnparseable);
    EXPECT_NE(run->findings()[0].message.find("declares 1099511627776 bytes"), std::string::npos);
}

TEST(GgufAnalyzer, EveryTruncationIsUnverifiedNeverACrash) {
    const auto whole = read_fixture("formats/malicious/gguf_ssti_template.gguf");
    // Up to the last byte of the last tensor; the alignment padding after it
    // is not read by llama.cpp's loader.
    const size_t last_byte = whole.size() - 64 + 34;
    for (size_t length = 4; length < last_byte; ++length) {
        auto run = scan_gguf(whole.substr(0, length));
        EXPECT_FALSE(with_rule(run->findings(), rules::kScanUnparseable).empty()) << length;
    }
}

TEST(GgufAnalyzer, TensorDataBeyondTheFileIsUnverified) {
    auto run = scan_gguf(read_fixture("formats/malicious/gguf_tensor_past_end.gguf"));
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_EQ(run->findings()[0].rule_id, rules::kScanUnparseable);
    EXPECT_NE(run->findings()[0].message.find("runs past the end of the file"), std::string::npos);
}

TEST(GgufAnalyzer, OverlappingTensorsAreUnverified) {
    const auto bytes = GgufBuilder()
                           .tensor("a", {8}, 0, 0)
                           .tensor("b", {8}, 0, 0)  // llama.cpp expects offset 32
                           .data(std::string(64, '\0'))
                           .build();
    auto run = scan_gguf(bytes);
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_NE(run->findings()[0].message.find("Tensor 'b' starts at data offset 0"),
              std::string::npos);
}

TEST(GgufAnalyzer, RepeatedMetadataKeyIsUnverifiedAndEveryCopyIsChecked) {
    // A reader keeping the first copy renders the payload; one keeping the
    // last sees a plain template.
    const auto bytes = GgufBuilder()
                           .string_entry("tokenizer.chat_template", "{{ lipsum.__globals__ }}")
                           .string_entry("tokenizer.chat_template", "{{ messages[0] }}")
                           .build();
    auto run = scan_gguf(bytes);
    ASSERT_EQ(run->findings().size(), 2u);
    EXPECT_EQ(with_rule(run->findings(), rules::kTemplateInjection).size(), 1u);
    const auto unverified = with_rule(run->findings(), rules::kScanUnparseable);
    ASSERT_EQ(unverified.size(), 1u);
    EXPECT_EQ(unverified[0].severity, Severity::high);
    EXPECT_EQ(unverified[0].location.offset, bytes.rfind("tokenizer.chat_template") - 8);
    EXPECT_NE(unverified[0].message.find("metadata key 'tokenizer.chat_template' appears more"),
              std::string::npos);
}

TEST(GgufAnalyzer, RepeatedTensorNameIsUnverified) {
    const auto bytes = GgufBuilder()
                           .tensor("a", {8}, 0, 0)
                           .tensor("a", {8}, 0, 32)
                           .data(std::string(64, '\0'))
                           .build();
    auto run = scan_gguf(bytes);
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_EQ(run->findings()[0].rule_id, rules::kScanUnparseable);
    EXPECT_NE(run->findings()[0].message.find("tensor name 'a' appears more than once"),
              std::string::npos);
}

TEST(GgufAnalyzer, UnknownGgmlTypeIsUnverified) {
    const auto bytes = GgufBuilder().tensor("a", {8}, 200, 0).data(std::string(32, '\0')).build();
    auto run = scan_gguf(bytes);
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_NE(run->findings()[0].message.find("types hazmat does not know (first: 200)"),
              std::string::npos);
}

TEST(GgufAnalyzer, BigEndianFilesAreUnverified) {
    std::string bytes = "GGUF";
    bytes += std::string("\0\0\0\3", 4) + std::string(32, '\0');
    auto run = scan_gguf(bytes);
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_NE(run->findings()[0].message.find("big-endian"), std::string::npos);
}

TEST(GgufAnalyzer, ExaminesBytesAfterTheLastTensorAsContent) {
    const auto model = GgufBuilder().tensor("a", {8}, 0, 0).data(std::string(32, '\0')).build();
    auto run = scan_gguf(model + "PK\x03\x04 hidden archive");
    const auto outside = with_rule(run->findings(), rules::kDataOutsideStructure);
    ASSERT_EQ(outside.size(), 1u);
    EXPECT_EQ(outside[0].location.offset, model.size());
    ASSERT_EQ(run->dispatched.size(), 1u);
    EXPECT_EQ(run->dispatched[0].location,
              location_of({file_part("model.gguf"), embedded_part("data after the tensors")}));
    EXPECT_EQ(run->dispatched[0].format, Format::zip);
}

TEST(GgufAnalyzer, HandsStringMetadataBackForTextAnalyzers) {
    auto run = scan_gguf(read_fixture("formats/benign/llama_chatml.gguf"));
    ASSERT_EQ(run->dispatched.size(), 1u);
    EXPECT_EQ(run->dispatched[0].location,
              location_of({file_part("model.gguf"), embedded_part("metadata")}));
    EXPECT_NE(run->dispatched[0].bytes.find("general.name: hazmat-fixture\n"), std::string::npos);
}

TEST(GgufSniff, RecognisesTheMagic) {
    EXPECT_EQ(sniff(span_of(read_fixture("formats/benign/llama_chatml.gguf"))), Format::gguf);
    EXPECT_TRUE(above_info(scan_gguf(read_fixture("formats/benign/llama_chatml.gguf"))->findings())
                    .empty());
}

}  // namespace
}  // namespace hazmat::models
