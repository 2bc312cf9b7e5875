// The malicious-project corpus: each fixture imitates a public incident and
// must be caught with the expected rules, severities and positions. The
// fixtures are inert; they are scanned, never run.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "code_test_support.hpp"

namespace hazmat::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

bool evidence_contains(const Finding& finding, std::string_view text) {
    return std::any_of(
        finding.evidence.begin(), finding.evidence.end(),
        [&](const std::string& line) { return line.find(text) != std::string::npos; });
}

TEST(CodeFixtures, ImportTimeMinerDownloadIsCritical) {
    const auto scan = scan_code_fixture("miner_import");
    const auto found = scan.of("HZ-CODE-030", "cryptoutils/__init__.py");
    ASSERT_THAT(found, SizeIs(1));
    EXPECT_EQ(found[0].severity, Severity::critical);
    EXPECT_EQ(found[0].location.line, 12u);
    EXPECT_EQ(found[0].location.column, 5u);
    EXPECT_THAT(found[0].message, HasSubstr("imported"));
    EXPECT_TRUE(evidence_contains(found[0], "executed by os.chmod at line 13"));
    EXPECT_THAT(scan.rules_in("hashing.py"), SizeIs(0));
}

TEST(CodeFixtures, PthRunsDecodedPayloadAtInterpreterStart) {
    const auto scan = scan_code_fixture("pth_startup");
    EXPECT_THAT(scan.rules_in("colour_logging_init.pth"),
                ElementsAre("HZ-CODE-004", "HZ-CODE-020", "HZ-CODE-080"));
    const auto surface = scan.of("HZ-CODE-004");
    ASSERT_THAT(surface, SizeIs(1));
    EXPECT_EQ(surface[0].severity, Severity::medium);
    EXPECT_EQ(surface[0].location.line, 2u);
    const auto exec = scan.of("HZ-CODE-020");
    ASSERT_THAT(exec, SizeIs(1));
    EXPECT_EQ(exec[0].severity, Severity::critical);
    EXPECT_THAT(exec[0].message, HasSubstr("interpreter start"));
    // Not mistaken for a PyTorch checkpoint that nothing recognised.
    EXPECT_THAT(scan.of("HZ-SCAN-004"), SizeIs(0));
}

TEST(CodeFixtures, ConstructorPostingTheEnvironmentIsHigh) {
    const auto scan = scan_code_fixture("env_stealer");
    const auto found = scan.of("HZ-CODE-041", "telemetry/__init__.py");
    ASSERT_THAT(found, SizeIs(2));
    EXPECT_EQ(found[0].location.line, 13u);
    EXPECT_EQ(found[1].location.line, 14u);
    for (const auto& finding : found) {
        EXPECT_EQ(finding.severity, Severity::high);
        EXPECT_THAT(finding.message, HasSubstr("function is called"));
    }
}

TEST(CodeFixtures, ThirtyLayerPayloadIsUnwrappedToItsCore) {
    const auto scan = scan_code_fixture("onion");
    const auto exec = scan.of("HZ-CODE-020", "loader.py");
    ASSERT_THAT(exec, SizeIs(1));
    EXPECT_EQ(exec[0].severity, Severity::critical);
    EXPECT_EQ(exec[0].location.line, 3u);
    const auto payload = scan.of("HZ-CODE-080", "loader.py");
    ASSERT_THAT(payload, SizeIs(1));
    EXPECT_THAT(payload[0].message, HasSubstr("30 nested layers"));
    // Every layer was decoded within the budget: nothing left unverified.
    EXPECT_THAT(scan.of("HZ-SCAN-001"), SizeIs(0));
}

