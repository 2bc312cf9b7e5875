#include "sandbox/audit_log.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>

namespace hazmat::sandbox {

nlohmann::json event_json(const Event& event) {
    nlohmann::json out = {
        {"t", static_cast<double>(event.at.count()) / 1e6},
        {"event", to_string(event.type)},
    };
    if (event.pid != 0)
        out["pid"] = event.pid;
    if (!event.program.empty())
        out["program"] = event.program;
    if (!event.syscall.empty())
        out["syscall"] = event.syscall;
    if (!event.path.empty())
        out["path"] = event.path;
    if (!event.resolved.empty())
        out["resolved"] = event.resolved;
    if (event.type == EventType::exec) {
        out["argv"] = event.argv;
        out["exists"] = event.exists;
        if (event.first)
            out["command"] = true;
    }
    if (!event.family.empty())
        out["family"] = event.family;
    if (!event.address.empty())
        out["address"] = event.address;
    if (event.port != 0)
        out["port"] = event.port;
    if (event.type == EventType::connect && event.listener_inside)
        out["listener_inside"] = true;
    if (!event.flags.empty())
        out["flags"] = event.flags;
    if (event.category != PathCategory::none)
        out["category"] = to_string(event.category);
    if (!event.kind.empty())
        out["kind"] = event.kind;
    if (!event.detail.empty())
        out["detail"] = event.detail;
    if (!event.decision.empty())
        out["decision"] = event.decision;
    return out;
}

Result<std::unique_ptr<EventRecorder>> EventRecorder::open(const std::filesystem::path& log) {
    // O_APPEND: several runs may share one log, and each line lands whole
    // at the end. O_NOFOLLOW: a planted link cannot redirect the log.
    UniqueFd fd(::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd)
        return Error{
            fmt::format("cannot open the audit log {}: {}", log.string(), std::strerror(errno))};
    return std::make_unique<EventRecorder>(std::move(fd));
}

EventRecorder::EventRecorder(UniqueFd log) : log_(std::move(log)) {}

void EventRecorder::start_clock() {
    const std::lock_guard lock(mutex_);
    start_ = std::chrono::steady_clock::now();
}

std::chrono::microseconds EventRecorder::elapsed() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 start_);
}

void EventRecorder::write_line(const std::string& line) {
    if (log_bytes_ + line.size() > kMaxLogBytes) {
        ++lost_;
        return;
    }
    size_t written = 0;
    while (written < line.size()) {
        const auto n = ::write(log_.get(), line.data() + written, line.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ++lost_;
            return;
        }
        written += static_cast<size_t>(n);
    }
    log_bytes_ += line.size();
}

void EventRecorder::record(Event event) {
    if (event.at.count() == 0)
        event.at = elapsed();
    const auto key = fmt::format("{}|{}|{}|{}|{}:{}", to_string(event.type), event.syscall,
                                 event.kind, event.path, event.address, event.port);
    const std::lock_guard lock(mutex_);
    auto it = seen_.find(key);
    if (it == seen_.end()) {
        if (seen_.size() >= kMaxKeptEvents) {
            ++lost_;
            return;
        }
        it = seen_.emplace(key, 0).first;
    }
    if (++it->second > kRepeatsLogged)
        return;
    write_line(event_json(event).dump() + "\n");
    if (events_.size() >= kMaxKeptEvents) {
        ++lost_;
        return;
    }
    events_.push_back(std::move(event));
}

void EventRecorder::record_raw(const nlohmann::json& line) {
    const std::lock_guard lock(mutex_);
    write_line(line.dump() + "\n");
}

void EventRecorder::note_lost(uint64_t count) {
    const std::lock_guard lock(mutex_);
    lost_ += count;
}

void EventRecorder::finish() {
    const auto counts = repeats();
    if (!counts.empty()) {
        nlohmann::json repeated = nlohmann::json::object();
        for (const auto& [key, count] : counts)
            repeated[key] = count;
        record_raw({{"t", static_cast<double>(elapsed().count()) / 1e6},
                    {"event", "repeats"},
                    {"not_logged_individually", repeated}});
    }
}

std::vector<Event> EventRecorder::events() const {
    const std::lock_guard lock(mutex_);
    return events_;
}

std::map<std::string, uint64_t> EventRecorder::repeats() const {
    const std::lock_guard lock(mutex_);
    std::map<std::string, uint64_t> out;
    for (const auto& [key, count] : seen_) {
        if (count > kRepeatsLogged)
            out[key] = count - kRepeatsLogged;
    }
    return out;
}

uint64_t EventRecorder::lost() const {
    const std::lock_guard lock(mutex_);
    return lost_;
}

}  // namespace hazmat::sandbox
