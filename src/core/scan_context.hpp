#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/blob.hpp"
#include "core/finding.hpp"
#include "core/limits.hpp"
#include "core/report.hpp"
#include "core/sniff.hpp"

namespace hazmat {

class Dispatcher;

// Limits that a scan of one file can hit. Each is reported at most once per
// file, as an HZ-SCAN-001 finding naming the limit and where it was hit.
enum class LimitKind {
    depth,
    members,
    expanded_bytes,
    expansion_ratio,
    timeout,
    pickle_opcodes,
    pickle_stack,
    pickle_memo,
    pickle_nesting,
    pickle_embedded_depth,
    pickle_streams,
};

std::string_view to_string(LimitKind kind);

// State shared by everything examined on behalf of one file on disk: the
// budget (members, expanded bytes, deadline) and the way back into the
// dispatcher for nested content. Not thread-safe; one per file per worker.
class ScanContext {
  public:
    ScanContext(const Dispatcher& dispatcher, FindingSink& sink, const ScanLimits& limits);

    FindingSink& sink() { return sink_; }
    const ScanLimits& limits() const { return limits_; }

    void report(Finding finding) { sink_.add(std::move(finding)); }
    // Counts the object being examined (the innermost blob in dispatch) as
    // one of `format`, with its location for the per-format summary.
    void count_format(std::string_view format);

    // Examines nested content (an archive member, a decompressed stream, an
    // embedded pickle). `declared` overrides the magic-byte sniff when the
    // parent knows what the child is. Enforces the depth limit.
    void scan(const Blob& child, std::optional<Format> declared = std::nullopt);

    // Budget accounting. Each returns false (and reports the limit once) when
    // the budget is exhausted; the caller stops producing more content.
    bool charge_member(const Location& where);
    // Counts decompressed bytes against the file's total and against the
    // file's size on disk (the aggregate expansion ratio), so layered or
    // overlapping bombs whose every single layer looks modest still stop.
    bool charge_expansion(uint64_t bytes, const Location& where);
    // Checks one decompression layer: `produced` bytes out of `consumed`
    // compressed bytes so far. Small outputs are exempt (ratio_floor_bytes).
    bool check_ratio(uint64_t produced, uint64_t consumed, const Location& where);

    // True once the member count or the expansion budget of this file is
    // spent: callers stop listing or producing content instead of asking
    // again for every remaining member.
    bool members_exhausted() const { return members_ > limits_.max_members; }
    bool expansion_exhausted() const { return expansion_exhausted_; }

    // True once the per-file deadline has passed (reported once).
    bool expired(const Location& where);
    bool expired_quietly() const;

    // Reports that a limit was hit at `where` (once per kind per file).
    void report_limit(LimitKind kind, const Location& where, std::string detail = {});

    uint64_t blobs_examined() const { return blobs_examined_; }

    // Container traits: a format analyzer that recognises what kind of
    // container a blob is (a TorchScript archive) records it, so that
    // analyzers of the members read them as that container's loader does.
    // Format analyzers that mark must run before the container's members are
    // dispatched, i.e. be registered before the archive analyzers.
    void mark_container(const Location& container, std::string trait);
    bool inside_container(const Location& member, std::string_view trait) const;

  private:
    const Dispatcher& dispatcher_;
    FindingSink& sink_;
    const ScanLimits& limits_;
    std::chrono::steady_clock::time_point deadline_;
    uint64_t members_ = 0;
    uint64_t expanded_bytes_ = 0;
    // Size of the file on disk (the depth-0 blob), the base of the aggregate ratio.
    uint64_t root_size_ = 0;
    bool expansion_exhausted_ = false;
    uint64_t blobs_examined_ = 0;
    std::set<LimitKind> reported_limits_;
    std::vector<std::pair<Location, std::string>> container_traits_;
    // Locations of the blobs being dispatched, outermost first.
    std::vector<const Location*> dispatching_;
};

}  // namespace hazmat
