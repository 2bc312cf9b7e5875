// End-to-end tests of `hazmat run`, `hazmat selftest` and `hazmat apply`:
// they run the real binary, which builds real sandboxes. The suite runs as
// root in CI and again as an unprivileged user (tests/sandbox/
// run_unprivileged.sh), which points these tests at copies of the binary
// and fixtures through HAZMAT_TEST_BINARY and HAZMAT_TEST_SANDBOX_DIR.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sandbox/probes.hpp"

namespace hazmat {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path hazmat_binary() {
    if (const char* path = std::getenv("HAZMAT_TEST_BINARY"); path && *path)
        return path;
    return HAZMAT_BINARY;
}

fs::path sandbox_fixtures() {
    if (const char* path = std::getenv("HAZMAT_TEST_SANDBOX_DIR"); path && *path)
        return path;
    return HAZMAT_SANDBOX_FIXTURES_DIR;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

struct Process {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs a command with extra environment variables, capturing its output.
Process run_process(const std::vector<std::string>& argv, const fs::path& cwd,
                    const std::vector<std::string>& environment) {
    int out_pipe[2], err_pipe[2];
    EXPECT_EQ(pipe2(out_pipe, O_CLOEXEC), 0);
    EXPECT_EQ(pipe2(err_pipe, O_CLOEXEC), 0);
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(out_pipe[1], 1);
        dup2(err_pipe[1], 2);
        const int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        if (chdir(cwd.c_str()) != 0)
            _exit(126);
        for (const auto& entry : environment)
            putenv(const_cast<char*>(entry.c_str()));
        std::vector<char*> args;
        for (const auto& arg : argv)
            args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
    close(out_pipe[1]);
    close(err_pipe[1]);
    Process process;
    struct pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    int open_streams = 2;
    while (open_streams > 0) {
        poll(fds, 2, -1);
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP)))
                continue;
            char buffer[4096];
            const auto n = read(fds[i].fd, buffer, sizeof(buffer));
            if (n <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open_streams;
                continue;
            }
            (i == 0 ? process.out : process.err).append(buffer, static_cast<size_t>(n));
        }
    }
    int status = 0;
    waitpid(pid, &status, 0);
    process.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return process;
}

class SandboxE2E : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "hazmat-e2e-XXXXXX").string();
        dir_ = mkdtemp(pattern.data());
        state_ = dir_ / "state";
        fs::create_directories(state_);
    }
    void TearDown() override {
        std::error_code ec;
        // Overlay work directories hold entries only their owner may enter.
        for (auto it = fs::recursive_directory_iterator(
                 dir_, fs::directory_options::skip_permission_denied, ec);
             it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (it->is_directory(ec) && !it->is_symlink(ec))
                fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
        }
        fs::remove_all(dir_, ec);
    }

    // A fresh copy of a fixture project, so the test can check it is unchanged.
    fs::path project(const std::string& name) {
        const auto target = dir_ / name;
        fs::copy(sandbox_fixtures() / "projects" / name, target, fs::copy_options::recursive);
        return target;
    }

    Process hazmat(std::vector<std::string> args, const fs::path& cwd,
                   std::vector<std::string> environment = {}) {
        args.insert(args.begin(), hazmat_binary().string());
        environment.push_back("HAZMAT_STATE_DIR=" + state_.string());
        return run_process(args, cwd, environment);
    }

    // `hazmat run` with a JSON report; returns the process and the report.
    std::pair<Process, json> run(const fs::path& project_dir, std::vector<std::string> options,
                                 const std::vector<std::string>& command,
                                 std::vector<std::string> environment = {}) {
        const auto report = dir_ / "report.json";
        std::vector<std::string> args = {"run", "-f", "json", "-o", report.string()};
        args.insert(args.end(), options.begin(), options.end());
        args.push_back("--");
        args.insert(args.end(), command.begin(), command.end());
        auto process = hazmat(args, project_dir, std::move(environment));
        json parsed;
        if (fs::exists(report))
            parsed = json::parse(read_file(report));
        fs::remove(report);
        return {process, parsed};
    }

    static std::vector<json> findings(const json& report, std::string_view rule) {
        std::vector<json> out;
        for (const auto& finding : report.value("findings", json::array())) {
            if (finding["rule_id"] == rule)
                out.push_back(finding);
        }
        return out;
    }

    fs::path dir_;
    fs::path state_;
};

