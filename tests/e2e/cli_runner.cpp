#include "cli_runner.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

extern char** environ;

namespace hazmat::e2e {

namespace fs = std::filesystem;

namespace {

// Owns a file descriptor.
class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        reset();
        fd_ = std::exchange(other.fd_, -1);
        return *this;
    }
    ~Fd() { reset(); }
    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = -1;
    }

  private:
    int fd_ = -1;
};

struct Pipe {
    Fd read;
    Fd write;
};

Pipe make_pipe() {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
    return {Fd(fds[0]), Fd(fds[1])};
}

// The child's environment: ours, with the requested changes.
std::vector<std::string> child_environment(const CliOptions& options) {
    std::vector<std::string> entries;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const auto name = std::string(text.substr(0, text.find('=')));
        if (!options.env.contains(name))
            entries.emplace_back(text);
    }
    for (const auto& [name, value] : options.env) {
        if (value)
            entries.push_back(name + "=" + *value);
    }
    return entries;
}

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    for (auto& text : strings)
        pointers.push_back(text.data());
    pointers.push_back(nullptr);
    return pointers;
}

// Reads both pipes until both are closed.
void drain(Fd& out_fd, Fd& err_fd, std::string& out, std::string& err) {
    std::array<char, 65536> buffer{};
    while (out_fd.get() >= 0 || err_fd.get() >= 0) {
        std::array<pollfd, 2> polls = {pollfd{out_fd.get(), POLLIN, 0},
                                       pollfd{err_fd.get(), POLLIN, 0}};
        if (::poll(polls.data(), polls.size(), -1) < 0) {
            if (errno == EINTR)
                continue;
            throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
        }
        for (size_t i = 0; i < polls.size(); ++i) {
            if (polls[i].fd < 0 || polls[i].revents == 0)
                continue;
            Fd& fd = i == 0 ? out_fd : err_fd;
            std::string& sink = i == 0 ? out : err;
            const ssize_t got = ::read(fd.get(), buffer.data(), buffer.size());
            if (got > 0) {
                sink.append(buffer.data(), static_cast<size_t>(got));
            } else if (got == 0 || errno != EINTR) {
                fd.reset();
            }
        }
    }
}

}  // namespace

CliOptions with_env(const std::string& name, std::optional<std::string> value) {
    CliOptions options;
    options.env[name] = std::move(value);
    return options;
}

CliResult run_program(const std::string& program, const std::vector<std::string>& args,
                      const CliOptions& options) {
    Pipe out = make_pipe();
    Pipe err = make_pipe();

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out.write.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err.write.get(), STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    const std::string cwd = options.cwd ? options.cwd->string() : std::string();
    if (options.cwd)
        posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());

    std::vector<std::string> argv_strings = {program};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    auto argv = pointers_to(argv_strings);
    auto env_strings = child_environment(options);
    auto envp = pointers_to(env_strings);

    pid_t pid = 0;
    const int spawn_error =
        ::posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (spawn_error != 0)
        throw std::runtime_error("posix_spawnp " + program + ": " + std::strerror(spawn_error));

    // Our copies of the write ends must close, or the reads never see EOF.
    out.write.reset();
    err.write.reset();
    CliResult result;
    drain(out.read, err.read, result.out, result.err);

    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

CliResult run_hazmat(const std::vector<std::string>& args, const CliOptions& options) {
    return run_program(HAZMAT_BINARY, args, options);
}

nlohmann::json parse_report(const CliResult& result) {
    try {
        return nlohmann::json::parse(result.out);
    } catch (const nlohmann::json::exception& error) {
        ADD_FAILURE() << "stdout is not JSON (" << error.what() << "):\n"
                      << result.out << "\nstderr:\n"
                      << result.err;
        return nlohmann::json::object();
    }
}

std::vector<nlohmann::json> findings_with_rule(const nlohmann::json& report,
                                               std::string_view rule_id) {
    std::vector<nlohmann::json> found;
    for (const auto& finding : report.value("findings", nlohmann::json::array())) {
        if (finding.value("rule_id", "") == rule_id)
            found.push_back(finding);
    }
    return found;
}

std::vector<nlohmann::json> findings_above_info(const nlohmann::json& report) {
    std::vector<nlohmann::json> found;
    for (const auto& finding : report.value("findings", nlohmann::json::array())) {
        if (finding.value("severity", "") != "info")
            found.push_back(finding);
    }
    return found;
}

Chain chain_of(const nlohmann::json& finding) {
    Chain chain;
    for (const auto& part : finding.at("location").at("chain"))
        chain.emplace_back(part.at("kind").get<std::string>(), part.at("name").get<std::string>());
    return chain;
}

fs::path source_dir() {
    return HAZMAT_SOURCE_DIR;
}
fs::path fixtures_dir() {
    return HAZMAT_FIXTURES_DIR;
}
fs::path build_data_dir() {
    return HAZMAT_BUILD_DATA_DIR;
}

TempDir::TempDir() {
    std::string pattern = (fs::temp_directory_path() / "hazmat-e2e-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in) << "cannot read " << path;
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& path, std::string_view content) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    ASSERT_TRUE(out) << "cannot write " << path;
}

}  // namespace hazmat::e2e
