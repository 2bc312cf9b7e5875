#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "core/baseline.hpp"
#include "scan/secrets/detector.hpp"
#include "scan/secrets/secrets_analyzer.hpp"
#include "scan/secrets/validators.hpp"
#include "secrets_test_support.hpp"

namespace hazmat {
namespace {

using testing::reportable;
using testing::scan_text;

// A GitHub token with a correct checksum over a fixed, never-issued body.
std::string github_token() {
    const std::string body = "Hz7kQ2mV9pLx4RtB8nWc3JfYd6GsA1";
    return "ghp_" + body + secrets::github_checksum(body);
}

std::vector<Finding> with_rule(const std::vector<Finding>& findings, std::string_view id) {
    std::vector<Finding> out;
    std::copy_if(findings.begin(), findings.end(), std::back_inserter(out),
                 [&](const Finding& f) { return f.rule_id == id; });
    return out;
}

// The compiled rule database is cached per user; a damaged cache file must
// neither fail the scan nor hide a token, and is replaced by a good one.
TEST(SecretDetectorCache, DamagedCacheIsRebuiltAndStillFindsTokens) {
    const auto cache_home = std::filesystem::temp_directory_path() /
                            ("hazmat-cache-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(cache_home);
    const char* saved = std::getenv("XDG_CACHE_HOME");
    const std::string previous = saved != nullptr ? saved : "";
    ::setenv("XDG_CACHE_HOME", cache_home.c_str(), 1);

    const auto rules = secrets::load_rule_directory(HAZMAT_BUILD_DATA_DIR "/rules/secrets");
    ASSERT_TRUE(rules) << rules.error().message;
    ASSERT_TRUE(secrets::SecretDetector::build(*rules));
    std::vector<std::filesystem::path> cached;
    for (const auto& entry : std::filesystem::directory_iterator(cache_home / "hazmat"))
        cached.push_back(entry.path());
    ASSERT_EQ(cached.size(), 1u);
    const auto good_size = std::filesystem::file_size(cached[0]);
    EXPECT_GT(good_size, 1000u);
    std::ofstream(cached[0], std::ios::trunc) << "not a vectorscan database";

    const auto rebuilt = secrets::SecretDetector::build(*rules);
    ASSERT_TRUE(rebuilt) << rebuilt.error().message;
    const auto result = (*rebuilt)->detect("token = " + github_token() + "\n", {});
    EXPECT_FALSE(result.detections.empty());
    EXPECT_EQ(std::filesystem::file_size(cached[0]), good_size);

    if (saved != nullptr)
        ::setenv("XDG_CACHE_HOME", previous.c_str(), 1);
    else
        ::unsetenv("XDG_CACHE_HOME");
    std::filesystem::remove_all(cache_home);
}

TEST(SecretValidators, GithubChecksumRejectsOneChangedCharacter) {
    const auto token = github_token();
    EXPECT_TRUE(secrets::github_checksum_valid(token));
    auto altered = token;
    altered[10] = altered[10] == 'a' ? 'b' : 'a';
    EXPECT_FALSE(secrets::github_checksum_valid(altered));
}

TEST(SecretValidators, PlaceholdersAreRecognised) {
    const std::vector<std::string> words = {"example", "xxxx"};
    const std::vector<std::string> values = {"AKIAIOSFODNN7EXAMPLE"};
    EXPECT_TRUE(secrets::placeholder_reason("AKIAIOSFODNN7EXAMPLE", words, values));
    EXPECT_TRUE(secrets::placeholder_reason("sk-xxxxxxxxxxxxxxxx", words, values));
    EXPECT_TRUE(secrets::placeholder_reason("0000000000000000", words, values));
    EXPECT_TRUE(secrets::placeholder_reason("abc123456789xyz", words, values));
    EXPECT_FALSE(secrets::placeholder_reason("Hz7kQ2mV9pLx4RtB8nWc", words, values));
}

TEST(SecretValidators, RedactionShowsPrefixAndLengthOnly) {
    EXPECT_EQ(secrets::redact(github_token()), "'ghp_Hz7k…' (40 characters, redacted)");
    EXPECT_EQ(secrets::redact("hunter22"), "'hu…' (8 characters, redacted)");
}

TEST(SecretsAnalyzer, TokenIsRedactedEverywhereInTheFinding) {
    const auto token = github_token();
    const auto found = with_rule(scan_text("GH = '" + token + "'\n"), "HZ-SEC-160");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].message.find(token), std::string::npos);
    for (const auto& line : found[0].evidence)
        EXPECT_EQ(line.find(token), std::string::npos) << line;
    EXPECT_EQ(found[0].fingerprint.find(token), std::string::npos);
}

TEST(SecretsAnalyzer, FingerprintSurvivesMovedLinesButNotAnotherFile) {
    const auto token = github_token();
    const auto first = with_rule(scan_text("t = '" + token + "'\n", "a.py"), "HZ-SEC-160");
    const auto moved =
        with_rule(scan_text("import os\n\n\n  t = '" + token + "'\n", "a.py"), "HZ-SEC-160");
    const auto other = with_rule(scan_text("t = '" + token + "'\n", "b.py"), "HZ-SEC-160");
    ASSERT_EQ(first.size(), 1u);
    ASSERT_EQ(moved.size(), 1u);
    ASSERT_EQ(other.size(), 1u);
    EXPECT_EQ(moved[0].location.line, 4u);
    EXPECT_EQ(first[0].fingerprint, moved[0].fingerprint);
    EXPECT_NE(first[0].fingerprint, other[0].fingerprint);
}

TEST(SecretsAnalyzer, IgnoreMarkerIsReportedNotObeyed) {
    const auto found = scan_text("x = 1\ntoken = '" + github_token() + "'  # gitleaks:allow\n");
    const auto secret = with_rule(found, "HZ-SEC-160");
    const auto marker = with_rule(found, "HZ-SEC-001");
    ASSERT_EQ(secret.size(), 1u);
    ASSERT_EQ(marker.size(), 1u);
    EXPECT_EQ(secret[0].severity, Severity::high);
    EXPECT_EQ(marker[0].severity, Severity::medium);
    EXPECT_EQ(marker[0].location.line, 2u);
    EXPECT_NE(marker[0].message.find("gitleaks:allow"), std::string::npos);
}

TEST(SecretsAnalyzer, ScannerConfigurationInTargetIsReported) {
    const auto found = scan_text("[allowlist]\npaths = ['''.*''']\n", "repo/.gitleaks.toml");
    const auto notice = with_rule(found, "HZ-SEC-002");
    ASSERT_EQ(notice.size(), 1u);
    EXPECT_EQ(notice[0].severity, Severity::low);
}

TEST(SecretsAnalyzer, SecretInCompiledPythonIsFoundByOffset) {
    // A .pyc keeps string constants verbatim between marshal bytes.
    std::string pyc("\x55\x0d\x0d\x0a\x00\x00\x00\x00\xe3\x00\x00\x00\x00\x00\x00\x00", 16);
    pyc += std::string("\xfa\x28", 2) + github_token();
    pyc += std::string(64, '\0');
    const auto found = with_rule(scan_text(pyc, "settings.cpython-311.pyc"), "HZ-SEC-160");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].location.offset, 18u);
    EXPECT_FALSE(found[0].location.line.has_value());
}

