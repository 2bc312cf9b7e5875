#include "core/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>

#include "core/rule_ids.hpp"

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

namespace {

// A compact key of the first `parts` hops of a location's chain. Offsets,
// lines and commits' positions inside a part do not matter: a finding
// belongs to every object whose chain is a prefix of its own.
std::string chain_key(const Location& location, size_t parts) {
    std::string key;
    for (size_t i = 0; i < parts && i < location.chain.size(); ++i) {
        key += static_cast<char>('0' + static_cast<int>(location.chain[i].kind));
        key += location.chain[i].name;
        key += '\x1f';
    }
    return key;
}

}  // namespace

void Report::count_object(std::string_view format, const Location& where) {
    count_format(format);
    const std::lock_guard lock(mutex_);
    objects_.emplace_back(std::string(format), chain_key(where, where.chain.size()));
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
    compute_outcomes();
    collapse_repeats();
}

void Report::collapse_repeats() {
    // (rule, severity, file on disk) -> findings of that kind so far.
    std::map<std::tuple<std::string, Severity, std::string>, size_t> seen;
    std::map<std::tuple<std::string, Severity, std::string>, std::vector<const Finding*>> extra;
    std::vector<Finding> kept;
    kept.reserve(findings_.size());
    for (auto& finding : findings_) {
        // A finding with a fingerprint stays: a baseline must be able to
        // name each one.
        auto key = std::make_tuple(finding.rule_id, finding.severity, finding.location.file());
        if (!finding.fingerprint.empty() || ++seen[key] <= kMaxRepeatsPerFile) {
            kept.push_back(std::move(finding));
            continue;
        }
        extra[key].push_back(&finding);
    }
    for (const auto& [key, rest] : extra) {
        const auto& [rule_id, severity, file] = key;
        Location where;
        where.chain.push_back({LocationPart::Kind::file, file});
        auto summary = Finding::make(
            rule_id,
            fmt::format("{} more findings of this rule at this severity in this file are not "
                        "listed one by one; the first {} are.",
                        rest.size(), kMaxRepeatsPerFile),
            std::move(where));
        summary.with_severity(severity);
        for (size_t i = 0; i < rest.size() && i < 5; ++i)
            summary.with_evidence("also at " + rest[i]->location.to_display());
        if (rest.size() > 5)
            summary.with_evidence(fmt::format("and {} more", rest.size() - 5));
        kept.push_back(std::move(summary));
    }
    findings_ = std::move(kept);
    std::stable_sort(findings_.begin(), findings_.end(), finding_order);
}

void Report::compute_outcomes() {
    std::unordered_multimap<std::string_view, size_t> by_key;
    for (size_t i = 0; i < objects_.size(); ++i)
        by_key.emplace(objects_[i].second, i);
    std::vector<bool> flagged(objects_.size(), false);
    std::vector<bool> unverified(objects_.size(), false);
    for (const auto& finding : findings_) {
        const bool scan_rule = rule_area(finding.rule_id) == "SCAN";
        if (!scan_rule && finding.severity < Severity::low)
            continue;
        for (size_t parts = 1; parts <= finding.location.chain.size(); ++parts) {
            const auto key = chain_key(finding.location, parts);
            const auto [begin, end] = by_key.equal_range(key);
            for (auto it = begin; it != end; ++it)
                (scan_rule ? unverified : flagged)[it->second] = true;
        }
    }
    stats_.outcomes.clear();
    for (size_t i = 0; i < objects_.size(); ++i) {
        auto& outcome = stats_.outcomes[objects_[i].first];
        ++outcome.objects;
        outcome.with_findings += flagged[i] ? 1 : 0;
        outcome.unverified += unverified[i] ? 1 : 0;
        outcome.clean += !flagged[i] && !unverified[i] ? 1 : 0;
    }
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
