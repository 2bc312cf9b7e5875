#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>

#include "sandbox/seccomp_filter.hpp"

namespace hazmat::sandbox {
namespace {

int number(const char* name) {
    return seccomp_syscall_resolve_name(name);
}

bool covered(const std::vector<std::pair<uint32_t, uint32_t>>& blocks, uint32_t value) {
    for (const auto& [mask, block] : blocks) {
        if ((value & mask) == block)
            return true;
    }
    return false;
}

TEST(SandboxFilter, IoctlAllowanceCoversEveryRequestButTerminalInjection) {
    const std::vector<uint32_t> excluded = {0x5412, 0x541C, 0x541D, 0x5423};
    const auto blocks = low32_blocks_excluding(excluded);
    for (const auto value : excluded)
        EXPECT_FALSE(covered(blocks, value)) << std::hex << value;
    for (const uint32_t value : {0u, 0x5401u, 0x5411u, 0x5413u, 0x541Bu, 0x541Eu, 0x5422u, 0x5424u,
                                 0x80045430u, 0xffffffffu, 0xc0045877u})
        EXPECT_TRUE(covered(blocks, value)) << std::hex << value;
    // The blocks are disjoint and together miss exactly the excluded values.
    uint64_t total = 0;
    for (const auto& [mask, block] : blocks)
        total += (~static_cast<uint64_t>(mask) & 0xffffffffu) + 1;
    EXPECT_EQ(total, (1ull << 32) - excluded.size());
}

TEST(SandboxFilter, WatchedSyscallsProceedAndTheRestIsDenied) {
    const SyscallArgs none{};
    for (const char* watched : {"execve", "execveat", "connect", "sendto", "bind", "listen", "open",
                                "openat", "openat2", "creat"}) {
        EXPECT_EQ(decide_notified(number(watched), none).action,
                  NotifiedAction::record_and_continue)
            << watched;
    }
    const auto ptrace = decide_notified(number("ptrace"), none);
    EXPECT_EQ(ptrace.action, NotifiedAction::deny);
    EXPECT_EQ(ptrace.error, EPERM);
    EXPECT_EQ(ptrace.kind, "process inspection");
    EXPECT_EQ(decide_notified(number("unshare"), none).kind, "namespace creation");
    EXPECT_EQ(decide_notified(number("keyctl"), none).kind, "kernel keyring");
}

TEST(SandboxFilter, IoUringAndUnknownSyscallsFailWithEnosysSoRuntimesFallBack) {
    const SyscallArgs none{};
    const auto uring = decide_notified(number("io_uring_setup"), none);
    EXPECT_EQ(uring.action, NotifiedAction::deny);
    EXPECT_EQ(uring.error, ENOSYS);
    const auto unknown = decide_notified(1000, none);
    EXPECT_EQ(unknown.error, ENOSYS);
    EXPECT_EQ(unknown.kind, "unlisted syscall");
}

TEST(SandboxFilter, MptcpSocketIsNamedEvenWithHighBitsInTheProtocol) {
    SyscallArgs args{};
    args[0] = AF_INET;
    args[1] = SOCK_STREAM;
    args[2] = 262 | (1ull << 32);
    EXPECT_EQ(decide_notified(number("socket"), args).kind, "MPTCP sockets");
    EXPECT_EQ(describe_denied_arguments(number("socket"), args), "AF_INET, IPPROTO_MPTCP");
}

TEST(SandboxFilter, DescribesDeniedArguments) {
    SyscallArgs args{};
    args[1] = 0x5412 | (1ull << 32);
    EXPECT_EQ(describe_denied_arguments(number("ioctl"), args), "TIOCSTI (high bits set)");
    args = {};
    args[0] = 0x10000000 | 0x00020000;  // CLONE_NEWUSER | CLONE_NEWNS
    EXPECT_EQ(describe_denied_arguments(number("unshare"), args), "CLONE_NEWUSER|CLONE_NEWNS");
    args = {};
    args[0] = AF_PACKET;
    EXPECT_EQ(describe_denied_arguments(number("socket"), args), "AF_PACKET");
}

TEST(SandboxFilter, MonitoredProgramBuildsWithArchitectureCheck) {
    const auto program = build_seccomp_program(true);
    ASSERT_TRUE(program.ok()) << program.error().message;
    ASSERT_GT(program->instructions.size(), 10u);
    // The first instructions load the architecture and compare it with the
    // native one before any syscall number is looked at.
    EXPECT_EQ(program->instructions[0].code, BPF_LD | BPF_W | BPF_ABS);
    EXPECT_EQ(program->instructions[0].k, offsetof(struct seccomp_data, arch));
    EXPECT_TRUE(program->monitored);
    const auto plain = build_seccomp_program(false);
    ASSERT_TRUE(plain.ok());
    EXPECT_FALSE(plain->monitored);
}

TEST(SandboxFilter, NamesSyscallsByNumber) {
    EXPECT_EQ(syscall_name(number("ptrace")), "ptrace");
    EXPECT_EQ(syscall_name(99999), "syscall 99999");
}

}  // namespace
}  // namespace hazmat::sandbox
