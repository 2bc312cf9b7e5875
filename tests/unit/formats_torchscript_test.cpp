#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/archive/zip_reader.hpp"
#include "core/rule_ids.hpp"
#include "formats_test_support.hpp"
#include "scan/models/torchscript_code.hpp"

namespace hazmat::models {
namespace {

using hazmat::testing::bytes_of;
using hazmat::testing::file_part;
using hazmat::testing::location_of;
using hazmat::testing::member_part;
using hazmat::testing::read_fixture;
using hazmat::testing::run_analyzer_on_blob;

std::vector<std::string> calls_in(std::string_view code) {
    std::vector<std::string> out;
    for (const auto& call : find_custom_op_calls(code))
        out.push_back(fmt::format("{}.{}@{}:{}", call.ns, call.op, call.line, call.column));
    return out;
}

TEST(TorchScriptCode, FindsCallsIntoUnknownNamespaces) {
    EXPECT_EQ(calls_in("def forward(self, x):\n  return ops.my_ops.warp(x)\n"),
              (std::vector<std::string>{"my_ops.warp@2:10"}));
    EXPECT_EQ(calls_in("y = torch.ops.vendor.fused(x)"),
              (std::vector<std::string>{"vendor.fused@1:11"}));
}

TEST(TorchScriptCode, IgnoresPyTorchNamespacesCommentsStringsAndAttributes) {
    EXPECT_TRUE(calls_in("_0 = ops.prim.NumToTensor(torch.size(x, 0))\n"
                         "y = torch.ops.aten.add(x, x)\n"
                         "z = ops.torchvision.nms(b, s, 0.5)\n")
                    .empty());
    EXPECT_TRUE(calls_in("# ops.evil.run(x) in a comment\n").empty());
    EXPECT_TRUE(calls_in("s = \"ops.evil.run\" + 'ops.bad.x'\n").empty());
    EXPECT_TRUE(calls_in("d = '''\nops.evil.run()\n'''\n").empty());
    EXPECT_TRUE(calls_in("self.ops.evil.run(x)\nmyops.evil.run(x)\nops.evil\n").empty());
    // Line numbers keep counting through multi-line strings.
    EXPECT_EQ(calls_in("d = '''\n\n'''\nx = ops.later.call(x)"),
              (std::vector<std::string>{"later.call@4:5"}));
}

TEST(TorchScriptCode, ReportsTheMemberWithLineAndColumn) {
    const auto archive = bytes_of(read_fixture("formats/malicious/torchscript_custom_op.pt"));
    const auto listing = read_zip_directory(archive.span());
    ASSERT_TRUE(listing.ok());
    const ZipEntry* code = nullptr;
    for (const auto& entry : listing->entries) {
        if (entry.name == "archive/code/__torch__.py")
            code = &entry;
    }
    ASSERT_NE(code, nullptr);
    const auto content = read_zip_member(archive, *code, 1 << 20);
    ASSERT_TRUE(content.ok());

    Blob blob;
    blob.bytes = *content;
    blob.location = location_of({file_part("m.pt"), member_part("archive/code/__torch__.py")});
    blob.name = "archive/code/__torch__.py";
    blob.depth = 1;
    auto run = run_analyzer_on_blob(std::make_unique<TorchScriptCodeAnalyzer>(), blob);
    ASSERT_EQ(run->findings().size(), 1u);
    const auto& finding = run->findings()[0];
    EXPECT_EQ(finding.rule_id, rules::kTorchScriptCustomOp);
    EXPECT_EQ(finding.severity, Severity::medium);
    EXPECT_EQ(finding.location.chain, blob.location.chain);
    const auto text = std::string(content->as_chars());
    const auto at = text.find("ops.hazmat_test");
    const auto line_start = text.rfind('\n', at) + 1;
    EXPECT_EQ(finding.location.line,
              static_cast<uint32_t>(std::count(text.begin(), text.begin() + at, '\n') + 1));
    EXPECT_EQ(finding.location.column, at - line_start + 1);
    EXPECT_EQ(finding.evidence.size(), 1u);
}

TEST(TorchScriptCode, AcceptsOnlyCodeMembers) {
    const TorchScriptCodeAnalyzer analyzer;
    Blob blob;
    blob.location = location_of({file_part("m.pt"), member_part("archive/code/__torch__.py")});
    EXPECT_TRUE(analyzer.accepts(blob, Format::unknown));
    blob.location = location_of({file_part("m.pt"), member_part("archive/data.pkl")});
    EXPECT_FALSE(analyzer.accepts(blob, Format::unknown));
    blob.location = location_of({file_part("project/code/run.py")});
    EXPECT_FALSE(analyzer.accepts(blob, Format::unknown));
}

}  // namespace
}  // namespace hazmat::models
