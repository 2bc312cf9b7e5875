#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "sandbox/events.hpp"
#include "sandbox/unique_fd.hpp"

namespace hazmat::sandbox {

nlohmann::json event_json(const Event& event);

// Collects a run's events. Each is appended to the audit log at once, as
// one JSON line written with a single write() on a descriptor opened with
// O_APPEND, so the log is usable even if hazmat is killed mid-run, and the
// events are kept in memory for the summary.
//
// A program can make the same telling syscall millions of times; after
// kRepeatsLogged identical events (same type, syscall, kind, path and
// address) further ones are only counted, and the counts are written at the
// end, so the log stays bounded and the counts stay exact. Events beyond
// the log's size bound or the memory bound are counted as lost, which makes
// the run's verdict inconclusive.
class EventRecorder {
  public:
    static constexpr size_t kRepeatsLogged = 50;
    static constexpr size_t kMaxKeptEvents = 100'000;
    static constexpr uint64_t kMaxLogBytes = 256ull << 20;

    static Result<std::unique_ptr<EventRecorder>> open(const std::filesystem::path& log);
    explicit EventRecorder(UniqueFd log);

    void start_clock();
    std::chrono::microseconds elapsed() const;

    // Thread-safe.
    void record(Event event);
    void record_raw(const nlohmann::json& line);  // the start record and repeat counts
    void note_lost(uint64_t count);

    // Writes the repeat counts.
    void finish();

    std::vector<Event> events() const;
    // How often each suppressed event key occurred beyond the logged ones.
    std::map<std::string, uint64_t> repeats() const;
    uint64_t lost() const;

  private:
    void write_line(const std::string& line);

    mutable std::mutex mutex_;
    UniqueFd log_;
    uint64_t log_bytes_ = 0;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    std::vector<Event> events_;
    std::map<std::string, uint64_t> seen_;
    uint64_t lost_ = 0;
};

}  // namespace hazmat::sandbox