TEST(CodeFixtures, OffScreenWebhookStealerIsCaught) {
    const auto scan = scan_code_fixture("offscreen_webhook");
    EXPECT_THAT(scan.rules_in("helpers/__init__.py"),
                ElementsAre("HZ-CODE-040", "HZ-CODE-050", "HZ-CODE-081"));
    const auto hidden = scan.of("HZ-CODE-081");
    ASSERT_THAT(hidden, SizeIs(1));
    EXPECT_EQ(hidden[0].location.line, 1u);
    EXPECT_EQ(hidden[0].location.column, 233u);
    EXPECT_EQ(hidden[0].severity, Severity::critical);
    const auto webhook = scan.of("HZ-CODE-050");
    ASSERT_THAT(webhook, SizeIs(1));
    EXPECT_THAT(webhook[0].message, HasSubstr("Discord webhook"));
    EXPECT_EQ(webhook[0].severity, Severity::critical);
    EXPECT_THAT(scan.rules_in("paths.py"), SizeIs(0));
}

TEST(CodeFixtures, PostinstallThatEvalsAFetchedScript) {
    const auto scan = scan_code_fixture("npm_postinstall");
    const auto hook = scan.of("HZ-CODE-006", "package.json");
    ASSERT_THAT(hook, SizeIs(1));
    EXPECT_EQ(hook[0].severity, Severity::low);
    EXPECT_EQ(hook[0].location.line, 8u);
    EXPECT_THAT(hook[0].message, HasSubstr("node scripts/setup.js"));
    const auto eval = scan.of("HZ-CODE-020", "scripts/setup.js");
    ASSERT_THAT(eval, SizeIs(1));
    EXPECT_EQ(eval[0].location.line, 6u);
    EXPECT_GE(eval[0].severity, Severity::high);
    EXPECT_TRUE(evidence_contains(eval[0], "https.get at line 3"));
    EXPECT_THAT(scan.rules_in("index.js"), SizeIs(0));
}

TEST(CodeFixtures, TyposquatInstallHookPipesDownloadToShell) {
    const auto scan = scan_code_fixture("typosquat_cmdclass");
    EXPECT_THAT(scan.rules_in("setup.py"),
                ElementsAre("HZ-CODE-001", "HZ-CODE-031", "HZ-CODE-085"));
    const auto pipe = scan.of("HZ-CODE-031");
    ASSERT_THAT(pipe, SizeIs(1));
    EXPECT_EQ(pipe[0].severity, Severity::critical);
    EXPECT_EQ(pipe[0].location.line, 10u);
    EXPECT_THAT(pipe[0].message, HasSubstr("install time"));
    const auto hook = scan.of("HZ-CODE-001");
    ASSERT_THAT(hook, SizeIs(1));
    EXPECT_EQ(hook[0].location.line, 18u);
    EXPECT_TRUE(evidence_contains(hook[0], "class PostInstallCommand runs at install"));
    // The nosec comment is not obeyed, and is itself reported.
    const auto marker = scan.of("HZ-CODE-085");
    ASSERT_THAT(marker, SizeIs(1));
    EXPECT_EQ(marker[0].location.line, 10u);
}

TEST(CodeFixtures, WorkflowWithHeadRefInjection) {
    const auto scan = scan_code_fixture("workflow_injection");
    const auto injection = scan.of("HZ-CI-001", "pr-label.yml");
    ASSERT_THAT(injection, SizeIs(1));
    EXPECT_EQ(injection[0].severity, Severity::high);
    EXPECT_EQ(injection[0].location.line, 14u);
    EXPECT_TRUE(evidence_contains(injection[0], "github.head_ref"));
    const auto checkout = scan.of("HZ-CI-002", "pr-label.yml");
    ASSERT_THAT(checkout, SizeIs(1));
    EXPECT_EQ(checkout[0].location.line, 12u);
    EXPECT_THAT(checkout[0].message, HasSubstr("pull_request_target"));
    EXPECT_THAT(scan.of("HZ-CI-003"), SizeIs(1));
}

TEST(CodeFixtures, DockerfileCurlPipedToShell) {
    const auto scan = scan_code_fixture("dockerfile_curl");
    EXPECT_THAT(scan.rules_in("Dockerfile"), ElementsAre("HZ-CODE-031"));
    const auto pipe = scan.of("HZ-CODE-031");
    ASSERT_THAT(pipe, SizeIs(1));
    EXPECT_EQ(pipe[0].severity, Severity::high);
    EXPECT_EQ(pipe[0].location.line, 5u);
    EXPECT_THAT(pipe[0].message, HasSubstr("image is built"));
}

