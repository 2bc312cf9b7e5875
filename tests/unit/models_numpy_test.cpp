#include <gtest/gtest.h>

#include "core/rule_ids.hpp"
#include "models_test_support.hpp"
#include "scan/models/numpy.hpp"

namespace hazmat::models {
namespace {

using hazmat::testing::embedded_part;
using hazmat::testing::file_part;
using hazmat::testing::location_of;
using hazmat::testing::read_fixture;
using hazmat::testing::run_analyzer;

ByteSpan span_of(const std::string& text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// An .npy file of format 1.0 with `header` padded the way numpy pads it.
std::string npy_v1(std::string header, const std::string& data = {}) {
    header += '\n';
    std::string out = "\x93NUMPY\x01";
    out += '\0';
    out += static_cast<char>(header.size() & 0xFF);
    out += static_cast<char>(header.size() >> 8);
    return out + header + data;
}

std::string npy_v3(std::string header, const std::string& data = {}) {
    header += '\n';
    std::string out = "\x93NUMPY\x03";
    out += '\0';
    for (int i = 0; i < 4; ++i)
        out += static_cast<char>((header.size() >> (8 * i)) & 0xFF);
    return out + header + data;
}

NumpyDtype dtype_of(std::string_view text) {
    const auto result = parse_dtype_string(text);
    EXPECT_TRUE(result.ok) << text << ": " << result.error;
    return result.dtype;
}

TEST(NumpyDtype, ReadsTheSpellingsNumpyWrites) {
    EXPECT_EQ(dtype_of("<f8").itemsize, 8u);
    EXPECT_EQ(dtype_of("|b1").itemsize, 1u);
    EXPECT_EQ(dtype_of("<U5").itemsize, 20u);
    EXPECT_EQ(dtype_of("|S3").itemsize, 3u);
    EXPECT_EQ(dtype_of("|V16").itemsize, 16u);
    EXPECT_EQ(dtype_of("<M8[ns]").itemsize, 8u);
    EXPECT_EQ(dtype_of("<c16").itemsize, 16u);
    EXPECT_EQ(dtype_of("float32").itemsize, 4u);
    EXPECT_EQ(dtype_of("d").itemsize, 8u);
    EXPECT_FALSE(dtype_of("<i4").has_object);
}

TEST(NumpyDtype, FindsObjectBehindEverySpelling) {
    for (const auto* text :
         {"|O", "O", "<O", "O8", "object", "object_", "O4", "i4,O", "(2,3)O", "3O", "f8, (2,)|O"}) {
        EXPECT_TRUE(dtype_of(text).has_object) << text;
    }
}

TEST(NumpyDtype, RejectsSpellingsItCannotVerify) {
    for (const auto* text :
         {"", "x8", "i3", "O2", "Object", "pickle", "f8[", "(2,3f8", "M8[n s]"}) {
        EXPECT_FALSE(parse_dtype_string(text).ok) << text;
    }
}

TEST(NumpyDtype, ComputesStructuredAndSubarraySizes) {
    EXPECT_EQ(dtype_of("i4,f8").itemsize, 12u);
    EXPECT_EQ(dtype_of("(2,3)<f4").itemsize, 24u);
    const auto fields =
        parse_python_literal("[('x', '<f4'), ('', '|V4'), (('title', 'y'), '<i8', (2,))]");
    const auto structured = dtype_from_descr(fields.value);
    ASSERT_TRUE(structured.ok) << structured.error;
    EXPECT_EQ(structured.dtype.itemsize, 4u + 4u + 16u);
    const auto nested = dtype_from_descr(parse_python_literal("[('a', [('b', '|O')])]").value);
    ASSERT_TRUE(nested.ok);
    EXPECT_TRUE(nested.dtype.has_object);
    EXPECT_EQ(dtype_from_descr(parse_python_literal("('<f8', (2, 2))").value).dtype.itemsize, 32u);
}

TEST(NumpyHeader, ParsesRealFloatArray) {
    const auto bytes = read_fixture("models/benign/array_float.npy");
    const auto parsed = parse_npy_header(span_of(bytes));
    ASSERT_TRUE(parsed.ok) << parsed.error;
    EXPECT_EQ(parsed.header.major, 1);
    EXPECT_EQ(parsed.header.data_offset, 128u);
    EXPECT_EQ(parsed.header.shape, (std::vector<int64_t>{3, 4}));
    EXPECT_EQ(parsed.header.descr_text, "'<f4'");
    EXPECT_EQ(npy_data_size(parsed.header), 48u);
    EXPECT_EQ(bytes.size(), 128u + 48u);
}

TEST(NumpyHeader, AcceptsVersionThreeUtf8AndPythonTwoLongs) {
    EXPECT_TRUE(parse_npy_header(span_of(npy_v3("{'descr': [('\xc3\xa9t\xc3\xa9', '<f4')], "
                                                "'fortran_order': False, 'shape': (1,)}")))
                    .ok);
    const auto python2 = parse_npy_header(
        span_of(npy_v1("{'descr': '<f8', 'fortran_order': False, 'shape': (2L, 3L), }")));
    ASSERT_TRUE(python2.ok) << python2.error;
    EXPECT_EQ(python2.header.shape, (std::vector<int64_t>{2, 3}));
    EXPECT_FALSE(parse_npy_header(
                     span_of(npy_v3("{'descr': '<f8', 'fortran_order': False, 'shape': (2L,)}")))
                     .ok);
}

TEST(NumpyHeader, RejectsHeadersNumpyRejects) {
    const std::pair<std::string, std::string> cases[] = {
        {npy_v1("{'descr': '<f8', 'shape': (1,)}"), "header keys are not exactly"},
        {npy_v1("{'descr': '<f8', 'fortran_order': 0, 'shape': (1,)}"), "fortran_order"},
        {npy_v1("{'descr': '<f8', 'fortran_order': False, 'shape': [1]}"), "shape is not a tuple"},
        {npy_v1("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}"), "header keys"},
        {npy_v1("['descr', 'fortran_order', 'shape']"), "not a dictionary"},
        {npy_v1("{'descr': __import__('os'), 'fortran_order': False, 'shape': ()}"),
         "not a Python literal"},
        {std::string("\x93NUMPY\x04\x00\x00\x00", 10), "unsupported .npy format version 4.0"},
        {std::string("\x93NUMPY\x01\x00\xff\x00{", 11), "header declares 255 bytes"},
    };
    for (const auto& [content, expected] : cases) {
        const auto parsed = parse_npy_header(span_of(content));
        EXPECT_FALSE(parsed.ok) << content;
        EXPECT_NE(parsed.error.find(expected), std::string::npos) << parsed.error;
    }
}

TEST(NumpyAnalyzer, HandsObjectArrayPickleToThePickleAnalyzer) {
    const auto content = read_fixture("models/malicious/npy_object_payload.npy");
    auto run = run_analyzer(std::make_unique<NumpyAnalyzer>(), content, "labels.npy");

    ASSERT_EQ(run->dispatched.size(), 1u);
    const auto& pickle = run->dispatched[0];
    EXPECT_EQ(pickle.location,
              location_of({file_part("labels.npy"), embedded_part("object array pickle")}));
    EXPECT_EQ(pickle.format, Format::pickle);
    EXPECT_EQ(pickle.bytes, content.substr(128));
    EXPECT_EQ(pickle.bytes.substr(2, 10), "cos\nsystem");

    const auto& findings = run->findings();
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].rule_id, rules::kNumpyObjectArray);
    EXPECT_EQ(findings[0].severity, Severity::info);
    EXPECT_EQ(findings[0].location.offset, 128u);
    EXPECT_EQ(run->report.stats().formats.at("numpy"), 1u);
}

TEST(NumpyAnalyzer, FloatArrayOfDeclaredSizeIsClean) {
    auto run = run_analyzer(std::make_unique<NumpyAnalyzer>(),
                            read_fixture("models/benign/array_float.npy"), "w.npy");
    EXPECT_TRUE(run->findings().empty());
    EXPECT_TRUE(run->dispatched.empty());
}

TEST(NumpyAnalyzer, ReportsTruncatedData) {
    auto content = read_fixture("models/benign/array_float.npy");
    content.resize(content.size() - 5);
    auto run = run_analyzer(std::make_unique<NumpyAnalyzer>(), content, "w.npy");
    const auto& findings = run->findings();
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].rule_id, rules::kScanUnparseable);
    EXPECT_EQ(findings[0].severity, Severity::high);
    EXPECT_EQ(findings[0].location.offset, 171u);
}

