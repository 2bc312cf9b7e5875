#include "core/scan_context.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/dispatcher.hpp"
#include "core/rule_ids.hpp"

namespace hazmat {

std::string_view to_string(LimitKind kind) {
    switch (kind) {
        case LimitKind::depth:
            return "nesting depth";
        case LimitKind::members:
            return "archive member count";
        case LimitKind::expanded_bytes:
            return "total decompressed bytes";
        case LimitKind::expansion_ratio:
            return "decompression ratio";
        case LimitKind::timeout:
            return "time per file";
        case LimitKind::pickle_opcodes:
            return "pickle opcode count";
        case LimitKind::pickle_stack:
            return "pickle stack depth";
        case LimitKind::pickle_memo:
            return "pickle memo size";
        case LimitKind::pickle_nesting:
            return "pickle value nesting";
        case LimitKind::pickle_embedded_depth:
            return "nested pickle.loads depth";
        case LimitKind::pickle_streams:
            return "pickle streams per blob";
    }
    return "unknown limit";
}

ScanContext::ScanContext(const Dispatcher& dispatcher, FindingSink& sink, const ScanLimits& limits)
    : dispatcher_(dispatcher),
      sink_(sink),
      limits_(limits),
      deadline_(std::chrono::steady_clock::now() + limits.file_timeout) {}

void ScanContext::scan(const Blob& child, std::optional<Format> declared) {
    if (child.depth > limits_.max_depth) {
        report_limit(LimitKind::depth, child.location,
                     fmt::format("content nested {} levels deep", child.depth));
        return;
    }
    if (expired(child.location))
        return;
    if (child.depth == 0)
        root_size_ = child.bytes.size();
    ++blobs_examined_;
    struct Dispatching {
        std::vector<const Location*>& stack;
        ~Dispatching() { stack.pop_back(); }
    } guard{dispatching_};
    dispatching_.push_back(&child.location);
    dispatcher_.dispatch(child, declared, *this);
}

void ScanContext::count_format(std::string_view format) {
    if (dispatching_.empty()) {
        sink_.count_format(format);
        return;
    }
    sink_.count_object(format, *dispatching_.back());
}

bool ScanContext::charge_member(const Location& where) {
    if (++members_ <= limits_.max_members)
        return true;
    report_limit(LimitKind::members, where,
                 fmt::format("more than {} archive members", limits_.max_members));
    return false;
}

bool ScanContext::charge_expansion(uint64_t bytes, const Location& where) {
    if (expansion_exhausted_)
        return false;
    expanded_bytes_ += bytes;
    if (expanded_bytes_ > limits_.max_expanded_bytes) {
        expansion_exhausted_ = true;
        report_limit(LimitKind::expanded_bytes, where,
                     fmt::format("more than {} bytes decompressed", limits_.max_expanded_bytes));
        return false;
    }
    const uint64_t base = std::max<uint64_t>(root_size_, 1);
    if (expanded_bytes_ > limits_.ratio_floor_bytes &&
        expanded_bytes_ / base >= limits_.max_expansion_ratio) {
        expansion_exhausted_ = true;
        report_limit(LimitKind::expansion_ratio, where,
                     fmt::format("{} bytes decompressed from a file of {} bytes (more than {}:1)",
                                 expanded_bytes_, root_size_, limits_.max_expansion_ratio));
        return false;
    }
    return true;
}

bool ScanContext::check_ratio(uint64_t produced, uint64_t consumed, const Location& where) {
    if (produced <= limits_.ratio_floor_bytes)
        return true;
    if (produced / std::max<uint64_t>(consumed, 1) < limits_.max_expansion_ratio)
        return true;
    report_limit(LimitKind::expansion_ratio, where,
                 fmt::format("{} bytes decompressed from {} compressed bytes (more than {}:1)",
                             produced, consumed, limits_.max_expansion_ratio));
    return false;
}

bool ScanContext::expired_quietly() const {
    return std::chrono::steady_clock::now() > deadline_;
}

bool ScanContext::expired(const Location& where) {
    if (!expired_quietly())
        return false;
    report_limit(LimitKind::timeout, where,
                 fmt::format("scanning took longer than {} ms", limits_.file_timeout.count()));
    return true;
}

void ScanContext::report_limit(LimitKind kind, const Location& where, std::string detail) {
    if (!reported_limits_.insert(kind).second)
        return;
    auto message = fmt::format(
        "Stopped examining at the {} limit; the rest of this file was not "
        "verified.",
        to_string(kind));
    auto finding = Finding::make(rules::kScanLimit, std::move(message), where);
    if (!detail.empty())
        finding.with_evidence(std::move(detail));
    report(std::move(finding));
}

void ScanContext::mark_container(const Location& container, std::string trait) {
    container_traits_.emplace_back(container, std::move(trait));
}

bool ScanContext::inside_container(const Location& member, std::string_view trait) const {
    for (const auto& [container, name] : container_traits_) {
        if (name != trait || container.chain.size() >= member.chain.size())
            continue;
        if (std::equal(container.chain.begin(), container.chain.end(), member.chain.begin())) {
            return true;
        }
    }
    return false;
}

}  // namespace hazmat
