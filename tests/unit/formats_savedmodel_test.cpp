#include <gtest/gtest.h>

#include "core/rule_ids.hpp"
#include "formats_test_support.hpp"
#include "scan/models/protobuf_wire.hpp"
#include "scan/models/savedmodel.hpp"

namespace hazmat::models {
namespace {

using hazmat::testing::above_info;
using hazmat::testing::file_part;
using hazmat::testing::has_evidence;
using hazmat::testing::location_of;
using hazmat::testing::pb_field_bytes;
using hazmat::testing::pb_field_varint;
using hazmat::testing::read_fixture;
using hazmat::testing::run_analyzer;
using hazmat::testing::span_of;
using hazmat::testing::tf_graph;
using hazmat::testing::tf_node;
using hazmat::testing::with_rule;

std::unique_ptr<hazmat::testing::AnalyzerRun> scan_pb(std::string content,
                                                      const std::string& name) {
    return run_analyzer(std::make_unique<SavedModelAnalyzer>(), std::move(content), name);
}

// Offset of the NodeDef whose name is `name`: its field tag and one-byte
// length precede the name field.
uint64_t node_offset(const std::string& bytes, const std::string& name) {
    const std::string name_field = std::string(1, '\x0a') + static_cast<char>(name.size()) + name;
    const auto at = bytes.find(name_field);
    EXPECT_NE(at, std::string::npos) << name;
    return at - 2;
}

TEST(ProtoReader, ReadsEveryWireTypeAndStopsAtBadLengths) {
    const std::string message = pb_field_varint(1, 300) + std::string("\x11", 1) +
                                std::string(8, '\x01') + pb_field_bytes(3, "abc") +
                                std::string("\x25\x02\x00\x00\x00", 5);
    ProtoReader reader(span_of(message), 100);
    ProtoField field;
    ASSERT_TRUE(reader.next(field));
    EXPECT_EQ(field.value, 300u);
    EXPECT_EQ(field.offset, 100u);
    ASSERT_TRUE(reader.next(field));
    EXPECT_EQ(field.wire, ProtoField::Wire::fixed64);
    ASSERT_TRUE(reader.next(field));
    EXPECT_EQ(field.text(), "abc");
    EXPECT_EQ(field.payload_offset, 100u + 3 + 9 + 2);
    ASSERT_TRUE(reader.next(field));
    EXPECT_EQ(field.value, 2u);
    EXPECT_FALSE(reader.next(field));
    EXPECT_FALSE(reader.failed());

    const std::string overlong = pb_field_varint(1, 1) + std::string("\x12\x7f", 2) + "ab";
    ProtoReader bad(span_of(overlong), 0);
    EXPECT_TRUE(bad.next(field));
    EXPECT_FALSE(bad.next(field));
    EXPECT_TRUE(bad.failed());
    EXPECT_EQ(bad.error_offset(), 2u);
    EXPECT_NE(bad.error().find("length 127 runs past the end"), std::string::npos);

    const std::string group = std::string("\x0b", 1);  // start-group wire type
    ProtoReader groups(span_of(group), 0);
    EXPECT_FALSE(groups.next(field));
    EXPECT_NE(groups.error().find("unsupported wire type 3"), std::string::npos);
}

TEST(SavedModel, ListsGraphAndFunctionNodesAndKerasMetadata) {
    const auto bytes = read_fixture("formats/benign/savedmodel/saved_model.pb");
    const auto inventory = read_tensorflow_file(span_of(bytes), TensorFlowFile::saved_model);
    ASSERT_TRUE(inventory.ok) << inventory.error;
    EXPECT_EQ(inventory.meta_graphs, 1u);
    EXPECT_EQ(inventory.functions, 1u);
    ASSERT_EQ(inventory.nodes.size(), 13u);
    EXPECT_EQ(inventory.nodes[2].op, "MatMul");
    EXPECT_EQ(inventory.nodes[11].function, "__inference_serve_42");
    ASSERT_EQ(inventory.keras.size(), 1u);
    EXPECT_EQ(inventory.keras[0].node, "object 0 (_tf_keras_layer)");
}

TEST(SavedModel, KeepsCheckpointOpsQuiet) {
    auto run = scan_pb(read_fixture("formats/benign/savedmodel/saved_model.pb"), "saved_model.pb");
    EXPECT_TRUE(above_info(run->findings()).empty());
    // The vocabulary table reads an asset: listed, at info.
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_EQ(run->findings()[0].severity, Severity::info);
    EXPECT_NE(run->findings()[0].message.find("InitializeTableFromTextFileV2"), std::string::npos);
    EXPECT_EQ(run->report.stats().formats.at("tf-savedmodel"), 1u);
}

TEST(SavedModel, FlagsPythonFileAndExfiltrationOps) {
    const auto bytes = read_fixture("formats/malicious/savedmodel/saved_model.pb");
    auto run = scan_pb(bytes, "saved_model.pb");
    const auto findings = run->findings();
    ASSERT_EQ(findings.size(), 5u);

    const auto python = with_rule(findings, rules::kGraphPythonOp);
    ASSERT_EQ(python.size(), 1u);
    EXPECT_EQ(python[0].severity, Severity::high);
    EXPECT_EQ(python[0].location.offset, node_offset(bytes, "callback"));
    EXPECT_EQ(python[0].evidence, (std::vector<std::string>{"node 'callback'"}));

    const auto files = with_rule(findings, rules::kGraphFileOp);
    ASSERT_EQ(files.size(), 2u);
    EXPECT_EQ(files[0].severity, Severity::medium);  // ReadFile
    EXPECT_EQ(files[0].location.offset, node_offset(bytes, "secret"));
    EXPECT_EQ(files[0].evidence[0], "node 'secret' in function '__inference_exfiltrate_7'");
    EXPECT_EQ(files[1].severity, Severity::high);  // WriteFile
    EXPECT_EQ(files[1].location.offset, node_offset(bytes, "drop"));

    const auto outputs = with_rule(findings, rules::kGraphOutputOp);
    ASSERT_EQ(outputs.size(), 2u);
    EXPECT_EQ(outputs[0].severity, Severity::high);  // PrintV2 to a file
    EXPECT_TRUE(has_evidence(outputs[0], "sending to file:///tmp/hazmat-test.log"));
    EXPECT_EQ(outputs[1].severity, Severity::high);  // DebugIdentity over grpc
    EXPECT_TRUE(has_evidence(outputs[1], "sending to grpc://localhost:6064"));
}

TEST(SavedModel, PrintToStandardErrorIsLow) {
    const auto graph = tf_graph(
        {tf_node("p", "PrintV2", {{"output_stream", "stderr"}}), tf_node("d", "DebugIdentity")});
    auto run = scan_pb(graph, "frozen_graph.pb");
    ASSERT_EQ(run->findings().size(), 2u);
    EXPECT_EQ(run->findings()[0].severity, Severity::low);
    EXPECT_EQ(run->findings()[1].severity, Severity::medium);
    EXPECT_EQ(run->report.stats().formats.at("tf-graph"), 1u);
}

TEST(SavedModel, AnalyzesKerasMetadata) {
    const auto bytes = read_fixture("formats/malicious/savedmodel/keras_metadata.pb");
    auto run = scan_pb(bytes, "keras_metadata.pb");
    ASSERT_EQ(run->findings().size(), 1u);
    EXPECT_EQ(run->findings()[0].rule_id, rules::kKerasLambda);
    EXPECT_EQ(run->findings()[0].location.offset, bytes.find("{\"name\""));
    auto benign =
        scan_pb(read_fixture("formats/benign/savedmodel/keras_metadata.pb"), "keras_metadata.pb");
    EXPECT_TRUE(benign->findings().empty());
}

TEST(SavedModel, MalformedProtobufIsUnverifiedWithWhatCameBefore) {
    // A PyFunc node, then a node whose length runs past the end.
    const std::string bytes = tf_graph({tf_node("callback", "PyFunc")}) + "\x0a\x40\x0a\x01x";
    auto run = scan_pb(bytes, "graph.pb");
    ASSERT_EQ(run->findings().size(), 2u);
    EXPECT_EQ(run->findings()[0].rule_id, rules::kGraphPythonOp);
    EXPECT_EQ(run->findings()[1].rule_id, rules::kScanUnparseable);
    EXPECT_EQ(run->findings()[1].location.offset, 20u);

    // Wrong wire type for GraphDef.node.
    auto wrong = scan_pb(pb_field_varint(1, 5), "graph.pb");
    ASSERT_EQ(wrong->findings().size(), 1u);
    EXPECT_NE(wrong->findings()[0].message.find("field 'node' has the wrong wire type"),
              std::string::npos);

    // Text that is not protobuf at all.
    auto text = scan_pb("just some text in a .pb file", "notes.pb");
    ASSERT_EQ(text->findings().size(), 1u);
    EXPECT_EQ(text->findings()[0].rule_id, rules::kScanUnparseable);
}

TEST(SavedModel, EveryTruncationIsReadWithoutACrash) {
    const auto whole = read_fixture("formats/malicious/savedmodel/saved_model.pb");
    size_t unverified = 0;
    for (size_t length = 1; length < whole.size(); ++length) {
        auto run = scan_pb(whole.substr(0, length), "saved_model.pb");
        unverified += with_rule(run->findings(), rules::kScanUnparseable).size();
    }
    // Cuts at a field boundary of the outermost message leave a valid prefix.
    EXPECT_GT(unverified, whole.size() - 10);
}

TEST(SavedModel, AcceptsOnlyUnrecognisedPbFiles) {
    const SavedModelAnalyzer analyzer;
    Blob blob;
    blob.name = "model/saved_model.pb";
    EXPECT_TRUE(analyzer.accepts(blob, Format::unknown));
    EXPECT_FALSE(analyzer.accepts(blob, Format::zip));
    blob.name = "model/weights.bin";
    EXPECT_FALSE(analyzer.accepts(blob, Format::unknown));
    EXPECT_EQ(tensorflow_file_kind("x/fingerprint.pb"), TensorFlowFile::fingerprint);
    EXPECT_EQ(tensorflow_file_kind("frozen.pb"), TensorFlowFile::graph_def);
}

}  // namespace
}  // namespace hazmat::models
