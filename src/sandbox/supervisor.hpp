#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "sandbox/ask.hpp"
#include "sandbox/audit_log.hpp"
#include "sandbox/leak_scanner.hpp"
#include "sandbox/path_watch.hpp"
#include "sandbox/status.hpp"
#include "sandbox/unique_fd.hpp"

namespace hazmat::sandbox {

// A LeakScanner shared by the monitor thread (data sent) and the main thread
// (output, files).
class SharedLeakScanner {
  public:
    explicit SharedLeakScanner(const std::vector<DecoySecret>& secrets) : scanner_(secrets) {}
    void feed(std::string_view channel, std::string_view bytes) {
        const std::lock_guard lock(mutex_);
        scanner_.feed(channel, bytes);
    }
    void scan_whole(std::string_view channel, std::string_view bytes) {
        const std::lock_guard lock(mutex_);
        scanner_.scan_whole(channel, bytes);
    }
    std::set<LeakHit> hits() const {
        const std::lock_guard lock(mutex_);
        return scanner_.hits();
    }

  private:
    mutable std::mutex mutex_;
    LeakScanner scanner_;
};

// Handles the seccomp notifications of the sandboxed processes on its own
// thread: records the telling syscalls (execve with argv, connect/sendto/bind
// with the address, opens of watched paths) and lets them proceed, and
// answers the syscalls outside the allow-list with their error. It never
// grants anything the kernel's other layers refuse: what a connect can
// reach is the network namespace's business, what an open can touch is
// Landlock's and the mount namespace's. Arguments are read from the
// process's memory for the record only.
class Supervisor {
  public:
    struct Context {
        EventRecorder* recorder = nullptr;
        const PathWatch* watch = nullptr;
        SharedLeakScanner* leaks = nullptr;
        AskFunction ask;  // empty: answer from the policy (let watched syscalls proceed)
    };

    Supervisor(UniqueFd listener, Context context);
    ~Supervisor();

    // Sets SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP where the kernel offers it
    // (6.6+) and starts the monitor thread.
    Status start();
    // Stops the thread; pending notifications then fail with ENOSYS.
    void stop();

    bool sync_wake_up() const { return sync_wake_up_; }
    uint64_t notifications() const { return notifications_.load(); }
    uint64_t errors() const { return errors_.load(); }

  private:
    void run();

    UniqueFd listener_;
    UniqueFd stop_event_;
    Context context_;
    std::thread thread_;
    bool sync_wake_up_ = false;
    std::atomic<uint64_t> notifications_{0};
    std::atomic<uint64_t> errors_{0};
};

// Describes a socket address read from a process ("inet", "93.184.216.34",
// 443), as the supervisor records it; exposed for tests.
struct SocketAddress {
    std::string family;
    std::string address;
    uint16_t port = 0;
};
SocketAddress describe_sockaddr(std::string_view bytes);

// "O_WRONLY|O_CREAT|O_TRUNC" for open flags.
std::string open_flag_names(uint64_t flags);

}  // namespace hazmat::sandbox
