#include <gtest/gtest.h>

#include "scan/models/python_literal.hpp"

namespace hazmat::models {
namespace {

PyValue parse_ok(std::string_view text, LiteralOptions options = {}) {
    const auto result = parse_python_literal(text, options);
    EXPECT_TRUE(result.ok) << text << ": " << result.error.message << " at " << result.error.offset;
    return result.value;
}

LiteralError parse_error(std::string_view text, LiteralOptions options = {}) {
    const auto result = parse_python_literal(text, options);
    EXPECT_FALSE(result.ok) << text << " parsed as " << to_python_repr(result.value);
    return result.error;
}

TEST(PythonLiteral, ParsesTheHeaderNumpyWrites) {
    const auto value =
        parse_ok("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }          \n");
    ASSERT_EQ(value.kind, PyValue::Kind::dict);
    ASSERT_EQ(value.entries.size(), 3u);
    EXPECT_EQ(value.find("descr")->text, "<f4");
    EXPECT_EQ(value.find("fortran_order")->kind, PyValue::Kind::boolean);
    EXPECT_FALSE(value.find("fortran_order")->boolean);
    const auto* shape = value.find("shape");
    ASSERT_EQ(shape->kind, PyValue::Kind::tuple);
    ASSERT_EQ(shape->items.size(), 2u);
    EXPECT_EQ(shape->items[1].integer, 4);
}

TEST(PythonLiteral, DistinguishesTuplesFromParentheses) {
    EXPECT_EQ(parse_ok("()").kind, PyValue::Kind::tuple);
    EXPECT_EQ(parse_ok("(5)").kind, PyValue::Kind::integer);
    const auto single = parse_ok("(5,)");
    ASSERT_EQ(single.kind, PyValue::Kind::tuple);
    EXPECT_EQ(single.items.size(), 1u);
    EXPECT_EQ(parse_ok("[1, [2, 3],]").items[1].items.size(), 2u);
}

TEST(PythonLiteral, ConcatenatesAdjacentStringsAndDecodesEscapes) {
    EXPECT_EQ(parse_ok("'<' \"f\" '8'").text, "<f8");
    EXPECT_EQ(parse_ok(R"('\x4f')").text, "O");
    EXPECT_EQ(parse_ok(R"('\117')").text, "O");
    EXPECT_EQ(parse_ok(R"(u'\u004f')").text, "O");
    EXPECT_EQ(parse_ok(R"('\U0001F600')").text, "\xF0\x9F\x98\x80");
    EXPECT_EQ(parse_ok(R"(r'\x4f')").text, R"(\x4f)");
    EXPECT_EQ(parse_ok(R"('a\qb')").text, R"(a\qb)");
    EXPECT_EQ(parse_ok("'''multi\nline'''").text, "multi\nline");
    EXPECT_EQ(parse_ok(R"(b'\xff')").kind, PyValue::Kind::bytes);
    EXPECT_EQ(parse_ok(R"(b'\xff')").text, "\xff");
}

TEST(PythonLiteral, IgnoresCommentsAndLineBreaksInsideBrackets) {
    const auto value = parse_ok("{'a': 1, # comment\n 'b':\n 2}");
    EXPECT_EQ(value.find("b")->integer, 2);
}

TEST(PythonLiteral, ReadsIntegerSpellings) {
    EXPECT_EQ(parse_ok("1_000").integer, 1000);
    EXPECT_EQ(parse_ok("0x1F").integer, 31);
    EXPECT_EQ(parse_ok("0o17").integer, 15);
    EXPECT_EQ(parse_ok("0b101").integer, 5);
    EXPECT_EQ(parse_ok("- 7").integer, -7);
    EXPECT_EQ(parse_ok("-9223372036854775808").integer, INT64_MIN);
    EXPECT_EQ(parse_ok("00").integer, 0);
}

TEST(PythonLiteral, StripsPythonTwoLongSuffixOnlyWhenAllowed) {
    LiteralOptions python2;
    python2.allow_long_suffix = true;
    EXPECT_EQ(parse_ok("(10L, 3L)", python2).items[0].integer, 10);
    parse_error("(10L, 3L)");
}

TEST(PythonLiteral, RejectsWhatLiteralEvalRejectsOrHeadersNeverHold) {
    EXPECT_EQ(parse_error("{'a': os.system}").offset, 6u);
    parse_error("__import__('os')");
    parse_error("1.5");
    parse_error("1j");
    parse_error("{1, 2}");
    parse_error("01");
    parse_error("1__0");
    parse_error("9223372036854775808");
    parse_error("f'x'");
    parse_error("'unterminated");
    parse_error("'line\nbreak'");
    parse_error("{[1]: 2}");
    parse_error("'a' b'b'");
    parse_error("1 2");
    parse_error("--1");
}

TEST(PythonLiteral, RepeatedDictKeysKeepTheLastValue) {
    const auto value = parse_ok("{'shape': (1,), 'shape': (2,)}");
    ASSERT_EQ(value.entries.size(), 1u);
    EXPECT_EQ(value.find("shape")->items[0].integer, 2);
}

TEST(PythonLiteral, BoolEqualsIntAsInPython) {
    EXPECT_TRUE(parse_ok("True") == parse_ok("1"));
    EXPECT_FALSE(parse_ok("(1,)") == parse_ok("[1]"));
    EXPECT_FALSE(parse_ok("'a'") == parse_ok("b'a'"));
}

TEST(PythonLiteral, BoundsNesting) {
    LiteralOptions shallow;
    shallow.max_nesting = 3;
    parse_ok("[[[1]]]", shallow);
    EXPECT_EQ(parse_error("[[[[1]]]]", shallow).message, "literal nested too deeply");
}

TEST(PythonLiteral, RendersReprForEvidence) {
    EXPECT_EQ(to_python_repr(parse_ok("[('a', '<f8'), ('b', '|O', (2,))]")),
              "[('a', '<f8'), ('b', '|O', (2,))]");
    EXPECT_EQ(to_python_repr(parse_ok("'abcdefghijkl'"), 6), "'abcde...");
}

}  // namespace
}  // namespace hazmat::models
