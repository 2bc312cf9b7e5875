#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/rule_ids.hpp"
#include "core/scanner.hpp"
#include "formats_test_support.hpp"
#include "scan/models/onnx.hpp"

namespace hazmat::models {
namespace {

namespace fs = std::filesystem;

using hazmat::testing::file_part;
using hazmat::testing::location_of;
using hazmat::testing::pb_field_bytes;
using hazmat::testing::pb_field_varint;
using hazmat::testing::read_fixture;
using hazmat::testing::run_analyzer;
using hazmat::testing::span_of;
using hazmat::testing::with_rule;

std::unique_ptr<hazmat::testing::AnalyzerRun> scan_onnx(std::string content,
                                                        const std::string& name = "m.onnx") {
    return run_analyzer(std::make_unique<OnnxAnalyzer>(), std::move(content), name);
}

// A directory with a copy of the external-data fixture, removed afterwards.
class ModelDirectory : public ::testing::Test {
  protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() /
                ("hazmat-onnx-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(root_);
        fs::create_directories(root_ / "model");
        fs::create_directories(root_ / "outside");
        write(root_ / "model" / "model.onnx",
              read_fixture("formats/benign/onnx_external/model.onnx"));
        write(root_ / "outside" / "secret.data",
              read_fixture("formats/benign/onnx_external/model.onnx.data"));
    }
    void TearDown() override { fs::remove_all(root_); }

    static void write(const fs::path& path, const std::string& content) {
        std::ofstream(path, std::ios::binary) << content;
    }

    // Scans the model file as the scanner does for a file on disk.
    std::vector<Finding> scan_model() const {
        std::vector<std::unique_ptr<Analyzer>> analyzers;
        analyzers.push_back(std::make_unique<OnnxAnalyzer>());
        const Dispatcher dispatcher(std::move(analyzers));
        const Scanner scanner(dispatcher, ScanLimits{}, 1);
        Report report;
        const auto path = root_ / "model" / "model.onnx";
        scanner.scan_file({path, path.string(), fs::file_size(path)}, report);
        report.finish();
        return report.findings();
    }

    fs::path root_;
};

TEST(OnnxReader, ReadsARealModel) {
    const auto bytes = read_fixture("formats/benign/onnx_linear.onnx");
    const auto model = read_onnx_model(span_of(bytes));
    ASSERT_TRUE(model.ok) << model.error;
    EXPECT_EQ(model.ir_version, 8);
    EXPECT_EQ(model.producer, "hazmat-fixture");
    EXPECT_EQ(model.nodes, 2u);
    EXPECT_EQ(model.tensors, 2u);
    EXPECT_EQ(model.opsets, (std::vector<std::pair<std::string, int64_t>>{{"", 13}}));
    EXPECT_TRUE(model.mismatches.empty());
    EXPECT_TRUE(model.external.empty());
    EXPECT_TRUE(scan_onnx(bytes)->findings().empty());
}

TEST(OnnxReader, ReadsExternalDataEntries) {
    const auto model =
        read_onnx_model(span_of(read_fixture("formats/benign/onnx_external/model.onnx")));
    ASSERT_EQ(model.external.size(), 2u);
    EXPECT_EQ(model.external[0].tensor, "w");
    EXPECT_EQ(model.external[0].location, "model.onnx.data");
    EXPECT_EQ(model.external[1].offset, 64u);
    EXPECT_EQ(model.external[1].length, 16u);
    EXPECT_EQ(model.external[1].expected_bytes, 16u);
}

TEST(OnnxExternalData, ClassifiesLocations) {
    EXPECT_EQ(external_location_escape("/etc/passwd"), "is an absolute path");
    EXPECT_EQ(external_location_escape("\\\\server\\share\\x"), "is an absolute path");
    EXPECT_EQ(external_location_escape("C:\\Users\\x"), "is an absolute Windows path");
    EXPECT_EQ(external_location_escape("../secret"),
              "climbs out of the model's directory with '..'");
    EXPECT_EQ(external_location_escape("weights/../../secret"),
              "climbs out of the model's directory with '..'");
    EXPECT_EQ(external_location_escape("weights\\..\\..\\secret"),
              "climbs out of the model's directory with '..'");
    EXPECT_EQ(external_location_escape(std::string("w.data\0/etc/passwd", 18)),
              "contains a NUL byte, which cuts the path short in C++ readers");
    EXPECT_EQ(external_location_escape(""), "is empty");
    EXPECT_EQ(external_location_escape("weights/../model.onnx.data"), std::nullopt);
    EXPECT_EQ(external_location_escape("./data/w.bin"), std::nullopt);
}

TEST(OnnxExternalData, FlagsAbsoluteAndTraversingLocations) {
    const auto absolute = read_fixture("formats/malicious/onnx_external_absolute.onnx");
    auto run = scan_onnx(absolute);
    ASSERT_EQ(run->findings().size(), 1u);
    const auto& finding = run->findings()[0];
    EXPECT_EQ(finding.rule_id, rules::kOnnxExternalDataEscape);
    EXPECT_EQ(finding.severity, Severity::high);
    EXPECT_EQ(finding.location.chain, location_of({file_part("m.onnx")}).chain);
    EXPECT_NE(finding.message.find("'/etc/hostname', which is an absolute path"),
              std::string::npos);
    EXPECT_EQ(finding.evidence, (std::vector<std::string>{"tensor 'w'"}));

    run = scan_onnx(read_fixture("formats/malicious/onnx_external_traversal.onnx"));
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_NE(run->findings()[0].message.find("'weights/../../../.ssh/id_rsa', which climbs out"),
              std::string::npos);
}

TEST_F(ModelDirectory, AcceptsExternalDataNextToTheModel) {
    write(root_ / "model" / "model.onnx.data",
          read_fixture("formats/benign/onnx_external/model.onnx.data"));
    EXPECT_TRUE(scan_model().empty());
}

TEST_F(ModelDirectory, FlagsExternalDataThroughASymbolicLink) {
    fs::create_symlink(root_ / "outside" / "secret.data", root_ / "model" / "model.onnx.data");
    const auto findings = scan_model();
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].rule_id, rules::kOnnxExternalDataEscape);
    EXPECT_EQ(findings[0].severity, Severity::high);
    EXPECT_NE(findings[0].message.find("passes through the symbolic link"), std::string::npos);
}