TEST_F(SandboxE2E, SelftestBlocksEveryProbe) {
    const auto output = dir_ / "selftest.json";
    const auto process = hazmat({"selftest", "-f", "json", "-o", output.string()}, dir_);
    ASSERT_TRUE(fs::exists(output)) << process.err;
    const auto result = json::parse(read_file(output));
    std::string allowed;
    for (const auto& probe : result["probes"]) {
        if (probe["result"] != "blocked")
            allowed +=
                probe["name"].get<std::string>() + ": " + probe["detail"].get<std::string>() + "\n";
    }
    EXPECT_EQ(allowed, "");
    EXPECT_EQ(result["summary"]["probes"], sandbox::probe_catalog().size());
    EXPECT_EQ(result["summary"]["allowed"], 0);
    EXPECT_EQ(process.exit_code, 0) << process.err;
}

TEST_F(SandboxE2E, DoctorFindsEveryRequiredLayer) {
    const auto process = hazmat({"doctor", "-f", "json"}, dir_);
    ASSERT_EQ(process.exit_code, 0) << process.out << process.err;
    const auto result = json::parse(process.out);
    EXPECT_EQ(result["sandbox_usable"], true);
    std::vector<std::string> layers;
    for (const auto& layer : result["layers"]) {
        layers.push_back(layer["layer"]);
        if (layer["required"] == true) {
            EXPECT_NE(layer["state"], "missing") << layer.dump();
        }
    }
    EXPECT_EQ(layers, (std::vector<std::string>{
                          "unprivileged user namespaces",
                          "mount, PID, IPC, UTS, network, cgroup and time namespaces",
                          "overlayfs in a user namespace", "Landlock",
                          "seccomp filter with user notification", "resource limits"}));
}

TEST_F(SandboxE2E, MaliciousProjectIsCaughtAndNothingReachesTheHost) {
    const auto dir = project("malicious");
    const auto before = read_file(dir / "train.py");
    const char* home = std::getenv("HOME");
    const fs::path bashrc = fs::path(home ? home : "/nonexistent") / ".bashrc";
    const bool had_bashrc = fs::exists(bashrc);
    const auto bashrc_before = had_bashrc ? read_file(bashrc) : std::string();

    // A listener on the host's loopback: the project must not reach it.
    const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), length), 0);
    ASSERT_EQ(listen(listener, 4), 0);
    ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
    const auto port = std::to_string(ntohs(address.sin_port));

    const auto [process, report] =
        run(dir, {"--env", "HOST_PORT=" + port}, {"/usr/bin/python3", "train.py"});
    ASSERT_FALSE(report.is_null()) << process.err;

    EXPECT_EQ(process.exit_code, 1);
    EXPECT_EQ(report["verdict"], "malicious");
    EXPECT_EQ(report["command_status"]["state"], "exited");
    EXPECT_EQ(report["command_status"]["exit_code"], 0);

    const auto decoy_read = findings(report, "HZ-RUN-001");
    ASSERT_EQ(decoy_read.size(), 1u) << report.dump(2);
    EXPECT_EQ(decoy_read[0]["location"]["file"], "~/.aws/credentials");
    EXPECT_EQ(decoy_read[0]["severity"], "high");

    const auto leaks = findings(report, "HZ-RUN-002");
    ASSERT_EQ(leaks.size(), 2u);  // the key id and the secret key, printed base64-encoded
    for (const auto& leak : leaks) {
        EXPECT_EQ(leak["severity"], "critical");
        EXPECT_EQ(leak["evidence"][0], "encoding: base64");
    }

    const auto host_probe = findings(report, "HZ-RUN-004");
    ASSERT_EQ(host_probe.size(), 1u);
    EXPECT_EQ(host_probe[0]["message"], "The program looked for a service at 127.0.0.1:" + port);

    const auto network = findings(report, "HZ-RUN-003");
    ASSERT_EQ(network.size(), 1u);
    EXPECT_EQ(network[0]["message"],
              "The program tried to reach name collector.hazmat-test.invalid (the sandbox has no "
              "network)");

    const auto shell = findings(report, "HZ-RUN-005");
    ASSERT_EQ(shell.size(), 1u);
    EXPECT_EQ(shell[0]["message"], "The program ran a shell command: sh -c 'echo stage two'");

    const auto persistence = findings(report, "HZ-RUN-007");
    ASSERT_EQ(persistence.size(), 1u);
    EXPECT_EQ(persistence[0]["location"]["file"], "~/.bashrc");

    const auto hook = findings(report, "HZ-RUN-014");
    ASSERT_EQ(hook.size(), 1u);
    EXPECT_EQ(hook[0]["location"]["file"], ".git/hooks/post-checkout");

    // Nothing reached the host.
    EXPECT_LT(accept(listener, nullptr, nullptr), 0);
    EXPECT_EQ(errno, EAGAIN);
    close(listener);
    EXPECT_FALSE(fs::exists(dir / ".git"));
    EXPECT_EQ(read_file(dir / "train.py"), before);
    EXPECT_EQ(fs::exists(bashrc), had_bashrc);
    if (had_bashrc) {
        EXPECT_EQ(read_file(bashrc), bashrc_before);
    }
}

