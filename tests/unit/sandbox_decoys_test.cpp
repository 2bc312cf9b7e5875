#include <gtest/gtest.h>

#include <set>

#include "sandbox/decoys.hpp"
#include "sandbox/encodings.hpp"
#include "sandbox/leak_scanner.hpp"

namespace hazmat::sandbox {
namespace {

Persona fixed_persona() {
    Persona persona;
    persona.user_name = "alex";
    persona.host_name = "alex-thinkpad";
    return persona;
}

const DecoySecret& secret(const DecoySet& set, std::string_view id) {
    for (const auto& s : set.secrets) {
        if (s.id == id)
            return s;
    }
    throw std::runtime_error("no decoy " + std::string(id));
}

TEST(SandboxDecoys, PlantsTheCredentialsStealersLookFor) {
    const auto set = DecoySet::generate(fixed_persona());
    for (const char* path :
         {".aws/credentials", ".ssh/id_ed25519", ".netrc", ".config/gh/hosts.yml",
          ".cache/huggingface/token", ".docker/config.json", ".kube/config", ".git-credentials"}) {
        const auto* file = set.file(path);
        ASSERT_NE(file, nullptr) << path;
        EXPECT_TRUE(file->holds_secret) << path;
        EXPECT_EQ(file->mode, 0600u) << path;
    }
    std::set<std::string> names;
    for (const auto& [name, value] : set.environment)
        names.insert(name);
    for (const char* name : {"OPENAI_API_KEY", "HF_TOKEN", "AWS_ACCESS_KEY_ID",
                             "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN"})
        EXPECT_TRUE(names.count(name)) << name;
}

TEST(SandboxDecoys, ValuesLookRealAndSitInTheirFiles) {
    const auto set = DecoySet::generate(fixed_persona());
    const auto& key_id = secret(set, "aws-access-key-id").value;
    EXPECT_TRUE(key_id.starts_with("AKIA"));
    EXPECT_EQ(key_id.size(), 20u);
    EXPECT_EQ(secret(set, "aws-secret-access-key").value.size(), 40u);
    EXPECT_TRUE(secret(set, "huggingface-token").value.starts_with("hf_"));
    EXPECT_TRUE(secret(set, "gh-oauth-token").value.starts_with("gho_"));
    const auto& credentials = set.file(".aws/credentials")->content;
    EXPECT_NE(credentials.find("aws_access_key_id = " + key_id), std::string::npos);
    const auto& ssh = set.file(".ssh/id_ed25519")->content;
    EXPECT_TRUE(ssh.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE"));
    EXPECT_NE(ssh.find(secret(set, "ssh-private-key").value), std::string::npos);
    const auto& docker = set.file(".docker/config.json")->content;
    EXPECT_NE(docker.find(base64_encode("alex:" + secret(set, "docker-registry-token").value)),
              std::string::npos);
}

TEST(SandboxDecoys, EveryRunGetsItsOwnValues) {
    const auto first = DecoySet::generate(fixed_persona());
    const auto second = DecoySet::generate(fixed_persona());
    ASSERT_EQ(first.secrets.size(), second.secrets.size());
    std::set<std::string> values;
    for (const auto& s : first.secrets)
        values.insert(s.value);
    for (const auto& s : second.secrets)
        EXPECT_FALSE(values.count(s.value)) << s.id;
    EXPECT_EQ(values.size(), first.secrets.size());
}

TEST(SandboxEncodings, MatchTheirRfcs) {
    EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
    EXPECT_EQ(base32_encode("foobar"), "MZXW6YTBOI");
    EXPECT_EQ(hex_encode("\x01\xab"), "01ab");
    EXPECT_EQ(hex_encode("\x01\xab", true), "01AB");
    EXPECT_EQ(url_encode("a/b+c d"), "a%2Fb%2Bc%20d");
}

class LeakScannerTest : public ::testing::Test {
  protected:
    const std::vector<DecoySecret> secrets = {
        {"aws-secret-access-key", "~/.aws/credentials", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
        {"huggingface-token", "$HF_TOKEN", "hf_abcdefghijklmnopqrstuvwxyzABCDEFGH"},
    };
    LeakScanner scanner{secrets};

    bool found(std::string_view secret_id, std::string_view encoding, std::string_view channel) {
        for (const auto& hit : scanner.hits()) {
            if (hit.secret_id == secret_id && hit.encoding == encoding && hit.channel == channel)
                return true;
        }
        return false;
    }
};

TEST_F(LeakScannerTest, FindsThePlainValueInsideOtherText) {
    scanner.feed("stdout", "token=hf_abcdefghijklmnopqrstuvwxyzABCDEFGH&x=1\n");
    EXPECT_TRUE(found("huggingface-token", "plain", "stdout"));
    EXPECT_EQ(scanner.hits().size(), 1u);
}

TEST_F(LeakScannerTest, FindsBase64AtEveryAlignment) {
    const std::string value = secrets[0].value;
    for (const std::string prefix : {"", "a", "ab", "abc", "[default]\nkey = "}) {
        LeakScanner fresh(secrets);
        fresh.scan_whole("send", base64_encode(prefix + value + "\n"));
        ASSERT_EQ(fresh.hits().size(), 1u) << "prefix '" << prefix << "'";
        EXPECT_EQ(fresh.hits().begin()->encoding, "base64");
    }
}

TEST_F(LeakScannerTest, FindsUrlSafeBase64HexBase32AndPercentEncoding) {
    const std::string value = secrets[0].value;
    scanner.scan_whole("a", base64url_encode("x" + value));
    scanner.scan_whole("b", "q=" + hex_encode(value));
    scanner.scan_whole("c", base32_encode("xyz" + value) + ".exfil.invalid");
    scanner.scan_whole("d", "secret=" + url_encode(value));
    EXPECT_TRUE(found("aws-secret-access-key", "base64", "a"));
    EXPECT_TRUE(found("aws-secret-access-key", "hex", "b"));
    EXPECT_TRUE(found("aws-secret-access-key", "base32", "c"));
    EXPECT_TRUE(found("aws-secret-access-key", "url", "d"));
}

TEST_F(LeakScannerTest, FindsAPartlyPercentEncodedValue) {
    // What Python's urllib.parse.quote(value) gives: '/' kept, '+' escaped.
    scanner.scan_whole("file ~/project/out.txt",
                       "GET /?k=wJalrXUtnFEMI/K7MDENG%2BbPxRfiCYEXAMPLEKEY HTTP/1.1\n");
    // Lower-case hex, every character of the value an escape or not.
    scanner.feed("stdout", "k=wJalrXUtnFEMI%2fK7MDENG%2bbPxRfiCYEXAMPLEKEY\n");
    EXPECT_TRUE(found("aws-secret-access-key", "url", "file ~/project/out.txt"));
    EXPECT_TRUE(found("aws-secret-access-key", "url", "stdout"));
    EXPECT_EQ(scanner.hits().size(), 2u);
}

TEST_F(LeakScannerTest, APlainValueNextToAnEscapeIsReportedAsPlainOnly) {
    scanner.scan_whole("stdout", "100%25 sure: hf_abcdefghijklmnopqrstuvwxyzABCDEFGH\n");
    EXPECT_TRUE(found("huggingface-token", "plain", "stdout"));
    EXPECT_EQ(scanner.hits().size(), 1u);
}

TEST(PercentDecode, DecodesEscapesOnly) {
    EXPECT_EQ(percent_decode("a%2Fb%2bc+d%zz%4"), "a/b+c+d%zz%4");
    EXPECT_EQ(percent_decode("no escapes here, 100%"), std::nullopt);
}

TEST_F(LeakScannerTest, FindsAValueSplitAcrossWritesOfOneStream) {
    scanner.feed("stdout", "prefix hf_abcdefghijklm");
    scanner.feed("stderr", "nopqrstuvwxyzABCDEFGH");  // another stream: no match
    EXPECT_TRUE(scanner.hits().empty());
    scanner.feed("stdout", "nopqrstuvwxyzABCDEFGH suffix");
    EXPECT_TRUE(found("huggingface-token", "plain", "stdout"));
}

TEST_F(LeakScannerTest, IgnoresTextWithoutTheValues) {
    scanner.feed("stdout", "hf_abcdefghijklmnopqrstuvwxyzABCDEFG_ almost but not quite\n");
    scanner.scan_whole("file", std::string(100000, 'A'));
    EXPECT_TRUE(scanner.hits().empty());
}

}  // namespace
}  // namespace hazmat::sandbox
