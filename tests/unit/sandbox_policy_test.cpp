#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sandbox/decoys.hpp"
#include "sandbox/environment.hpp"
#include "sandbox/path_watch.hpp"
#include "sandbox/policy.hpp"

namespace hazmat::sandbox {
namespace {

namespace fs = std::filesystem;

class TempDir {
  public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "hazmat-test-XXXXXX").string();
        path_ = mkdtemp(pattern.data());
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

TEST(SandboxPolicy, ParsesSizes) {
    EXPECT_EQ(parse_size("4096"), 4096u);
    EXPECT_EQ(parse_size("512M"), 512ull << 20);
    EXPECT_EQ(parse_size("4g"), 4ull << 30);
    EXPECT_EQ(parse_size("1.5G"), 3ull << 29);
    EXPECT_EQ(parse_size("100k"), 102400u);
    EXPECT_FALSE(parse_size(""));
    EXPECT_FALSE(parse_size("M"));
    EXPECT_FALSE(parse_size("-1G"));
    EXPECT_FALSE(parse_size("12X"));
}

TEST(SandboxPolicy, RefusesCredentialStoresAsReadOnlyMounts) {
    TempDir home;
    for (const char* dir : {".ssh", ".aws", ".cache/huggingface/hub", ".config/gh"})
        fs::create_directories(home.path() / dir);
    std::ofstream(home.path() / ".cache/huggingface/token") << "hf_x";
    EXPECT_FALSE(check_read_only_path(home.path() / ".ssh", home.path()).ok());
    EXPECT_FALSE(check_read_only_path(home.path() / ".aws", home.path()).ok());
    EXPECT_FALSE(check_read_only_path(home.path() / ".config", home.path()).ok());
    EXPECT_FALSE(check_read_only_path(home.path() / ".cache/huggingface", home.path()).ok());
    EXPECT_FALSE(check_read_only_path(home.path(), home.path()).ok());
    EXPECT_TRUE(check_read_only_path(home.path() / ".cache/huggingface/hub", home.path()).ok());
    EXPECT_FALSE(check_read_only_path("/etc", home.path()).ok());
    EXPECT_FALSE(check_read_only_path("/etc/ssl", home.path()).ok());
    EXPECT_FALSE(check_read_only_path("/", home.path()).ok());
    EXPECT_FALSE(check_read_only_path("/proc", home.path()).ok());
    EXPECT_TRUE(check_read_only_path("/usr/share", home.path()).ok());
    EXPECT_FALSE(check_read_only_path(home.path() / "missing", home.path()).ok());
}

TEST(SandboxPolicy, KeepNamesAreSimple) {
    EXPECT_TRUE(is_valid_keep_name("my-project_1.0"));
    EXPECT_FALSE(is_valid_keep_name(""));
    EXPECT_FALSE(is_valid_keep_name(".hidden"));
    EXPECT_FALSE(is_valid_keep_name("../escape"));
    EXPECT_FALSE(is_valid_keep_name("a/b"));
}

TEST(SandboxEnvironment, PassesOnlyTheAllowListPersonaDecoysAndGrants) {
    Persona persona;
    persona.user_name = "sam";
    const auto decoys = DecoySet::generate(persona);
    std::vector<std::string> host = {
        "PATH=/root/.cargo/bin:/usr/local/bin:/usr/bin:/usr/bin:/home/x/bin",
        "LANG=en_US.UTF-8",
        "LC_ALL=C",
        "TERM=xterm",
        "TZ=UTC",
        "AWS_PROFILE=prod",
        "SSH_AUTH_SOCK=/run/user/0/agent",
        "HOME=/root",
        "GRANTED=yes",
        "USER=root"};
    std::vector<char*> environ_like;
    for (auto& entry : host)
        environ_like.push_back(entry.data());
    environ_like.push_back(nullptr);
    const auto env = sandbox_environment(persona, decoys, {"GRANTED", "EXTRA=1"}, "/home/sam/p",
                                         environ_like.data());
    ASSERT_TRUE(env.ok());
    const auto has = [&](std::string_view entry) {
        return std::find(env->begin(), env->end(), entry) != env->end();
    };
    EXPECT_TRUE(has("PATH=/usr/local/bin:/usr/bin"));
    EXPECT_TRUE(has("LANG=en_US.UTF-8"));
    EXPECT_TRUE(has("LC_ALL=C"));
    EXPECT_TRUE(has("TZ=UTC"));
    EXPECT_TRUE(has("HOME=/home/sam"));
    EXPECT_TRUE(has("USER=sam"));
    EXPECT_TRUE(has("PWD=/home/sam/p"));
    EXPECT_TRUE(has("GRANTED=yes"));
    EXPECT_TRUE(has("EXTRA=1"));
    for (const auto& entry : *env) {
        EXPECT_FALSE(entry.starts_with("AWS_PROFILE=")) << entry;
        EXPECT_FALSE(entry.starts_with("SSH_AUTH_SOCK=")) << entry;
    }
    EXPECT_TRUE(std::any_of(env->begin(), env->end(),
                            [](const std::string& e) { return e.starts_with("OPENAI_API_KEY="); }));
}

TEST(SandboxEnvironment, RefusesGrantsOfUnsetOrMalformedNames) {
    const auto decoys = DecoySet::generate(Persona{});
    char* empty[] = {nullptr};
    EXPECT_FALSE(sandbox_environment(Persona{}, decoys, {"NOT_SET_ANYWHERE"}, "/w", empty).ok());
    EXPECT_FALSE(sandbox_environment(Persona{}, decoys, {"BAD-NAME=1"}, "/w", empty).ok());
}

class PathWatchTest : public ::testing::Test {
  protected:
    DecoySet decoys = DecoySet::generate(Persona{});
    PathWatch watch{"/home/alex", "/home/alex/project", "/root", decoys};
};

TEST_F(PathWatchTest, ClassifiesDecoysSecretsAndPersistence) {
    EXPECT_EQ(watch.classify("/home/alex/.aws/credentials", false), PathCategory::decoy);
    EXPECT_EQ(watch.classify("/home/alex/.aws/config", false), PathCategory::none);
    EXPECT_EQ(watch.classify("/home/alex/.ssh/id_rsa", false), PathCategory::sensitive);
    EXPECT_EQ(watch.classify("/home/alex/.bashrc", true), PathCategory::persistence);
    EXPECT_EQ(watch.classify("/home/alex/.bashrc", false), PathCategory::none);
    EXPECT_EQ(watch.classify("/home/alex/.config/autostart/x.desktop", true),
              PathCategory::persistence);
    EXPECT_EQ(watch.classify("/home/alex/.cache/pip/x", true), PathCategory::none);
    EXPECT_EQ(watch.classify("/home/alex/project/.bashrc", true), PathCategory::none);
}

TEST_F(PathWatchTest, ClassifiesHostLocationsAndWritesOutside) {
    EXPECT_EQ(watch.classify("/root/.ssh/id_rsa", false), PathCategory::sensitive);
    EXPECT_EQ(watch.classify("/home/bob/.netrc", false), PathCategory::sensitive);
    EXPECT_EQ(watch.classify("/etc/shadow", false), PathCategory::sensitive);
    EXPECT_EQ(watch.classify("/var/run/docker.sock", false), PathCategory::sensitive);
    // The sandbox's /proc lists only its own processes: their environments
    // are no host location (ps reads them); their memory is still off limits.
    EXPECT_EQ(watch.classify("/proc/1/environ", false), PathCategory::none);
    EXPECT_EQ(watch.classify("/proc/1/mem", false), PathCategory::sensitive);
    EXPECT_EQ(watch.classify("/proc/7/mem", false, 7), PathCategory::none);
    EXPECT_EQ(watch.classify("/proc/7/environ", false, 7), PathCategory::none);
    EXPECT_EQ(watch.classify("/proc/self/environ", false), PathCategory::none);
    EXPECT_EQ(watch.classify("/etc/cron.d/job", true), PathCategory::persistence);
    EXPECT_EQ(watch.classify("/usr/lib/python3/dist-packages/x.pth", true),
              PathCategory::outside_write);
    EXPECT_EQ(watch.classify("/tmp/scratch", true), PathCategory::none);
    EXPECT_EQ(watch.classify("/dev/null", true), PathCategory::none);
    EXPECT_EQ(watch.classify("/usr/lib/libc.so.6", false), PathCategory::none);
}

TEST(SandboxPaths, NormalizeLexically) {
    EXPECT_EQ(normalize_path("/home/a/p", "../../b/./c"), "/home/b/c");
    EXPECT_EQ(normalize_path("/", "../../etc/passwd"), "/etc/passwd");
    EXPECT_EQ(normalize_path("/x", "/abs//path/"), "/abs/path");
    EXPECT_TRUE(path_within("/home/alex/x", "/home/alex"));
    EXPECT_FALSE(path_within("/home/alexandra", "/home/alex"));
}

}  // namespace
}  // namespace hazmat::sandbox