TEST_F(ModelDirectory, FlagsALinkedParentDirectory) {
    // The model names "model.onnx.data"; make the model refer through a
    // linked directory instead.
    auto bytes = read_fixture("formats/benign/onnx_external/model.onnx");
    const std::string from = "model.onnx.data";
    const std::string to = "linkdir/x.data0";  // same length keeps the protobuf valid
    ASSERT_EQ(from.size(), to.size());
    for (auto at = bytes.find(from); at != std::string::npos; at = bytes.find(from, at))
        bytes.replace(at, from.size(), to);
    write(root_ / "model" / "model.onnx", bytes);
    fs::create_directory_symlink(root_ / "outside", root_ / "model" / "linkdir");
    write(root_ / "outside" / "x.data0", std::string(80, '\0'));
    const auto findings = scan_model();
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_NE(findings[0].message.find("linkdir"), std::string::npos);
}

TEST_F(ModelDirectory, HardLinkedExternalDataIsMedium) {
    fs::create_hard_link(root_ / "outside" / "secret.data", root_ / "model" / "model.onnx.data");
    const auto findings = scan_model();
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].severity, Severity::medium);
    EXPECT_NE(findings[0].message.find("2 hard links"), std::string::npos);
}

// External data under a name that pickle checkpoints also use.
class ExternalDataDirectory : public ::testing::Test {
  protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() /
                ("hazmat-onnx-bin-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(root_);
        fs::create_directories(root_);
        model_ = read_fixture("formats/benign/onnx_external_bin/model.onnx");
        data_ = read_fixture("formats/benign/onnx_external_bin/weights.bin");
    }
    void TearDown() override { fs::remove_all(root_); }

    static void write(const fs::path& path, const std::string& content) {
        fs::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << content;
    }

    // The model with "weights.bin" replaced by a name of the same length.
    std::string model_naming(const std::string& name) const {
        const std::string from = "weights.bin";
        EXPECT_EQ(name.size(), from.size());
        auto bytes = model_;
        for (auto at = bytes.find(from); at != std::string::npos; at = bytes.find(from, at))
            bytes.replace(at, from.size(), name);
        return bytes;
    }

