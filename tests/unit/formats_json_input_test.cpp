#include <gtest/gtest.h>

#include "scan/models/json_input.hpp"

namespace hazmat::models {
namespace {

TEST(UntrustedJson, UniqueKeysHaveNoDuplicates) {
    const auto input = parse_untrusted_json(R"({"a":{"a":1,"b":[{"a":2},{"a":3}]},"b":"a"})");
    ASSERT_TRUE(input.ok) << input.error;
    EXPECT_TRUE(input.duplicates.empty());
}

TEST(UntrustedJson, ReportsARepeatedKeyWithTheCopyThatWasDropped) {
    const std::string text = R"({"__metadata__":{"t":"{{ x.__class__ }}"},"__metadata__":{}})";
    const auto input = parse_untrusted_json(text);
    ASSERT_TRUE(input.ok) << input.error;
    // Like Python, the value keeps the last copy.
    EXPECT_EQ(input.value.at("__metadata__"), nlohmann::json::object());
    ASSERT_EQ(input.duplicates.size(), 1u);
    const auto& duplicate = input.duplicates[0];
    EXPECT_EQ(duplicate.path, "");
    EXPECT_EQ(duplicate.key, "__metadata__");
    EXPECT_EQ(duplicate.offset, text.rfind("\"__metadata__\""));
    EXPECT_EQ(duplicate.shadowed, nlohmann::json::parse(R"({"t":"{{ x.__class__ }}"})"));
    EXPECT_EQ(describe_duplicate_key(duplicate, 8),
              "key '__metadata__' appears more than once in the top-level object (again at byte "
              "50)");
}

TEST(UntrustedJson, FindsRepeatsInNestedObjectsAndArraysWithTheirPath) {
    const std::string text =
        R"({"config":{"layers":[{"class_name":"Dense"},)"
        R"({"class_name":"Lambda","x":{"k":[1,"k:"]},"class_name":"Dense"}]}})";
    const auto input = parse_untrusted_json(text);
    ASSERT_TRUE(input.ok) << input.error;
    ASSERT_EQ(input.duplicates.size(), 1u);
    EXPECT_EQ(input.duplicates[0].path, "config.layers[1]");
    EXPECT_EQ(input.duplicates[0].key, "class_name");
    EXPECT_EQ(input.duplicates[0].shadowed, "Lambda");
    EXPECT_EQ(input.duplicates[0].offset, text.rfind("\"class_name\""));
}

TEST(UntrustedJson, EscapedSpellingsOfOneKeyAreTheSameKey) {
    // A check on the raw text would see two different keys here.
    const std::string text = R"({"dtype":"F32", "dt\u0079pe" : "PICKLE"})";
    const auto input = parse_untrusted_json(text);
    ASSERT_TRUE(input.ok) << input.error;
    ASSERT_EQ(input.duplicates.size(), 1u);
    EXPECT_EQ(input.duplicates[0].key, "dtype");
    EXPECT_EQ(input.duplicates[0].shadowed, "F32");
    EXPECT_EQ(input.duplicates[0].offset, text.find("\"dt\\u0079pe\""));
}

TEST(UntrustedJson, EveryRepeatIsListedOnce) {
    const auto input = parse_untrusted_json(R"({"a":1,"a":2,"a":3,"b":{"c":1,"c":{"d":1}}})");
    ASSERT_TRUE(input.ok) << input.error;
    ASSERT_EQ(input.duplicates.size(), 3u);
    EXPECT_EQ(input.duplicates[0].shadowed, 1);
    EXPECT_EQ(input.duplicates[1].shadowed, 2);
    EXPECT_EQ(input.duplicates[2].path, "b");
    EXPECT_EQ(input.duplicates[2].shadowed, 1);
    EXPECT_EQ(input.value.at("a"), 3);
}

TEST(UntrustedJson, InvalidTextReportsNoDuplicates) {
    const auto input = parse_untrusted_json(R"({"a":1,"a":2,)");
    EXPECT_FALSE(input.ok);
    EXPECT_TRUE(input.duplicates.empty());
}

}  // namespace
}  // namespace hazmat::models