TEST(CodeFixtures, EditorTaskRunsOnFolderOpen) {
    const auto scan = scan_code_fixture("extras/.vscode");
    EXPECT_THAT(scan.rules_in("tasks.json"), ElementsAre("HZ-CODE-009", "HZ-CODE-031"));
    EXPECT_EQ(scan.of("HZ-CODE-031")[0].severity, Severity::critical);
    EXPECT_EQ(scan.of("HZ-CODE-009")[0].location.line, 9u);
}

TEST(CodeFixtures, DevcontainerInitializeCommandRunsOnTheHost) {
    const auto scan = scan_code_fixture("extras/.devcontainer");
    const auto found = scan.of("HZ-CODE-010");
    ASSERT_THAT(found, SizeIs(2));
    EXPECT_EQ(found[0].severity, Severity::medium);
    EXPECT_THAT(found[0].message, HasSubstr("on the host"));
    EXPECT_EQ(found[1].severity, Severity::low);
}

TEST(CodeFixtures, AssistantRunWithoutSafeguardsAndItsSettingsRewritten) {
    const auto scan = scan_code_fixture("extras/agent_helper.py");
    const auto bypass = scan.of("HZ-CODE-062");
    ASSERT_THAT(bypass, SizeIs(1));
    EXPECT_EQ(bypass[0].location.line, 12u);
    EXPECT_EQ(bypass[0].severity, Severity::high);
    const auto settings = scan.of("HZ-CODE-061");
    ASSERT_THAT(settings, SizeIs(1));
    EXPECT_EQ(settings[0].location.line, 15u);
    EXPECT_THAT(settings[0].message, HasSubstr("~/.claude/settings.json"));
}

TEST(CodeFixtures, UnsafeModelLoadingInProjectCode) {
    const auto scan = scan_code_fixture("extras/unsafe_loading.py");
    const auto lines_of = [&](std::string_view rule) {
        std::vector<uint32_t> lines;
        for (const auto& finding : scan.of(rule))
            lines.push_back(finding.location.line.value_or(0));
        return lines;
    };
    EXPECT_THAT(lines_of("HZ-CODE-070"), ElementsAre(13u, 14u));
    EXPECT_THAT(lines_of("HZ-CODE-071"), ElementsAre(17u));
    EXPECT_THAT(lines_of("HZ-CODE-072"), ElementsAre(18u));
    EXPECT_THAT(lines_of("HZ-CODE-073"), ElementsAre(19u));
    EXPECT_THAT(lines_of("HZ-CODE-074"), ElementsAre(20u));
    EXPECT_THAT(lines_of("HZ-CODE-075"), ElementsAre(22u));
    EXPECT_THAT(lines_of("HZ-CODE-076"), ElementsAre(23u));
    EXPECT_THAT(lines_of("HZ-CODE-077"), ElementsAre(24u));
    EXPECT_THAT(lines_of("HZ-CODE-078"), ElementsAre(23u, 25u));
    EXPECT_THAT(lines_of("HZ-CODE-079"), ElementsAre(34u));
    EXPECT_EQ(scan.of("HZ-CODE-079")[0].severity, Severity::high);
    EXPECT_EQ(scan.of("HZ-CODE-072")[0].severity, Severity::medium);
}

TEST(CodeFixtures, TrojanSourceBidiOverride) {
    const auto scan = scan_code_fixture("extras/trojan_source.py");
    const auto found = scan.of("HZ-CODE-083");
    ASSERT_THAT(found, SizeIs(1));
    EXPECT_EQ(found[0].location.line, 3u);
    EXPECT_THAT(found[0].message, HasSubstr("U+202E"));
}

TEST(CodeFixtures, ObfuscatorIdentifierSoup) {
    const auto scan = scan_code_fixture("extras/obfuscated.js");
    EXPECT_THAT(scan.rules_in("obfuscated.js"), ElementsAre("HZ-CODE-084"));
}