    // Scans one file on disk as the scanner does, with both ONNX analyzers.
    static std::unique_ptr<Report> scan(const fs::path& path) {
        std::vector<std::unique_ptr<Analyzer>> analyzers;
        analyzers.push_back(std::make_unique<OnnxAnalyzer>());
        analyzers.push_back(std::make_unique<OnnxExternalDataAnalyzer>());
        const Dispatcher dispatcher(std::move(analyzers));
        const Scanner scanner(dispatcher, ScanLimits{}, 1);
        auto report = std::make_unique<Report>();
        scanner.scan_file({path, path.string(), fs::file_size(path)}, *report);
        report->finish();
        return report;
    }

    fs::path root_;
    std::string model_;
    std::string data_;
};

TEST_F(ExternalDataDirectory, DataNamedLikeACheckpointIsClaimedByItsModel) {
    write(root_ / "model.onnx", model_);
    write(root_ / "weights.bin", data_);
    EXPECT_EQ(onnx_model_naming(root_ / "weights.bin"), root_ / "model.onnx");
    const auto report = scan(root_ / "weights.bin");
    EXPECT_TRUE(report->findings().empty());
    EXPECT_EQ(report->stats().formats.at("onnx-external-data"), 1u);
}

TEST_F(ExternalDataDirectory, DataInASubdirectoryIsClaimedToo) {
    write(root_ / "model.onnx", model_naming("w/eight.bin"));
    write(root_ / "w" / "eight.bin", data_);
    EXPECT_EQ(onnx_model_naming(root_ / "w" / "eight.bin"), root_ / "model.onnx");
    EXPECT_TRUE(scan(root_ / "w" / "eight.bin")->findings().empty());
}

TEST_F(ExternalDataDirectory, AnUnnamedFileIsStillAnUnknownModel) {
    write(root_ / "model.onnx", model_);
    write(root_ / "other.bin", data_);
    EXPECT_FALSE(onnx_model_naming(root_ / "other.bin").has_value());
    const auto report = scan(root_ / "other.bin");
    ASSERT_EQ(report->findings().size(), 1u);
    EXPECT_EQ(report->findings()[0].rule_id, rules::kScanUnknownModel);
    EXPECT_EQ(report->findings()[0].severity, Severity::high);
}

TEST_F(ExternalDataDirectory, ALocationThatClimbsOutClaimsNothing) {
    // ../x/weights.bin from a/ reaches x/weights.bin, but onnx refuses such
    // locations, so the file is not the model's data.
    write(root_ / "a" / "model.onnx", model_naming("../x/wt.bin"));
    write(root_ / "x" / "wt.bin", data_);
    EXPECT_FALSE(onnx_model_naming(root_ / "x" / "wt.bin").has_value());
    EXPECT_EQ(scan(root_ / "x" / "wt.bin")->findings().size(), 1u);
}

TEST_F(ExternalDataDirectory, APickleNamedAsExternalDataIsNotClaimed) {
    write(root_ / "model.onnx", model_);
    const auto pickle = read_fixture("formats/malicious/onnx_external_pickle/weights.bin");
    write(root_ / "weights.bin", pickle);
    Blob blob;
    blob.name = "weights.bin";
    blob.bytes = hazmat::testing::bytes_of(pickle);
    blob.location = location_of({file_part((root_ / "weights.bin").string())});
    EXPECT_FALSE(OnnxExternalDataAnalyzer().accepts(blob, Format::unknown));
    // The same bytes as plain data would be claimed.
    blob.bytes = hazmat::testing::bytes_of(data_);
    EXPECT_TRUE(OnnxExternalDataAnalyzer().accepts(blob, Format::unknown));
}

TEST(OnnxSizes, FlagsRawDataShorterThanTheShape) {
    auto run = scan_onnx(read_fixture("formats/malicious/onnx_size_mismatch.onnx"));
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_EQ(run->findings()[0].rule_id, rules::kTensorSizeMismatch);
    EXPECT_EQ(run->findings()[0].severity, Severity::medium);
    EXPECT_EQ(run->findings()[0].message,
              "Tensor 'w' declares 64 bytes of data (its shape and type) but its raw_data holds "
              "16.");
}

// TensorProto with dims [2, 3] (packed) and the given data fields.
std::string tensor(uint64_t data_type, const std::string& data_fields) {
    return pb_field_bytes(1, std::string("\x02\x03", 2)) + pb_field_varint(2, data_type) +
           pb_field_bytes(8, "t") + data_fields;
}

std::string model_with_initializer(const std::string& tensor_bytes) {
    const std::string graph = pb_field_bytes(5, tensor_bytes);
    return pb_field_varint(1, 8) + pb_field_bytes(2, "test") + pb_field_bytes(7, graph);
}

