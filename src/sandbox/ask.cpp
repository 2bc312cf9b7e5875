#include "sandbox/ask.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

namespace hazmat::sandbox {

namespace {

std::string joined(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& arg : argv)
        out += (out.empty() ? "" : " ") + arg;
    return out.size() > 200 ? out.substr(0, 200) + "..." : out;
}

}  // namespace

std::string describe_for_prompt(const Event& event) {
    const auto who = fmt::format("{} (pid {})", event.program, event.pid);
    switch (event.type) {
        case EventType::exec:
            return fmt::format("{} wants to run: {}", who, joined(event.argv));
        case EventType::connect:
        case EventType::send:
            return fmt::format(
                "{} wants to reach {}:{} (there is no network; denying makes the "
                "call fail now)",
                who, event.address, event.port);
        case EventType::open:
            return fmt::format("{} wants to open {} ({}, {})", who, event.path, event.flags,
                               to_string(event.category));
        default:
            return fmt::format("{}: {} {}", who, event.syscall, event.path);
    }
}

TerminalAsker::TerminalAsker(std::chrono::seconds timeout)
    : terminal_(open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)), timeout_(timeout) {}

// LIMITATION: a key typed at the instant a prompt opens may still reach the
// command instead of the prompt.
AskAnswer TerminalAsker::ask(const Event& event) {
    if (!terminal_)
        return AskAnswer::allow_once;
    const std::lock_guard lock(mutex_);
    prompting_ = true;
    const auto question = fmt::format(
        "\r\nhazmat: {}\r\n  [a] allow once  [d] deny  [n] deny all of this kind  (deny in {} s): ",
        describe_for_prompt(event), timeout_.count());
    (void)!write(terminal_.get(), question.data(), question.size());
    AskAnswer answer = AskAnswer::deny;
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            break;
        struct pollfd wait = {terminal_.get(), POLLIN, 0};
        if (poll(&wait, 1, static_cast<int>(left.count())) <= 0)
            continue;
        char key = 0;
        if (read(terminal_.get(), &key, 1) != 1)
            break;
        if (key == 'a' || key == 'A') {
            answer = AskAnswer::allow_once;
            break;
        }
        if (key == 'd' || key == 'D') {
            answer = AskAnswer::deny;
            break;
        }
        if (key == 'n' || key == 'N') {
            answer = AskAnswer::deny_all;
            break;
        }
    }
    const char* said = answer == AskAnswer::allow_once ? "allowed\r\n"
                       : answer == AskAnswer::deny     ? "denied\r\n"
                                                       : "denied (all of this kind)\r\n";
    (void)!write(terminal_.get(), said, std::string_view(said).size());
    prompting_ = false;
    return answer;
}

}  // namespace hazmat::sandbox