TEST_F(SandboxE2E, MlWorkloadRunsCleanAndWritesToTheOverlay) {
    const auto dir = project("workload");
    const auto [process, report] = run(dir, {"--timeout", "120"}, {"/usr/bin/python3", "train.py"});
    ASSERT_FALSE(report.is_null()) << process.err;
    EXPECT_EQ(process.exit_code, 0) << process.err;
    EXPECT_EQ(report["verdict"], "clean");
    EXPECT_EQ(report["command_status"]["state"], "exited");
    EXPECT_NE(process.out.find("weight=3.0"), std::string::npos) << process.out;

    const auto changes = findings(report, "HZ-RUN-018");
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0]["evidence"], json::array({"added file model.json"}));
    // The real project is untouched; the model is in the run's layer.
    EXPECT_FALSE(fs::exists(dir / "model.json"));
    size_t models = 0;
    for (const auto& run_dir : fs::directory_iterator(state_ / "runs")) {
        const auto model = run_dir.path() / "upper" / "model.json";
        if (fs::exists(model)) {
            ++models;
            const auto saved = json::parse(read_file(model));
            EXPECT_NEAR(saved["weight"].get<double>(), 3.0, 0.05);
        }
    }
    EXPECT_EQ(models, 1u);
}

TEST_F(SandboxE2E, CommandExitStatusPassesThrough) {
    const auto dir = project("workload");
    const auto [process, report] = run(dir, {}, {"/bin/sh", "-c", "exit 7"});
    EXPECT_EQ(process.exit_code, 7) << process.err;
    EXPECT_EQ(report["command_status"]["exit_code"], 7);
    EXPECT_EQ(report["exit_code"], 7);
    EXPECT_EQ(report["verdict"], "clean");
}

TEST_F(SandboxE2E, MissingCommandCannotStart) {
    const auto dir = project("workload");
    const auto [process, report] = run(dir, {}, {"no-such-program-hazmat"});
    EXPECT_EQ(process.exit_code, 2);
    EXPECT_EQ(report["command_status"]["state"], "not-started");
    EXPECT_EQ(report["verdict"], "inconclusive");
}