TEST(OnnxSizes, ComparesTypedValuesAndExternalLengths) {
    // 6 floats declared, 5 stored in float_data.
    auto run =
        scan_onnx(model_with_initializer(tensor(1, pb_field_bytes(4, std::string(20, '\0')))));
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_NE(run->findings()[0].message.find(
                  "declares 6 elements of data (its shape and type) but its float_data holds 5"),
              std::string::npos);
    // 6 int64 values as unpacked varints: consistent.
    std::string values;
    for (int i = 0; i < 6; ++i)
        values += pb_field_varint(7, 1);
    EXPECT_TRUE(scan_onnx(model_with_initializer(tensor(7, values)))->findings().empty());
    // External data with a declared length that is not 6 floats.
    const std::string external =
        pb_field_bytes(13, pb_field_bytes(1, "location") + pb_field_bytes(2, "w.data")) +
        pb_field_bytes(13, pb_field_bytes(1, "length") + pb_field_bytes(2, "4")) +
        pb_field_varint(14, 1);
    run = scan_onnx(model_with_initializer(tensor(1, external)));
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_NE(run->findings()[0].message.find("external_data length holds 4"), std::string::npos);
}

TEST(OnnxDomains, ListsCustomOperatorsInSubgraphs) {
    auto run = scan_onnx(read_fixture("formats/malicious/onnx_custom_domain.onnx"));
    ASSERT_EQ(run->findings().size(), 1u);
    const auto& finding = run->findings()[0];
    EXPECT_EQ(finding.rule_id, rules::kOnnxCustomDomain);
    EXPECT_EQ(finding.severity, Severity::info);
    EXPECT_EQ(finding.evidence, (std::vector<std::string>{"domain 'com.hazmat-test.ops': Warp"}));
}

TEST(OnnxDomains, ModelLocalFunctionsAreNotCustomOperators) {
    const std::string node = pb_field_bytes(4, "MyBlock") + pb_field_bytes(7, "local.fn");
    const std::string function = pb_field_bytes(1, "MyBlock") + pb_field_bytes(10, "local.fn");
    const std::string bytes = pb_field_varint(1, 8) + pb_field_bytes(2, "test") +
                              pb_field_bytes(7, pb_field_bytes(1, node)) +
                              pb_field_bytes(25, function);
    EXPECT_TRUE(scan_onnx(bytes)->findings().empty());
}

TEST(OnnxReader, DeeplyNestedSubgraphsAreUnverified) {
    std::string graph;
    for (int level = 0; level < 100; ++level) {
        const std::string attribute = pb_field_bytes(1, "body") + pb_field_bytes(6, graph);
        graph = pb_field_bytes(1, pb_field_bytes(4, "Loop") + pb_field_bytes(5, attribute));
    }
    auto run = scan_onnx(pb_field_varint(1, 8) + pb_field_bytes(2, "t") + pb_field_bytes(7, graph));
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_EQ(run->findings()[0].rule_id, rules::kScanUnparseable);
    EXPECT_NE(run->findings()[0].message.find("more than 64 levels"), std::string::npos);
}

TEST(OnnxReader, EveryTruncationIsReadWithoutACrash) {
    const auto whole = read_fixture("formats/malicious/onnx_external_absolute.onnx");
    for (size_t length = 1; length < whole.size(); ++length)
        scan_onnx(whole.substr(0, length));
    const auto cut = scan_onnx(whole.substr(0, whole.size() / 2));
    EXPECT_EQ(with_rule(cut->findings(), rules::kScanUnparseable).size(), 1u);
}

TEST(OnnxAnalyzer, RecognisesOnnxContentUnderAnotherName) {
    const OnnxAnalyzer analyzer;
    Blob blob;
    blob.name = "model.bin";
    const auto bytes = read_fixture("formats/benign/onnx_linear.onnx");
    blob.bytes = hazmat::testing::bytes_of(bytes);
    EXPECT_TRUE(analyzer.accepts(blob, Format::unknown));
    blob.bytes = hazmat::testing::bytes_of("\x08\x01\x12\x00");  // a SavedModel starts so
    EXPECT_FALSE(analyzer.accepts(blob, Format::unknown));
    blob.name = "model.onnx";
    EXPECT_FALSE(analyzer.accepts(blob, Format::zip));
}

}  // namespace
}  // namespace hazmat::models
