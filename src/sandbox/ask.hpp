#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "sandbox/events.hpp"
#include "sandbox/unique_fd.hpp"

namespace hazmat::sandbox {

// The user's answer to a prompt (--ask).
enum class AskAnswer { allow_once, deny, deny_all };

// Asks the user about one event; blocks the asking (monitor) thread while
// the syscall waits. Called only for the rare, telling events.
using AskFunction = std::function<AskAnswer(const Event& event)>;

// Prompts on the controlling terminal (/dev/tty): "a" allows once, "d"
// denies, "n" denies every later event of the same kind. No answer within
// the timeout denies. Without a terminal it answers from the policy: the
// event proceeds and the sandbox's other layers decide what it can reach.
class TerminalAsker {
  public:
    explicit TerminalAsker(std::chrono::seconds timeout = std::chrono::seconds(30));

    bool has_terminal() const { return terminal_.valid(); }
    AskAnswer ask(const Event& event);
    AskFunction function() {
        return [this](const Event& event) { return ask(event); };
    }

    // While a prompt is open, keys belong to the prompt, not to the command.
    bool prompting() const { return prompting_.load(); }

  private:
    UniqueFd terminal_;
    std::chrono::seconds timeout_;
    std::mutex mutex_;
    std::atomic<bool> prompting_{false};
};

// One line describing the event for a prompt.
std::string describe_for_prompt(const Event& event);

}  // namespace hazmat::sandbox