TEST_F(SandboxE2E, TimeoutKillsEverythingTheCommandStarted) {
    const auto dir = project("workload");
    const auto started = std::chrono::steady_clock::now();
    const auto [process, report] =
        run(dir, {"--timeout", "1"}, {"/bin/sh", "-c", "sleep 60 & sleep 60 & wait"});
    const auto elapsed = std::chrono::steady_clock::now() - started;
    EXPECT_LT(elapsed, std::chrono::seconds(30));
    EXPECT_EQ(process.exit_code, 1);
    EXPECT_EQ(report["command_status"]["state"], "timed-out");
    EXPECT_EQ(report["verdict"], "inconclusive");
    EXPECT_EQ(findings(report, "HZ-RUN-012").size(), 1u);
}

// Limits are enforced by a cgroup where one is writable (root here) and by
// rlimits otherwise (an ordinary user): a hit must be reported either way,
// and a run under rlimits must say that hits are only partly observable.
TEST_F(SandboxE2E, ForkBombHitsTheProcessLimitAndIsReported) {
    const auto dir = project("workload");
    // Forks until the kernel refuses, holds the children briefly, reaps them.
    const std::string bomb =
        "import os, time\n"
        "kids = []\n"
        "for _ in range(200):\n"
        "    try:\n"
        "        pid = os.fork()\n"
        "    except OSError as error:\n"
        "        print('fork refused:', repr(error), flush=True)\n"
        "        break\n"
        "    if pid == 0:\n"
        "        time.sleep(1)\n"
        "        os._exit(0)\n"
        "    kids.append(pid)\n"
        "for pid in kids:\n"
        "    os.waitpid(pid, 0)\n";
    const auto [process, report] =
        run(dir, {"--pids", "32", "--timeout", "60"}, {"/usr/bin/python3", "-c", bomb});
    ASSERT_FALSE(report.is_null()) << process.err;
    EXPECT_NE(process.out.find("fork refused"), std::string::npos) << process.out;
    const auto hits = findings(report, "HZ-RUN-011");
    ASSERT_EQ(hits.size(), 1u) << report.dump(2);
    EXPECT_NE(hits[0]["message"].get<std::string>().find("Process limit"), std::string::npos);
    EXPECT_NE(report["verdict"], "clean");
    const auto partly = findings(report, "HZ-RUN-022");
    if (geteuid() != 0) {
        ASSERT_EQ(partly.size(), 1u) << report.dump(2);
        EXPECT_EQ(partly[0]["severity"], "info");
        EXPECT_NE(report.dump().find("limit hits: only partly observable"), std::string::npos);
    }
}

TEST_F(SandboxE2E, MemoryBalloonHitsTheMemoryLimitAndIsReported) {
    const auto dir = project("workload");
    // 300 MiB touched page by page under a 100 MiB limit.
    const std::string balloon =
        "b = bytearray(300 << 20)\n"
        "for i in range(0, len(b), 4096):\n"
        "    b[i] = 1\n"
        "print('allocated')\n";
    const auto [process, report] =
        run(dir, {"--memory", "100M", "--timeout", "60"}, {"/usr/bin/python3", "-c", balloon});
    ASSERT_FALSE(report.is_null()) << process.err;
    EXPECT_EQ(process.out.find("allocated"), std::string::npos) << process.out;
    const auto hits = findings(report, "HZ-RUN-011");
    ASSERT_EQ(hits.size(), 1u) << report.dump(2);
    EXPECT_NE(hits[0]["message"].get<std::string>().find("Memory limit"), std::string::npos);
    EXPECT_NE(report["verdict"], "clean");
    if (geteuid() != 0) {
        EXPECT_EQ(findings(report, "HZ-RUN-022").size(), 1u) << report.dump(2);
        EXPECT_NE(hits[0].dump().find("MemoryError"), std::string::npos) << hits[0].dump(2);
    }
}