TEST(NumpyAnalyzer, ReportsAndExaminesBytesAfterTheArray) {
    // A pickle appended after a float array: numpy.load ignores it, another
    // reader of the same file might not.
    const std::string appended = "\x80\x02\x63os\nsystem\n.";
    auto run = run_analyzer(std::make_unique<NumpyAnalyzer>(),
                            read_fixture("models/benign/array_float.npy") + appended, "w.npy");
    const auto& findings = run->findings();
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].rule_id, rules::kDataOutsideStructure);
    EXPECT_EQ(findings[0].severity, Severity::medium);
    EXPECT_EQ(findings[0].location.offset, 176u);
    ASSERT_EQ(run->dispatched.size(), 1u);
    EXPECT_EQ(run->dispatched[0].bytes, appended);
    EXPECT_EQ(run->dispatched[0].location,
              location_of({file_part("w.npy"), embedded_part("data after the array")}));
}

TEST(NumpyAnalyzer, UnparseableHeaderIsReportedAndPickleAfterItStillExamined) {
    // A header hazmat cannot verify must not hide the pickle behind it.
    const auto content = npy_v1(
        "{'descr': 'O' if 1 else 'f8', 'fortran_order': False, "
        "'shape': ()}",
        "\x80\x02N.");
    auto run = run_analyzer(std::make_unique<NumpyAnalyzer>(), content, "x.npy");
    const auto& findings = run->findings();
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].rule_id, rules::kScanUnparseable);
    EXPECT_EQ(findings[0].location.offset, 10u + 14u);
    ASSERT_EQ(run->dispatched.size(), 1u);
    EXPECT_EQ(run->dispatched[0].format, Format::pickle);
    EXPECT_EQ(run->dispatched[0].bytes, "\x80\x02N.");
}

TEST(NumpyAnalyzer, ObjectDtypeSpelledUnusuallyIsStillAPickle) {
    const auto content = npy_v1(
        "{'descr': [('a', '<f8'), ('b', 'O')], 'fortran_order': False, "
        "'shape': (1,)}",
        "\x80\x03N.");
    auto run = run_analyzer(std::make_unique<NumpyAnalyzer>(), content, "x.npy");
    ASSERT_EQ(run->dispatched.size(), 1u);
    EXPECT_EQ(run->dispatched[0].format, Format::pickle);
    EXPECT_EQ(run->findings().at(0).rule_id, rules::kNumpyObjectArray);
}

}  // namespace
}  // namespace hazmat::models
