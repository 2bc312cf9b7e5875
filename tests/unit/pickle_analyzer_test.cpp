// The pickle analyzer as the dispatcher sees it: which blobs it takes,
// benign real-world pickles, limits, and its registration.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"
#include "pickle_test_support.hpp"
#include "scan/analyzers.hpp"
#include "scan/pickle/pickle_rule_ids.hpp"

namespace hazmat::pickle {
namespace {

using namespace std::string_literals;
using testing::fixture;
using testing::only;
using testing::scan;
using testing::with_rule;

ByteSpan span_of(std::string_view text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// A protocol-4 pickle of {"k0": 0, "k1": 1, ...} written opcode by opcode,
// the way pickle.dumps batches dict items.
std::string large_benign_dict(int entries) {
    std::string out = "\x80\x04}\x94"s;
    for (int i = 0; i < entries; i += 1000) {
        out += '(';
        for (int j = i; j < std::min(entries, i + 1000); ++j) {
            const std::string key = "k" + std::to_string(j);
            out += '\x8c';
            out += static_cast<char>(key.size());
            out += key;
            out += '\x94';
            out += 'J';
            for (int b = 0; b < 4; ++b)
                out += static_cast<char>((j >> (8 * b)) & 0xff);
        }
        out += 'u';
    }
    out += '.';
    return out;
}

TEST(PickleSniff, AcceptsPicklesOfEveryProtocol) {
    EXPECT_TRUE(looks_like_pickle(span_of("\x80\x04\x95")));
    for (const auto& entry :
         std::filesystem::directory_iterator(testing::fixture_dir() / "benign")) {
        const auto name = entry.path().filename().string();
        if (name.find(".p0.") == std::string::npos && name.find(".p1.") == std::string::npos)
            continue;
        const auto data = testing::read_file(entry.path());
        EXPECT_TRUE(looks_like_pickle(span_of(data))) << name;
    }
    EXPECT_TRUE(looks_like_pickle(span_of("N.")));
    EXPECT_TRUE(looks_like_pickle(span_of("cos\nsystem\n(S'ls'\ntR.")));
}

TEST(PickleSniff, RejectsTextAndBinaryData) {
    for (const auto* text : {
             "import os\nprint(os.getcwd())\n",
             "#!/usr/bin/env python3\n",
             "(a, b) = (1, 2)\n",
             "{\"a\": [1, 2, 3]}\n",
             "# Title\n\nSome *markdown* text.\n",
             "Some prose that starts with a capital S.\n",
             "I think therefore I am\n",
             "class Model:\n    pass\n",
             "0,1,2\n3,4,5\n",
         }) {
        EXPECT_FALSE(looks_like_pickle(span_of(text))) << text;
    }
    std::string floats;
    for (int i = 0; i < 64; ++i) {
        const float value = 0.1f * static_cast<float>(i) - 3.0f;
        floats.append(reinterpret_cast<const char*>(&value), sizeof value);
    }
    EXPECT_FALSE(looks_like_pickle(span_of(floats)));
    EXPECT_FALSE(looks_like_pickle(span_of("")));
}

TEST(PickleSniff, TakesProtocol0PicklesThatLookLikeZlib) {
    // "(S" passes zlib's header check; the analyzer must still take it.
    const std::string data = "(S'echo hazmat-test'\nios\nsystem\n.";
    ASSERT_EQ(sniff(span_of(data)), Format::zlib);
    PickleAnalyzer analyzer(testing::shipped_policy());
    Blob blob;
    blob.bytes = testing::bytes_of(data);
    EXPECT_TRUE(analyzer.accepts(blob, Format::zlib));
    EXPECT_FALSE(analyzer.accepts(blob, Format::zip));
    const auto report = scan(data);
    only(*report, rules::kPickleRunsProcess, "os.system");
}

TEST(PickleSniff, FindsStreamsHiddenInJunk) {
    const std::string junk = "\x00\x01\x02\x03hazmat\xff"s;
    const std::string data = junk +
                             "\x80\x02"
                             "cos\nsystem\n."s;
    EXPECT_EQ(find_next_stream(span_of(data), 0, 1024), junk.size());
    // Short benign streams in noise are not worth a stop.
    EXPECT_EQ(find_next_stream(span_of("\x00K\x07.\x00"s), 0, 1024), UINT64_MAX);
}

TEST(PickleAnalyzer, EmptyDeclaredPickleIsUnverified) {
    auto dispatcher = testing::pickle_dispatcher();
    Report report;
    ScanLimits limits;
    ScanContext context(*dispatcher, report, limits);
    Blob blob;
    blob.bytes = testing::bytes_of("");
    blob.location.chain.push_back({LocationPart::Kind::file, "model.pt"});
    context.scan(blob, Format::pickle);
    ASSERT_EQ(report.findings().size(), 1u);
    EXPECT_EQ(report.findings()[0].rule_id, rules::kScanUnparseable);
}

TEST(PickleAnalyzer, BenignPicklesOfTheRealLibrariesHaveNoFindings) {
    size_t files = 0;
    for (const auto& entry :
         std::filesystem::directory_iterator(testing::fixture_dir() / "benign")) {
        const auto name = entry.path().filename().string();
        const auto report = scan(testing::read_file(entry.path()), name);
        for (const auto& finding : report->findings()) {
            ADD_FAILURE() << name << ": " << finding.rule_id << " " << finding.message;
        }
        ++files;
    }
    EXPECT_GE(files, 16u);
}

TEST(PickleAnalyzer, BenignFormatsAreCounted) {
    const auto legacy = scan(fixture("benign/torch_legacy.pt"), "model.pt");
    EXPECT_EQ(legacy->stats().formats.at("pytorch-legacy"), 1u);
    const auto joblib = scan(fixture("benign/joblib_model.joblib"), "model.joblib");
    EXPECT_EQ(joblib->stats().formats.at("joblib"), 1u);
    EXPECT_EQ(joblib->stats().formats.at("pickle"), 1u);
}

TEST(PickleAnalyzer, StreamAfterLegacyTorchStoragesIsHiddenContent) {
    const std::string legacy = fixture("benign/torch_legacy.pt");
    const std::string extra =
        "\x80\x02"
        "cos\nsystem\n."s;
    const auto report = scan(legacy + extra, "model.pt");
    const auto& finding = only(*report, rules::kPickleHiddenContent, "another pickle stream");
    EXPECT_EQ(finding.location.offset, legacy.size());
    const auto& call = only(*report, rules::kPickleRunsProcess, "os.system");
    EXPECT_EQ(testing::chain_names(call), (std::vector<std::string>{"model.pt", "pickle 6"}));
    EXPECT_EQ(report->findings().size(), 2u);
}

TEST(PickleAnalyzer, LegacyTorchStoragesThatDoNotAddUpAreJunk) {
    std::string legacy = fixture("benign/torch_legacy.pt");
    legacy.resize(legacy.size() - 3);
    const auto report = scan(legacy, "model.pt");
    only(*report, rules::kPickleHiddenContent, "after the last pickle stream");
}

TEST(PickleAnalyzer, LargeBenignDictHasNoFindings) {
    const auto report = scan(large_benign_dict(500'000), "big.pkl");
    EXPECT_TRUE(report->findings().empty());
}

TEST(PickleAnalyzer, OpcodeBudgetIsReportedAndCallsBeforeItKept) {
    ScanLimits limits;
    limits.pickle_max_opcodes = 200;
    const std::string data =
        "\x80\x02"
        "cos\nsystem\n0"s +
        large_benign_dict(1000).substr(2);
    const auto report = scan(data, "x.pkl", limits);
    const auto& limit = only(*report, rules::kScanLimit, "pickle opcode count");
    EXPECT_TRUE(testing::has_evidence(limit, "more than 200 opcodes"));
    only(*report, rules::kPickleRunsProcess, "os.system");
}

TEST(PickleAnalyzer, StreamCountIsBounded) {
    ScanLimits limits;
    limits.pickle_max_streams = 2;
    const auto report = scan("K\x01.K\x02.K\x03."s, "x.pkl", limits);
    only(*report, rules::kScanLimit, "pickle streams per blob");
}

TEST(PickleAnalyzer, EmbeddedPickleDepthIsBounded) {
    // pickle.loads(pickle.loads(pickle.loads(...))) nested three deep, each
    // layer a protocol-0 string of the next.
    std::string inner = "cos\nsystem\n(S'echo hazmat-test'\ntR.";
    for (int i = 0; i < 3; ++i) {
        std::string escaped;
        for (const char c : inner) {
            if (c == '\n')
                escaped += "\\n";
            else if (c == '\'' || c == '\\')
                escaped += std::string("\\") + c;
            else
                escaped += c;
        }
        inner = "cpickle\nloads\n(S'" + escaped + "'\ntR.";
    }
    ScanLimits limits;
    limits.pickle_max_embedded_depth = 2;
    const auto report = scan(inner, "x.pkl", limits);
    EXPECT_EQ(with_rule(*report, rules::kPickleNestedLoad).size(), 3u);
    only(*report, rules::kScanLimit, "nested pickle.loads depth");
    EXPECT_TRUE(with_rule(*report, rules::kPickleRunsProcess).empty());

    limits.pickle_max_embedded_depth = 8;
    const auto deep = scan(inner, "x.pkl", limits);
    const auto& call = only(*deep, rules::kPickleRunsProcess, "os.system");
    EXPECT_EQ(call.location.chain.size(), 4u);
}

TEST(PickleAnalyzer, ThousandsOfCallablesAreSummarised) {
    std::string data = "(";
    for (int i = 0; i < 300; ++i)
        data += "cpkg" + std::to_string(i) + "\nf\n";
    data += "l.";
    const auto report = scan(data, "x.pkl");
    // The analyzer lists 256 callables and summarises the other 44; the
    // report then lists the first 20 findings of the rule in the file and
    // counts the rest in one more.
    EXPECT_EQ(with_rule(*report, rules::kPickleUnknownCallable).size(), 21u);
    const auto& summary = only(*report, rules::kPickleUnknownCallable, "44 more callables");
    EXPECT_EQ(summary.severity, Severity::high);
    EXPECT_TRUE(testing::has_evidence(summary, "for example pkg256.f"));
    const auto& rest = only(*report, rules::kPickleUnknownCallable, "237 more findings");
    EXPECT_EQ(rest.severity, Severity::high);
    EXPECT_TRUE(testing::has_evidence(rest, "and 232 more"));
}

TEST(PickleAnalyzer, DeadlineIsReported) {
    ScanLimits limits;
    limits.file_timeout = std::chrono::milliseconds(0);
    const auto report = scan(large_benign_dict(20'000), "x.pkl", limits);
    only(*report, rules::kScanLimit, "time per file");
}

TEST(PickleAnalyzer, UserAllowedDangerousCallableIsReportedAsInfo) {
    const std::vector<std::string> user = {
        "[[allow]]\nname = \"os.system\"\nwhy = \"tests run in a sandbox\"\n"};
    auto policy = CallablePolicy::from_text(
        testing::read_file(testing::rules_dir() / "denylist.toml"),
        testing::read_file(testing::rules_dir() / "allowlist.toml"), user);
    ASSERT_TRUE(policy.ok());
    const auto report = scan(fixture("inst_denied.pkl"), "x.pkl", {}, policy.value());
    const auto& finding = only(*report, rules::kPickleUserAllowed, "os.system");
    EXPECT_EQ(finding.severity, Severity::info);
    EXPECT_TRUE(testing::has_evidence(finding, "although the deny-list grades it HZ-PKL-002"));
    EXPECT_EQ(report->findings().size(), 1u);
}

TEST(PickleAnalyzer, IsRegisteredWithTheShippedPolicy) {
    AnalyzerOptions options{DataDir{HAZMAT_BUILD_DATA_DIR}, {}, {}, {}};
    auto dispatcher = build_dispatcher(options);
    ASSERT_TRUE(dispatcher.ok()) << dispatcher.error().message;
    bool found = false;
    for (const auto& analyzer : (*dispatcher)->analyzers())
        found = found || analyzer->name() == "pickle";
    EXPECT_TRUE(found);
}

TEST(PickleAnalyzer, MalformedUserAllowListStopsTheStart) {
    const auto path = std::filesystem::temp_directory_path() / "hazmat-bad-allow.toml";
    std::ofstream(path) << "[[allow]]\nname = \"a.b\"\n";
    AnalyzerOptions options{DataDir{HAZMAT_BUILD_DATA_DIR}, {path}, {}, {}};
    auto dispatcher = build_dispatcher(options);
    ASSERT_FALSE(dispatcher.ok());
    EXPECT_EQ(dispatcher.error().message, path.string() + ":1:1: entry 'a.b' has no 'why'");
    std::filesystem::remove(path);
}

}  // namespace
}  // namespace hazmat::pickle