TEST_F(SandboxE2E, UnprivilegedRunSaysLimitHitsAreOnlyPartlyObservable) {
    if (geteuid() == 0)
        GTEST_SKIP() << "root has writable cgroups here; the unprivileged run checks this";
    const auto dir = project("workload");
    const auto [process, report] = run(dir, {}, {"/bin/true"});
    ASSERT_FALSE(report.is_null()) << process.err;
    const auto partly = findings(report, "HZ-RUN-022");
    ASSERT_EQ(partly.size(), 1u) << report.dump(2);
    EXPECT_EQ(findings(report, "HZ-RUN-011").size(), 0u);
    // Nothing the program did is in question: the verdict stays, with the note.
    EXPECT_EQ(report["verdict"], "clean");
    EXPECT_NE(report.dump().find("limit hits: only partly observable"), std::string::npos);
}

// A decoy written out percent-encoded only in part (as urllib.parse.quote
// leaves it, or with a few characters escaped by hand) is still a leak.
TEST_F(SandboxE2E, PartlyPercentEncodedDecoyInAFileIsALeak) {
    const auto dir = project("workload");
    const std::string steal =
        "import os, urllib.parse\n"
        "key = [l.split('=', 1)[1].strip() for l in\n"
        "       open(os.path.expanduser('~/.aws/credentials'))\n"
        "       if l.startswith('aws_secret_access_key')][0]\n"
        "head = ''.join('%%%02X' % ord(c) for c in key[:6])\n"
        "open('out.txt', 'w').write('k=' + head + urllib.parse.quote(key[6:]))\n";
    const auto [process, report] = run(dir, {}, {"/usr/bin/python3", "-c", steal});
    ASSERT_FALSE(report.is_null()) << process.err;
    EXPECT_EQ(process.exit_code, 1) << process.err;  // a critical finding trips
    const auto leaks = findings(report, "HZ-RUN-002");
    ASSERT_EQ(leaks.size(), 1u) << report.dump(2);
    EXPECT_NE(leaks[0]["message"].get<std::string>().find("out.txt"), std::string::npos);
    EXPECT_NE(leaks[0].dump().find("url"), std::string::npos) << leaks[0].dump(2);
    EXPECT_EQ(report["verdict"], "malicious");
}

// The sandbox's /proc lists only its own processes; ps reading them (their
// environments included) touches nothing of the host.
TEST_F(SandboxE2E, PsSeesOnlyTheSandboxAndIsNotASensitiveAccess) {
    const auto dir = project("workload");
    const auto [process, report] = run(dir, {}, {"/bin/ps", "-ef"});
    ASSERT_FALSE(report.is_null()) << process.err;
    EXPECT_EQ(process.exit_code, 0) << process.err;
    EXPECT_NE(process.out.find("/sbin/init"), std::string::npos) << process.out;
    EXPECT_EQ(findings(report, "HZ-RUN-009").size(), 0u) << report.dump(2);
    EXPECT_EQ(report["verdict"], "clean") << report.dump(2);
}

TEST_F(SandboxE2E, EnvironmentIsNotPassedThroughUnlessGranted) {
    const auto dir = project("workload");
    const std::vector<std::string> command = {"/bin/sh", "-c",
                                              "echo \"secret=${HAZMAT_TEST_SECRET:-unset}\""};
    const auto [plain, plain_report] = run(dir, {}, command, {"HAZMAT_TEST_SECRET=s3cr3t"});
    EXPECT_EQ(plain.out, "secret=unset\n");
    const auto [granted, granted_report] =
        run(dir, {"--env", "HAZMAT_TEST_SECRET"}, command, {"HAZMAT_TEST_SECRET=s3cr3t"});
    EXPECT_EQ(granted.out, "secret=s3cr3t\n");
}

