#include "core/report.hpp"

#include <algorithm>

namespace hazmat {

int CommandStatus::shell_status() const {
    switch (state) {
        case State::exited:
            return exit_code;
        case State::signaled:
            return 128 + signal;
        case State::timed_out:
            return 124;
        case State::not_started:
            return 2;
    }
    return 2;
}

std::string_view to_string(CommandStatus::State state) {
    switch (state) {
        case CommandStatus::State::exited:
            return "exited";
        case CommandStatus::State::signaled:
            return "signaled";
        case CommandStatus::State::timed_out:
            return "timed-out";
        case CommandStatus::State::not_started:
            return "not-started";
    }
    return "unknown";
}

void Report::add(Finding finding) {
    const std::lock_guard lock(mutex_);
    findings_.push_back(std::move(finding));
}

void Report::count_format(std::string_view format) {
    const std::lock_guard lock(mutex_);
    const auto it = stats_.formats.find(format);
    if (it == stats_.formats.end()) {
        stats_.formats.emplace(std::string(format), 1);
    } else {
        ++it->second;
    }
}

void Report::add_stats(uint64_t files, uint64_t blobs, uint64_t bytes, uint64_t skipped) {
    const std::lock_guard lock(mutex_);
    stats_.files += files;
    stats_.blobs += blobs;
    stats_.bytes += bytes;
    stats_.skipped += skipped;
}

void Report::finish() {
    const std::lock_guard lock(mutex_);
    std::stable_sort(findings_.begin(), findings_.end(), finding_order);
    // The same fact reached twice (e.g. a member seen through two central
    // directory entries) is reported once.
    const auto same = [](const Finding& a, const Finding& b) {
        return a.rule_id == b.rule_id && a.location == b.location && a.message == b.message;
    };
    findings_.erase(std::unique(findings_.begin(), findings_.end(), same), findings_.end());
}

std::optional<Severity> Report::max_severity() const {
    const std::lock_guard lock(mutex_);
    std::optional<Severity> result;
    for (const auto& finding : findings_) {
        if (!result || finding.severity > *result)
            result = finding.severity;
    }
    return result;
}

size_t Report::count_at_least(Severity threshold) const {
    const std::lock_guard lock(mutex_);
    return static_cast<size_t>(
        std::count_if(findings_.begin(), findings_.end(),
                      [&](const Finding& f) { return f.severity >= threshold; }));
}

}  // namespace hazmat