TEST(SecretsAnalyzer, GenericRulesDoNotRunOnBinaryContent) {
    std::string blob(32, '\0');
    blob += "password = \"Zq8vR2nX5kWm3pLt\"";
    blob += std::string(32, '\0');
    EXPECT_TRUE(reportable(scan_text(blob, "lib.so")).empty());
    EXPECT_EQ(reportable(scan_text("password = \"Zq8vR2nX5kWm3pLt\"\n")).size(), 1u);
}

TEST(SecretsAnalyzer, LargeBinaryTensorDataIsSkippedCheaply) {
    std::mt19937 random(7);
    std::string tensor(secrets::kMaxBinaryBytes + 4096, '\0');
    for (auto& byte : tensor)
        byte = static_cast<char>(random() & 0xff);
    EXPECT_EQ(
        secrets::classify_content({reinterpret_cast<const uint8_t*>(tensor.data()), tensor.size()}),
        secrets::ContentKind::skip);
    const std::string text = "x = 1\n";
    EXPECT_EQ(
        secrets::classify_content({reinterpret_cast<const uint8_t*>(text.data()), text.size()}),
        secrets::ContentKind::text);
}

// A key inside an escaped JSON string in a cell's source, and one printed in
// an output: both found with the cell and the line inside that cell. The
// same key inside a base64 image is not looked at.
TEST(SecretsNotebook, KeysInSourceAndOutputAreLocatedByCellAndLine) {
    const auto token = github_token();
    const std::string notebook = R"({
 "cells": [
  {"cell_type": "markdown", "metadata": {}, "source": ["# Training\n"]},
  {"cell_type": "code", "execution_count": 1, "metadata": {},
   "source": ["import json\n", "cfg = json.loads(\"{\\\"token\\\": \\\")" +
                                 token +
                                 R"(\\\"}\")\n"],
   "outputs": [
    {"output_type": "stream", "name": "stdout", "text": ["loaded\n", "using )" +
                                 token +
                                 R"(\n"]},
    {"output_type": "display_data", "metadata": {},
     "data": {"image/png": ")" + token +
                                 R"(AAAA", "text/plain": ["<Figure>"]}}
   ]}
 ],
 "metadata": {"kernelspec": {"name": "python3"}},
 "nbformat": 4, "nbformat_minor": 5
})";
    const auto found = with_rule(scan_text(notebook, "train.ipynb"), "HZ-SEC-160");
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0].location.chain.back().kind, LocationPart::Kind::embedded);
    EXPECT_EQ(found[0].location.chain.back().name, "cell 2");
    EXPECT_EQ(found[0].location.line, 2u);
    EXPECT_EQ(found[0].location.column, 33u);
    EXPECT_EQ(found[1].location.chain.back().name, "cell 2 output 1");
    EXPECT_EQ(found[1].location.line, 2u);
    EXPECT_EQ(found[1].location.column, 7u);
    // One secret in one file: the same fingerprint wherever the cell moves.
    EXPECT_EQ(found[0].fingerprint, found[1].fingerprint);
}