TEST_F(SandboxE2E, KeptLayerServesTheNextRunUntilFreshOrApplied) {
    const auto dir = project("workload");
    auto [first, first_report] =
        run(dir, {"--keep", "e2e"}, {"/bin/sh", "-c", "echo cached > deps.txt"});
    EXPECT_EQ(first.exit_code, 0) << first.err;
    auto [second, second_report] = run(dir, {"--keep", "e2e"}, {"/bin/cat", "deps.txt"});
    EXPECT_EQ(second.out, "cached\n");
    auto [fresh, fresh_report] =
        run(dir, {"--keep", "e2e", "--fresh"}, {"/bin/sh", "-c", "cat deps.txt || echo none"});
    EXPECT_EQ(fresh.out, "none\n");

    auto [third, third_report] = run(dir, {"--keep", "e2e"},
                                     {"/bin/sh", "-c",
                                      "echo result > out.txt; mkdir -p .git/hooks; "
                                      "echo '#!/bin/sh' > .git/hooks/pre-commit"});
    EXPECT_FALSE(fs::exists(dir / "out.txt"));
    const auto apply = hazmat({"apply", "e2e"}, dir);
    EXPECT_EQ(apply.exit_code, 1) << apply.out << apply.err;  // the hook was skipped
    EXPECT_EQ(read_file(dir / "out.txt"), "result\n");
    EXPECT_FALSE(fs::exists(dir / ".git/hooks/pre-commit"));
    EXPECT_NE(apply.out.find("skipped .git/hooks/pre-commit: git hook"), std::string::npos);
}

TEST_F(SandboxE2E, ReadOnlyPathIsVisibleButNotWritableAndCredentialStoresAreRefused) {
    const auto dir = project("workload");
    const auto models = dir_ / "models";
    fs::create_directories(models);
    std::ofstream(models / "weights.bin") << "w";
    // A path under the real home appears at the same place under the
    // sandbox's home; others keep their path.
    const char* real_home = std::getenv("HOME");
    const auto relative = real_home ? models.lexically_relative(real_home) : fs::path();
    const std::string inside = !relative.empty() && *relative.begin() != ".."
                                   ? "$HOME/" + relative.string()
                                   : models.string();
    const auto [process, report] =
        run(dir, {"--ro", models.string()},
            {"/bin/sh", "-c",
             "cat " + inside + "/weights.bin; echo x > " + inside + "/new || echo refused"});
    EXPECT_EQ(process.out, "wrefused\n") << process.err;
    EXPECT_FALSE(fs::exists(models / "new"));

    const auto home = dir_ / "home";
    fs::create_directories(home / ".ssh");
    const auto refused = hazmat({"run", "--ro", (home / ".ssh").string(), "--", "/bin/true"}, dir,
                                {"HOME=" + home.string()});
    EXPECT_EQ(refused.exit_code, 2);
    EXPECT_NE(refused.err.find("credential store"), std::string::npos) << refused.err;
}

TEST_F(SandboxE2E, RefusesAHomeDirectoryAsTheWorkspace) {
    const auto home = dir_ / "home";
    fs::create_directories(home / ".ssh");
    const auto refused =
        hazmat({"run", home.string(), "--", "/bin/true"}, dir_, {"HOME=" + home.string()});
    EXPECT_EQ(refused.exit_code, 2);
    EXPECT_NE(refused.err.find("refusing to expose a whole home directory"), std::string::npos)
        << refused.err;
}

TEST_F(SandboxE2E, AuditLogAppendsOneJsonObjectPerLine) {
    const auto dir = project("workload");
    const auto log = dir_ / "audit.jsonl";
    for (int i = 0; i < 2; ++i) {
        const auto [process, report] = run(dir, {"--log", log.string()},
                                           {"/bin/sh", "-c", "wget -q http://x.invalid/ || true"});
        EXPECT_EQ(process.exit_code, 1) << process.err;  // a downloader is high
    }
    std::ifstream in(log);
    std::string line;
    size_t starts = 0, execs = 0;
    while (std::getline(in, line)) {
        const auto event = json::parse(line);
        starts += event["event"] == "start";
        execs += event["event"] == "exec";
    }
    EXPECT_EQ(starts, 2u);
    EXPECT_GE(execs, 4u);  // the command and wget, twice
}

}  // namespace
}  // namespace hazmat
