#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/finding.hpp"

namespace hazmat {

// Where analyzers put what they find. Implementations must be thread-safe:
// files are scanned in parallel.
class FindingSink {
  public:
    virtual ~FindingSink() = default;
    virtual void add(Finding finding) = 0;
    // Counts one examined object of a format ("pickle", "pytorch-zip", ...),
    // for the per-format summary.
    virtual void count_format(std::string_view format) = 0;
    // Same, for the object at `where`, so that the summary can also say how
    // many objects of each format were clean, carried findings or could not
    // be verified. Sinks that keep the default only count.
    virtual void count_object(std::string_view format, const Location& where) {
        (void)where;
        count_format(format);
    }
};

// What became of the located objects of one format (see count_object).
struct FormatOutcome {
    uint64_t objects = 0;
    // Objects with at least one finding of severity low or above inside them
    // (their own location or anything nested in it), HZ-SCAN-* excluded.
    uint64_t with_findings = 0;
    // Objects with an HZ-SCAN-* ("could not verify") finding inside them.
    uint64_t unverified = 0;
    // Objects with neither.
    uint64_t clean = 0;
};

struct ScanStats {
    uint64_t files = 0;    // files on disk examined
    uint64_t blobs = 0;    // files, members and streams examined
    uint64_t bytes = 0;    // bytes of files on disk examined
    uint64_t skipped = 0;  // entries deliberately not examined (and why is logged)
    std::map<std::string, uint64_t, std::less<>> formats;
    // Filled by Report::finish() for the formats counted with a location.
    std::map<std::string, FormatOutcome, std::less<>> outcomes;
};

// How a command that a job executed (`run`, `check`) ended.
struct CommandStatus {
    enum class State { exited, signaled, timed_out, not_started };
    State state = State::exited;
    int exit_code = 0;
    int signal = 0;

    // What hazmat exits with when no finding trips: the command's own
    // status, 128+signal as shells report a killed command, 124 for a
    // timeout (as timeout(1)), 2 when it could not be started.
    int shell_status() const;
};

std::string_view to_string(CommandStatus::State state);

// A titled list of facts about the job that are not findings (the isolation
// a run had, the files it changed); renderers show them as they are.
struct ReportNote {
    std::string title;
    std::vector<std::string> lines;
};

// Everything one hazmat job produced. Renderers read it; nothing else writes
// it after the job has finished.
class Report : public FindingSink {
  public:
    void add(Finding finding) override;
    void count_format(std::string_view format) override;
    void count_object(std::string_view format, const Location& where) override;
    void add_stats(uint64_t files, uint64_t blobs, uint64_t bytes, uint64_t skipped);

    // Sorts findings into their stable display order and works out the
    // per-format outcomes; call once at the end.
    void finish();

    const std::vector<Finding>& findings() const { return findings_; }
    const ScanStats& stats() const { return stats_; }

    // Highest severity present, if any finding exists.
    std::optional<Severity> max_severity() const;
    size_t count_at_least(Severity threshold) const;

    // Metadata for renderers.
    std::string command = "scan";
    std::string target;
    std::string hazmat_version;
    std::string rules_version;
    std::string data_version;
    Severity fail_on = Severity::high;
    std::chrono::system_clock::time_point started;
    std::chrono::milliseconds duration{0};
    // Jobs that execute something: the verdict (clean, suspicious,
    // malicious, inconclusive), how the command ended, and notes.
    std::string verdict;
    std::optional<CommandStatus> command_status;
    std::vector<ReportNote> notes;

  private:
    mutable std::mutex mutex_;
    void compute_outcomes();
    // Keeps the first kMaxRepeatsPerFile findings of one rule and severity
    // in one file and replaces the rest with one finding that counts them
    // (a crafted archive can otherwise produce thousands of the same fact).
    void collapse_repeats();
    static constexpr size_t kMaxRepeatsPerFile = 20;

    std::vector<Finding> findings_;
    ScanStats stats_;
    // (format, location key) of every object counted with a location.
    std::vector<std::pair<std::string, std::string>> objects_;
};

}  // namespace hazmat