TEST(SecretsNotebook, BrokenNotebookIsStillSearchedAsText) {
    const auto found = with_rule(
        scan_text("{\"cells\": [ \"t = '" + github_token() + "'", "nb.ipynb"), "HZ-SEC-160");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].location.chain.size(), 1u);
}

// Realistic benign content that trips naive scanners: hashes in lock files,
// integrity strings, UUIDs, commit ids, base64 images, minified JavaScript,
// environment lookups and documentation placeholders. Nothing may be high.
std::string benign_corpus() {
    std::mt19937 random(42);
    const auto pick = [&](std::string_view alphabet, size_t n) {
        std::string out;
        for (size_t i = 0; i < n; ++i)
            out += alphabet[random() % alphabet.size()];
        return out;
    };
    constexpr std::string_view hex = "0123456789abcdef";
    constexpr std::string_view b64 =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    constexpr std::string_view ident = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$";
    std::string text = R"(import os
from openai import OpenAI
client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])
hf_token = os.getenv("HF_TOKEN")
wandb.login(key=os.environ.get("WANDB_API_KEY"))
# Set OPENAI_API_KEY=sk-... before running (see README)
AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
DATABASE_URL=postgresql://postgres:postgres@localhost:5432/postgres
model = AutoModel.from_pretrained("meta-llama/Llama-2-7b-hf", token=hf_token)
)";
    for (int i = 0; i < 2000; ++i) {
        text += "torch==2.1.0 --hash=sha256:" + pick(hex, 64) + "\n";
        text += "    \"integrity\": \"sha512-" + pick(b64, 86) + "==\",\n";
        text += "run_id = \"" + pick(hex, 8) + "-" + pick(hex, 4) + "-" + pick(hex, 4) + "-" +
                pick(hex, 4) + "-" + pick(hex, 12) + "\"\n";
        text += "commit " + pick(hex, 40) + "\n";
        text += "checkpoint_sha1 = \"" + pick(hex, 40) + "\"\n";
        text += "lr = 3e-4; step = " + std::to_string(i) + "; loss = 0.1" +
                std::to_string(random() % 1000) + "\n";
    }
    text += "data:image/png;base64,";
    for (int i = 0; i < 2000; ++i)
        text += pick(b64, 76);
    text += "\n";
    for (int i = 0; i < 3000; ++i)
        text += "var " + pick(ident, 2) + "=function(" + pick(ident, 1) + "){return " +
                pick(ident, 3) + "." + pick(ident, 8) + "(" + pick(ident, 1) + ")};";
    text += "\n";
    return text;
}

TEST(SecretsPrecision, BenignCorpusHasNoHighFindings) {
    const auto corpus = benign_corpus();
    for (const auto& finding : scan_text(corpus, "benign/train.py")) {
        EXPECT_LT(finding.severity, Severity::high)
            << finding.rule_id << " " << finding.location.to_display() << " " << finding.message;
    }
}

TEST(Baseline, RoundTripsFingerprintsWithoutSecrets) {
    const auto token = github_token();
    const auto findings = scan_text("t = '" + token + "'\n");
    const auto path = std::filesystem::temp_directory_path() / "hazmat-baseline-test.json";
    ASSERT_TRUE(write_baseline(path, findings).ok());
    auto baseline = Baseline::load(path);
    ASSERT_TRUE(baseline.ok()) << baseline.error().message;
    const auto secret = with_rule(findings, "HZ-SEC-160");
    ASSERT_EQ(secret.size(), 1u);
    EXPECT_TRUE(baseline->contains(secret[0].fingerprint));
    std::ifstream in(path);
    const std::string written((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(written.find(token), std::string::npos);
    std::filesystem::remove(path);
}

TEST(Baseline, RejectsFilesItDidNotWrite) {
    const auto path = std::filesystem::temp_directory_path() / "hazmat-not-a-baseline.json";
    std::ofstream(path) << "{\"findings\": []}";
    EXPECT_FALSE(Baseline::load(path).ok());
    std::filesystem::remove(path);
}

}  // namespace
}  // namespace hazmat