TEST(CodeFixtures, NotebookCellsAreReviewedWithTheirShellEscapes) {
    const auto scan = scan_code_fixture("extras/colab_setup.ipynb");
    const auto pipe = scan.of("HZ-CODE-031");
    ASSERT_THAT(pipe, SizeIs(1));
    EXPECT_EQ(pipe[0].location.chain.back().name, "cell 2");
    EXPECT_EQ(pipe[0].location.line, 2u);
    const auto dump = scan.of("HZ-CODE-041");
    ASSERT_THAT(dump, SizeIs(1));
    EXPECT_EQ(dump[0].location.chain.back().name, "cell 3");
    EXPECT_THAT(scan.rules_in("colab_setup.ipynb"), Contains("HZ-CODE-050"));
}

TEST(CodeFixtures, DropperScriptDownloadsRunsAndPersists) {
    const auto scan = scan_code_fixture("extras/install_hooks.sh");
    const auto dropped = scan.of("HZ-CODE-030");
    ASSERT_THAT(dropped, SizeIs(1));
    EXPECT_EQ(dropped[0].location.line, 3u);
    const auto persistence = scan.of("HZ-CODE-060");
    ASSERT_THAT(persistence, SizeIs(2));
    EXPECT_EQ(persistence[0].location.line, 6u);
    EXPECT_EQ(persistence[1].location.line, 7u);
    const auto dump = scan.of("HZ-CODE-041");
    ASSERT_THAT(dump, SizeIs(1));
    EXPECT_EQ(dump[0].location.line, 8u);
    EXPECT_GE(dump[0].severity, Severity::high);
}

TEST(CodeFixtures, ReleaseWorkflowCacheAndInheritedSecrets) {
    const auto scan = scan_code_fixture("extras/.github");
    const auto cache = scan.of("HZ-CI-006");
    ASSERT_THAT(cache, SizeIs(1));
    EXPECT_EQ(cache[0].location.line, 10u);
    const auto inherit = scan.of("HZ-CI-004");
    ASSERT_THAT(inherit, SizeIs(1));
    EXPECT_EQ(inherit[0].location.line, 18u);
    // The checkout pinned by SHA is not reported; the three tags are.
    EXPECT_THAT(scan.of("HZ-CI-003"), SizeIs(3));
}

TEST(CodeFixtures, TorchScriptCodeMemberIsReviewed) {
    const auto scan = scan_code_fixture("extras/scripted_model.pt");
    const auto pipe = scan.of("HZ-CODE-031");
    ASSERT_THAT(pipe, SizeIs(1));
    ASSERT_THAT(pipe[0].location.chain, SizeIs(2));
    EXPECT_EQ(pipe[0].location.chain[1].name, "scripted_model/code/__torch__/model.py");
    EXPECT_EQ(pipe[0].location.line, 4u);
}

TEST(CodeFixtures, BenignProjectHasNoHighOrCriticalFinding) {
    const auto scan = scan_code_fixture("benign");
    for (const auto& finding : scan.findings)
        EXPECT_LT(finding.severity, Severity::high) << ::testing::PrintToString(finding);
    // The ordinary risks are still named, at their calibrated severities.
    const auto joblib = scan.of("HZ-CODE-072", "serve.py");
    ASSERT_THAT(joblib, SizeIs(1));
    EXPECT_EQ(joblib[0].severity, Severity::medium);
    const auto version_exec = scan.of("HZ-CODE-020", "setup.py");
    ASSERT_THAT(version_exec, SizeIs(1));
    EXPECT_EQ(version_exec[0].severity, Severity::low);
    // Test code is reported one severity lower than package code.
    const auto test_load = scan.of("HZ-CODE-070", "tests/test_train.py");
    ASSERT_THAT(test_load, SizeIs(1));
    EXPECT_EQ(test_load[0].severity, Severity::low);
}

}  // namespace
}  // namespace hazmat::testing
