#include <gtest/gtest.h>

#include "core/location.hpp"
#include "core/rule_ids.hpp"
#include "core/rule_registry.hpp"
#include "core/severity.hpp"
#include "core/sniff.hpp"

namespace hazmat {
namespace {

TEST(Severity, ParsesAndOrders) {
    EXPECT_EQ(parse_severity("critical"), Severity::critical);
    EXPECT_EQ(parse_severity("info"), Severity::info);
    EXPECT_EQ(parse_severity("HIGH"), std::nullopt);
    EXPECT_GT(Severity::critical, Severity::high);
    EXPECT_GT(Severity::low, Severity::info);
    EXPECT_EQ(to_string(Severity::medium), "medium");
}

TEST(Location, DisplaysChainOffsetAndLine) {
    Location location;
    location.chain = {{LocationPart::Kind::file, "models/x.pt"},
                      {LocationPart::Kind::member, "archive/data.pkl"},
                      {LocationPart::Kind::decompressed, "zlib"}};
    location.offset = 31;
    EXPECT_EQ(location.to_display(), "models/x.pt!archive/data.pkl|zlib @ byte 31");
    EXPECT_EQ(location.file(), "models/x.pt");
}

TEST(RuleRegistry, EveryRuleIsWellFormed) {
    const auto& registry = RuleRegistry::builtin();
    ASSERT_FALSE(registry.all().empty());
    for (const auto& rule : registry.all()) {
        EXPECT_FALSE(rule_area(rule.id).empty()) << rule.id;
        EXPECT_FALSE(rule.title.empty()) << rule.id;
        EXPECT_FALSE(rule.description.empty()) << rule.id;
        EXPECT_FALSE(rule.remediation.empty()) << rule.id;
    }
    EXPECT_NE(registry.find(rules::kScanLimit), nullptr);
    EXPECT_EQ(registry.find("HZ-NOPE-999"), nullptr);
}

TEST(RuleRegistry, UnverifiedRulesDefaultToHigh) {
    for (const auto& rule : RuleRegistry::builtin().all()) {
        if (rule_area(rule.id) == "SCAN") {
            EXPECT_EQ(rule.severity, Severity::high) << rule.id;
        }
    }
}

ByteSpan span_of(std::string_view text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

TEST(Sniff, RecognisesMagicBytes) {
    EXPECT_EQ(sniff(span_of("PK\x03\x04rest")), Format::zip);
    EXPECT_EQ(sniff(span_of("\x1f\x8b\x08\x00")), Format::gzip);
    EXPECT_EQ(sniff(span_of("BZh91AY")), Format::bzip2);
    EXPECT_EQ(sniff(span_of(std::string_view("\xfd"
                                             "7zXZ\x00\x00",
                                             7))),
              Format::xz);
    EXPECT_EQ(sniff(span_of("\x28\xb5\x2f\xfd....")), Format::zstd);
    EXPECT_EQ(sniff(span_of("\x04\x22\x4d\x18....")), Format::lz4);
    EXPECT_EQ(sniff(span_of("\x78\x9c\x01\x02")), Format::zlib);
    EXPECT_EQ(sniff(span_of("\x93NUMPY\x01\x00")), Format::npy);
    EXPECT_EQ(sniff(span_of("import os\n")), Format::unknown);
    EXPECT_EQ(sniff(span_of("")), Format::unknown);
}

}  // namespace
}  // namespace hazmat
