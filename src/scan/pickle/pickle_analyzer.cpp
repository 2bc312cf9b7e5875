#include "scan/pickle/pickle_analyzer.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"
#include "scan/pickle/pickle_machine.hpp"
#include "scan/pickle/pickle_opcodes.hpp"
#include "scan/pickle/pickle_rule_ids.hpp"
#include "scan/pickle/pickle_text.hpp"

namespace hazmat {

namespace pickle {

namespace {

constexpr uint64_t kNotFound = UINT64_MAX;
// Dry-run length that separates pickles from text and noise.
constexpr uint64_t kProbeOpcodes = 32;
// LIMITATION: past this many bytes of junk only protocol 2+ headers are
// looked for; a protocol 0/1 stream hidden deeper in junk is not found.
constexpr uint64_t kJunkTextWindow = 64ull << 20;
constexpr size_t kMaxJunkFindings = 4;
constexpr size_t kMaxCallableFindings = 256;
constexpr std::string_view kEmbeddedPrefix = "argument of ";

// torch.save's legacy format starts with this number (torch/serialization.py
// MAGIC_NUMBER = 0x1950a86a20f9469cfc6c), little-endian.
constexpr std::array<uint8_t, 10> kTorchMagic = {0x6c, 0xfc, 0x9c, 0x46, 0xf9,
                                                 0x20, 0x6a, 0xa8, 0x50, 0x19};
constexpr int64_t kTorchProtocolVersion = 1001;

// Opcodes a pickle stream can begin with (they need nothing on the stack).
bool opens_stream(uint8_t c) {
    switch (c) {
        case op::kMark:
        case op::kProto:
        case op::kFrame:
        case op::kNone:
        case op::kNewTrue:
        case op::kNewFalse:
        case op::kInt:
        case op::kBinInt:
        case op::kBinInt1:
        case op::kBinInt2:
        case op::kLong:
        case op::kLong1:
        case op::kLong4:
        case op::kFloat:
        case op::kBinFloat:
        case op::kString:
        case op::kBinString:
        case op::kShortBinString:
        case op::kUnicode:
        case op::kBinUnicode:
        case op::kShortBinUnicode:
        case op::kBinUnicode8:
        case op::kBinBytes:
        case op::kShortBinBytes:
        case op::kBinBytes8:
        case op::kByteArray8:
        case op::kEmptyTuple:
        case op::kEmptyList:
        case op::kEmptyDict:
        case op::kEmptySet:
        case op::kGlobal:
        case op::kPersId:
        case op::kExt1:
        case op::kExt2:
        case op::kExt4:
            return true;
        default:
            return false;
    }
}

bool is_protocol_header(ByteSpan bytes, uint64_t at) {
    return at + 1 < bytes.size() && bytes[at] == op::kProto && bytes[at + 1] >= 2 &&
           bytes[at + 1] <= op::kHighestProtocol;
}

}  // namespace

bool looks_like_pickle(ByteSpan bytes) {
    if (bytes.empty())
        return false;
    if (is_protocol_header(bytes, 0))
        return true;
    if (!opens_stream(bytes[0]))
        return false;
    return probe_pickle(bytes, 0, kProbeOpcodes).parses;
}

uint64_t find_next_stream(ByteSpan bytes, uint64_t from, uint64_t text_window) {
    const uint64_t text_end = from + std::min<uint64_t>(text_window, bytes.size() - from);
    for (uint64_t at = from; at < bytes.size(); ++at) {
        if (at >= text_end) {
            // Past the window only protocol headers are looked for.
            const void* next = std::memchr(bytes.data() + at, op::kProto, bytes.size() - at);
            if (!next)
                return kNotFound;
            at = static_cast<uint64_t>(static_cast<const uint8_t*>(next) - bytes.data());
        }
        if (!opens_stream(bytes[at]))
            continue;
        const bool header = is_protocol_header(bytes, at);
        if (at >= text_end && !header)
            continue;
        const auto probe = probe_pickle(bytes, at, kProbeOpcodes);
        if (!probe.parses)
            continue;
        // A short stream that imports nothing cannot run code; random bytes
        // form such streams ("K\x07.") often enough to be noise.
        if (probe.reached_stop && !probe.imports && !header)
            continue;
        return at;
    }
    return kNotFound;
}

namespace {

uint64_t storage_element_size(std::string_view type) {
    const auto dot = type.rfind('.');
    if (dot != std::string_view::npos)
        type.remove_prefix(dot + 1);
    static const std::unordered_map<std::string_view, uint64_t> kSizes = {
        {"DoubleStorage", 8},   {"FloatStorage", 4},          {"HalfStorage", 2},
        {"BFloat16Storage", 2}, {"LongStorage", 8},           {"IntStorage", 4},
        {"ShortStorage", 2},    {"CharStorage", 1},           {"ByteStorage", 1},
        {"BoolStorage", 1},     {"ComplexDoubleStorage", 16}, {"ComplexFloatStorage", 8},
        {"QUInt8Storage", 1},   {"QInt8Storage", 1},          {"QInt32Storage", 4},
        {"QUInt4x2Storage", 1}, {"QUInt2x4Storage", 1},       {"UntypedStorage", 1},
    };
    const auto it = kSizes.find(type);
    return it == kSizes.end() ? 0 : it->second;
}

std::string preview(ByteSpan bytes, uint64_t at, uint64_t length) {
    const auto n = std::min<uint64_t>({length, 24, bytes.size() - at});
    return escape_for_display(std::string_view(reinterpret_cast<const char*>(bytes.data() + at), n),
                              24);
}

class ContextHost : public MachineHost {
  public:
    ContextHost(ScanContext& context, const Location& where) : context_(context), where_(where) {}
    bool expired() override { return context_.expired(where_); }
    bool charge_expansion(uint64_t bytes, uint64_t offset) override {
        Location at = where_;
        at.offset = offset;
        return context_.charge_expansion(bytes, at);
    }

  private:
    ScanContext& context_;
    const Location& where_;
};

// Findings of one blob are collected first: whether streams get their own
// location part depends on how many there turn out to be.
struct PendingFinding {
    Finding finding;
    int stream = -1;  // index of the top-level stream it belongs to, -1 for the blob
    std::vector<LocationPart> inner;  // parts below the stream (nested object arrays)
};

struct PendingPayload {
    EmbeddedPayload payload;
    int stream = -1;
    std::vector<LocationPart> inner;
};

struct PendingLimit {
    LimitKind kind;
    uint64_t offset;
    std::string detail;
    int stream;
    std::vector<LocationPart> inner;
};

class BlobScan {
  public:
    BlobScan(const Blob& blob, ScanContext& context, const CallablePolicy& policy)
        : blob_(blob),
          bytes_(blob.bytes.span()),
          context_(context),
          policy_(policy),
          host_(context, blob.location),
          // LIMITATION: the opcode budget is per blob, not per file on
          // disk: ScanContext has no pickle counter, and nested blobs (zip
          // members, embedded payloads) start with a fresh budget. The
          // per-file deadline still bounds the total.
          opcodes_left_(context.limits().pickle_max_opcodes) {}

    void run();

  private:
    enum class Arrival { first, consecutive, after_junk };

    bool run_stream(uint64_t start, Arrival arrival, uint64_t& next);
    void read_as_plain_pickle(uint64_t start, int index,
                              const std::unordered_set<std::string>& reached);
    void collect(StreamLog& log, int stream, const std::vector<LocationPart>& inner);
    void collect_callables(std::vector<CallableRecord>& records, int stream,
                           const std::vector<LocationPart>& inner);
    bool skip_legacy_storages(PickleMachine& machine, uint64_t& pos);
    void note_storage_ids(PickleMachine& machine);
    void report_junk(uint64_t from, uint64_t to, bool trailing);
    bool handle_after_stop(uint64_t& pos);
    void report_extra_streams();
    void emit();
    Location stream_location(int stream, const std::vector<LocationPart>& inner) const;
    MachineOptions machine_options() const {
        auto options = MachineOptions::from_limits(context_.limits());
        options.torchscript_classes = context_.inside_container(blob_.location, "torchscript");
        return options;
    }

    const Blob& blob_;
    ByteSpan bytes_;
    ScanContext& context_;
    const CallablePolicy& policy_;
    ContextHost host_;
    uint64_t opcodes_left_;

    struct StreamInfo {
        uint64_t start = 0;
        uint64_t end = 0;
        bool stopped = false;
        bool consecutive = false;  // starts right after the previous STOP
    };
    std::vector<StreamInfo> streams_;
    std::vector<PendingFinding> findings_;
    std::vector<PendingPayload> payloads_;
    std::vector<PendingLimit> limits_;
    Arrival next_arrival_ = Arrival::consecutive;  // how the next stream was found
    size_t junk_findings_ = 0;
    size_t callable_findings_ = 0;
    size_t omitted_callables_ = 0;
    Severity omitted_severity_ = Severity::info;
    std::vector<std::string> omitted_examples_;
    bool halted_ = false;  // a limit or the deadline ended the scan

    // Legacy torch.save layout.
    bool magic_seen_ = false;
    bool legacy_ = false;
    bool legacy_storage_done_ = false;
    std::unordered_map<std::string, uint64_t> storage_sizes_;  // key -> element size
    uint64_t joblib_arrays_ = 0;
};

Location BlobScan::stream_location(int stream, const std::vector<LocationPart>& inner) const {
    Location location = blob_.location;
    if (stream >= 0 && streams_.size() > 1)
        location.chain.push_back(
            {LocationPart::Kind::stream, fmt::format("pickle {}", stream + 1)});
    for (const auto& part : inner)
        location.chain.push_back(part);
    return location;
}

bool used_as_stepping_stone(const CallableRecord& record,
                            const std::vector<CallableRecord>& records) {
    const std::string prefix = record.name + ".";
    for (const auto& other : records) {
        if (&other != &record && other.name.starts_with(prefix) &&
            other.verdict.outcome != PolicyOutcome::allowed)
            return true;
    }
    return false;
}

void BlobScan::collect_callables(std::vector<CallableRecord>& records, int stream,
                                 const std::vector<LocationPart>& inner) {
    for (auto& record : records) {
        // getattr(<module>, 'constant') is a GLOBAL in disguise; when every
        // call of it was resolved, the targets speak for it.
        if (record.calls > 0 && record.resolved_calls == record.calls &&
            record.name == "builtins.getattr")
            continue;
        // A module object that only served to reach one of its attributes
        // (__import__('os') for os.system) is explained by that attribute's
        // own finding.
        if (record.calls == 0 && used_as_stepping_stone(record, records))
            continue;

        const Verdict& verdict = record.verdict;
        std::string rule_id;
        Severity severity = Severity::high;
        if (verdict.outcome == PolicyOutcome::allowed) {
            rule_id = rules::kPickleUserAllowed;
            severity = Severity::info;
        } else if (verdict.outcome == PolicyOutcome::denied) {
            rule_id = verdict.entry->rule;
            severity = verdict.entry->severity;
        } else {
            rule_id = rules::kPickleUnknownCallable;
        }

        std::string message;
        // "<an object returned by X>" reads as prose without the brackets;
        // a name reached through re-exports is shown as what it really is.
        std::string name = record.name;
        if (name.starts_with('<') && name.ends_with('>'))
            name = name.substr(1, name.size() - 2);
        else if (!verdict.matched.empty() && verdict.matched != name)
            name = fmt::format("{} (reached as {})", verdict.matched, record.name);
        if (record.dynamic) {
            message =
                "Loading this pickle reaches a callable that is computed while loading, so "
                "no allow-list can vouch for it.";
        } else if (record.calls > 0) {
            message = fmt::format("Loading this pickle calls {}.", name);
        } else {
            message = fmt::format(
                "Loading this pickle imports {} (not called while loading; code that uses the "
                "loaded object may still call it).",
                name);
        }
        if (verdict.outcome == PolicyOutcome::denied && !record.dynamic) {
            message.pop_back();
            message += fmt::format(": {}.", verdict.entry->why);
        }

        // A crafted file can name a million callables; past a bound they
        // are summarised, keeping the most severe grade.
        if (callable_findings_ >= kMaxCallableFindings) {
            ++omitted_callables_;
            omitted_severity_ = std::max(omitted_severity_, severity);
            if (omitted_examples_.size() < 5)
                omitted_examples_.push_back(record.name);
            continue;
        }
        ++callable_findings_;

        Location location = stream_location(stream, inner);
        location.offset = record.first_offset;
        auto finding = Finding::make(rule_id, std::move(message), location);
        finding.with_severity(severity);
        for (auto& line : record.evidence)
            finding.with_evidence(std::move(line));
        if (record.omitted > 0)
            finding.with_evidence(fmt::format("... and {} more uses", record.omitted));
        if (verdict.outcome == PolicyOutcome::denied && verdict.entry) {
            finding.with_evidence(fmt::format("deny-list entry {} ({}): {}", verdict.entry->name,
                                              verdict.entry->rule, verdict.entry->why));
        } else if (verdict.outcome == PolicyOutcome::allowed && verdict.overridden) {
            finding.with_evidence(
                fmt::format("allowed by {} entry {}, although the deny-list "
                            "grades it {}: {}",
                            verdict.entry->file, verdict.entry->name, verdict.overridden->rule,
                            verdict.overridden->why));
        } else if (verdict.outcome == PolicyOutcome::unknown) {
            finding.with_evidence(
                fmt::format("not on the allow-list (version {})", policy_.allowlist_version()));
        }
        findings_.push_back({std::move(finding), stream, inner});
    }
}

void BlobScan::collect(StreamLog& log, int stream, const std::vector<LocationPart>& inner) {
    collect_callables(log.callables, stream, inner);
    for (auto& anomaly : log.anomalies) {
        Location location = stream_location(stream, inner);
        location.offset = anomaly.offset;
        auto finding = Finding::make(anomaly.rule, std::move(anomaly.message), location);
        for (auto& line : anomaly.evidence)
            finding.with_evidence(std::move(line));
        findings_.push_back({std::move(finding), stream, inner});
    }
    for (auto& payload : log.payloads)
        payloads_.push_back({std::move(payload), stream, inner});
    for (auto& hit : log.limits)
        limits_.push_back({hit.kind, hit.offset, std::move(hit.detail), stream, inner});
    joblib_arrays_ += log.numpy_array_wrappers;
    for (auto& nested : log.nested) {
        auto nested_inner = inner;
        nested_inner.push_back({LocationPart::Kind::stream, nested.name});
        collect(nested.log, stream, nested_inner);
    }
}

// Remembers the element size of each storage the main legacy pickle
// refers to: persistent ids ('storage', <torch.XStorage>, key, location,
// numel).
void BlobScan::note_storage_ids(PickleMachine& machine) {
    for (const auto& id : machine.persistent_ids()) {
        const auto parts = machine.items_of(id.pid);
        if (parts.size() < 3 ||
            machine.text_of(parts[0], 16) != std::optional<std::string>("storage"))
            continue;
        const auto key = machine.text_of(parts[2], 256);
        const uint64_t size = storage_element_size(machine.name_of(parts[1]));
        if (key && size > 0)
            storage_sizes_[*key] = size;
    }
}

// torch/serialization.py _legacy_load: after the storage-key list, each
// storage is an 8-byte little-endian element count and its raw bytes.
bool BlobScan::skip_legacy_storages(PickleMachine& machine, uint64_t& pos) {
    const Value& keys = machine.result();
    if (keys.kind != ValueKind::list)
        return false;
    uint64_t at = pos;
    for (const Value& key_value : machine.items_of(keys)) {
        const auto key = machine.text_of(key_value, 256);
        if (!key)
            return false;
        const auto it = storage_sizes_.find(*key);
        if (it == storage_sizes_.end() || bytes_.size() - at < 8)
            return false;
        uint64_t count = 0;
        for (int i = 0; i < 8; ++i)
            count |= static_cast<uint64_t>(bytes_[at + i]) << (8 * i);
        at += 8;
        if (count > (bytes_.size() - at) / it->second)
            return false;
        at += count * it->second;
    }
    pos = at;
    return true;
}

void BlobScan::report_junk(uint64_t from, uint64_t to, bool trailing) {
    if (junk_findings_ >= kMaxJunkFindings)
        return;
    ++junk_findings_;
    Location location = blob_.location;
    location.offset = from;
    std::string message =
        trailing ? fmt::format(
                       "{} bytes after the last pickle stream belong to no stream and no "
                       "known format.",
                       to - from)
                 : fmt::format("{} bytes between pickle streams belong to no stream.", to - from);
    auto finding = Finding::make(rules::kPickleHiddenContent, std::move(message), location);
    finding.with_evidence(
        fmt::format("bytes {}-{} start with '{}'", from, to - 1, preview(bytes_, from, to - from)));
    if (junk_findings_ == kMaxJunkFindings)
        finding.with_evidence("further regions of unexplained bytes in this file are not listed");
    findings_.push_back({std::move(finding), -1, {}});
}

// Decides where the next stream starts after a STOP; false when the blob
// is done.
bool BlobScan::handle_after_stop(uint64_t& pos) {
    if (pos >= bytes_.size())
        return false;
    const auto probe = probe_pickle(bytes_, pos, kProbeOpcodes);
    if (probe.parses && opens_stream(bytes_[pos])) {
        next_arrival_ = Arrival::consecutive;
        return true;
    }
    next_arrival_ = Arrival::after_junk;
    const uint64_t next = find_next_stream(bytes_, pos + 1, kJunkTextWindow);
    if (next == kNotFound) {
        report_junk(pos, bytes_.size(), true);
        return false;
    }
    report_junk(pos, next, false);
    pos = next;
    return true;
}

void note_reached(const StreamLog& log, std::unordered_set<std::string>& reached) {
    for (const auto& record : log.callables)
        reached.insert(record.name);
    for (const auto& nested : log.nested)
        note_reached(nested.log, reached);
}

// joblib.load reads array bytes after each NumpyArrayWrapper; pickle.load
// on the same file reads those bytes as opcodes. A file can be built so
// that the second reading runs a call the first one never sees, so both
// are examined. Only callables the joblib reading did not reach are added;
// the plain reading usually breaks on real array data, which is expected.
void BlobScan::read_as_plain_pickle(uint64_t start, int index,
                                    const std::unordered_set<std::string>& reached) {
    MachineOptions options = machine_options();
    options.max_opcodes = opcodes_left_;
    options.joblib_arrays = false;
    PickleMachine machine(blob_.bytes, &policy_, host_, options);
    const StreamOutcome outcome = machine.run(start);
    opcodes_left_ -= std::min(opcodes_left_, outcome.opcodes);
    if (outcome.end == StreamEnd::expired)
        halted_ = true;

    auto& records = machine.log().callables;
    std::erase_if(records,
                  [&](const CallableRecord& record) { return reached.contains(record.name); });
    for (auto& record : records) {
        record.evidence.push_back(
            "reached only when the file is read with pickle.load instead of joblib.load, which "
            "runs the bytes joblib treats as array data");
    }
    collect_callables(records, index, {});
}

bool BlobScan::run_stream(uint64_t start, Arrival arrival, uint64_t& next) {
    const int index = static_cast<int>(streams_.size());
    MachineOptions options = machine_options();
    options.max_opcodes = opcodes_left_;
    // The storage-key list of a legacy checkpoint is needed in full.
    options.keep_all_items = legacy_ && index == 4;
    PickleMachine machine(blob_.bytes, &policy_, host_, options);
    const StreamOutcome outcome = machine.run(start);
    opcodes_left_ -= std::min(opcodes_left_, outcome.opcodes);
    streams_.push_back({start, outcome.end_offset, outcome.end == StreamEnd::stop, false});

    streams_.back().consecutive = index > 0 && arrival == Arrival::consecutive;
    const bool joblib_layout = machine.log().numpy_array_wrappers > 0;
    std::unordered_set<std::string> reached;
    note_reached(machine.log(), reached);
    collect(machine.log(), index, {});
    if (joblib_layout)
        read_as_plain_pickle(start, index, reached);

    switch (outcome.end) {
        case StreamEnd::stop:
            break;
        case StreamEnd::truncated:
        case StreamEnd::invalid: {
            Location location = stream_location(index, {});
            location.offset = outcome.end_offset;
            auto finding = Finding::make(
                rules::kScanUnparseable,
                fmt::format("The pickle stream breaks at byte {}: {}. A loader acts on "
                            "everything before the break; callables reached before it are "
                            "reported separately.",
                            outcome.end_offset, outcome.error),
                location);
            finding.with_evidence(
                fmt::format("stream started at byte {}; {} opcodes ran before "
                            "the break",
                            start, outcome.opcodes));
            findings_.push_back({std::move(finding), index, {}});
            // Keep looking for streams after the break.
            next_arrival_ = Arrival::after_junk;
            next = find_next_stream(bytes_, outcome.end_offset + 1, kJunkTextWindow);
            return next != kNotFound;
        }
        case StreamEnd::limit: {
            limits_.push_back(
                {*outcome.limit, outcome.end_offset, outcome.limit_detail, index, {}});
            halted_ = true;
            return false;
        }
        case StreamEnd::expired:
            halted_ = true;
            return false;
    }

    // LIMITATION: after a STOP inside a protocol-4 frame, the pure-Python
    // unpickler's next load starts at the end of the frame, the C one right
    // after the STOP; only the C position is followed.
    next = outcome.end_offset;
    const Value& result = machine.result();
    // A legacy checkpoint is recognised by its second pickle (the protocol
    // version after the magic number); a magic-number pickle on its own is
    // one part of a checkpoint that its analyzer split and counts.
    if (index == 0 && machine.integer_equals(result, kTorchMagic))
        magic_seen_ = true;
    if (index == 1 && magic_seen_)
        legacy_ = true;
    if (index == 1 && machine.integer_of(result) == kTorchProtocolVersion && streams_[0].stopped)
        legacy_ = true;
    if (legacy_ && index == 3)
        note_storage_ids(machine);
    if (legacy_ && index == 4 && !legacy_storage_done_) {
        legacy_storage_done_ = true;
        uint64_t after = next;
        if (skip_legacy_storages(machine, after)) {
            next = after;
            if (next >= bytes_.size())
                return false;
        }
    }
    return handle_after_stop(next);
}

void BlobScan::run() {
    if (bytes_.empty()) {
        // Declared a pickle by its container, but there is nothing to load.
        findings_.push_back(
            {Finding::make(rules::kScanUnparseable,
                           "The pickle is empty: there is no stream to examine.", blob_.location),
             -1,
             {}});
    }
    uint64_t pos = 0;
    Arrival arrival = Arrival::first;
    while (!halted_ && pos < bytes_.size()) {
        if (streams_.size() >= context_.limits().pickle_max_streams) {
            limits_.push_back(
                {LimitKind::pickle_streams,
                 pos,
                 fmt::format("more than {} pickle streams", context_.limits().pickle_max_streams),
                 -1,
                 {}});
            break;
        }
        uint64_t next = 0;
        if (!run_stream(pos, arrival, next))
            break;
        arrival = next_arrival_;
        if (next <= pos)
            break;  // no progress; cannot happen, but never loop forever
        pos = next;
    }
    emit();
}

// A stream right after another one is content a single pickle.load() does
// not read, unless the layout is legacy torch.save's five pickles.
void BlobScan::report_extra_streams() {
    for (size_t index = 1; index < streams_.size(); ++index) {
        const auto& stream = streams_[index];
        if (!stream.consecutive || (legacy_ && index <= 4))
            continue;
        Location location = blob_.location;
        location.offset = stream.start;
        auto finding = Finding::make(
            rules::kPickleHiddenContent,
            "The file holds another pickle stream after the end of the previous one.", location);
        finding.with_evidence(
            fmt::format("pickle {} starts at byte {}, right after the STOP of "
                        "pickle {}",
                        index + 1, stream.start, index));
        finding.with_evidence("a loader that calls pickle.load() again on the file runs it");
        findings_.push_back({std::move(finding), static_cast<int>(index), {}});
    }
}

void BlobScan::emit() {
    report_extra_streams();
    if (omitted_callables_ > 0) {
        auto finding = Finding::make(
            rules::kPickleUnknownCallable,
            fmt::format("{} more callables are reached and not listed one by one; the most "
                        "severe of them is graded {}.",
                        omitted_callables_, to_string(omitted_severity_)),
            blob_.location);
        finding.with_severity(std::max(omitted_severity_, Severity::high));
        std::string examples;
        for (const auto& name : omitted_examples_)
            examples += (examples.empty() ? "" : ", ") + name;
        finding.with_evidence("for example " + examples);
        findings_.push_back({std::move(finding), -1, {}});
    }
    context_.count_format("pickle");
    if (legacy_)
        context_.count_format("pytorch-legacy");
    if (joblib_arrays_ > 0)
        context_.count_format("joblib");

    for (auto& pending : findings_) {
        Finding& finding = pending.finding;
        const auto offset = finding.location.offset;
        if (pending.stream >= 0) {
            finding.location = stream_location(pending.stream, pending.inner);
            finding.location.offset = offset;
        }
        context_.report(std::move(finding));
    }
    for (auto& hit : limits_) {
        Location location = stream_location(hit.stream, hit.inner);
        location.offset = hit.offset;
        context_.report_limit(hit.kind, location, std::move(hit.detail));
    }

    // Payloads handed to loaders are examined like any nested content.
    size_t embedded_depth = 0;
    for (const auto& part : blob_.location.chain) {
        if (part.kind == LocationPart::Kind::embedded && part.name.starts_with(kEmbeddedPrefix))
            ++embedded_depth;
    }
    for (auto& pending : payloads_) {
        const auto& payload = pending.payload;
        Location parent = stream_location(pending.stream, pending.inner);
        Blob child;
        child.bytes = payload.bytes;
        child.depth = blob_.depth + 1;
        child.location = parent.child(
            LocationPart::Kind::embedded,
            fmt::format("{}{} at byte {}", kEmbeddedPrefix, payload.loader, payload.offset));
        if (payload.pickle && embedded_depth >= context_.limits().pickle_max_embedded_depth) {
            context_.report_limit(LimitKind::pickle_embedded_depth, child.location,
                                  fmt::format("pickle.loads nested more than {} deep",
                                              context_.limits().pickle_max_embedded_depth));
            continue;
        }
        spdlog::debug("{}: examining the {}-byte argument of {} ({})", child.location.to_display(),
                      payload.bytes.size(), payload.loader,
                      payload.how.empty() ? "as stored" : "decoded: " + payload.how);
        if (payload.pickle)
            context_.scan(child, Format::pickle);
        else
            context_.scan(child);
    }
}

}  // namespace

}  // namespace pickle

PickleAnalyzer::PickleAnalyzer(std::shared_ptr<const pickle::CallablePolicy> policy)
    : policy_(std::move(policy)) {}

bool PickleAnalyzer::accepts(const Blob& blob, Format sniffed) const {
    switch (sniffed) {
        case Format::pickle:
            return true;
        case Format::unknown:
        // Protocol-0 pickles can start with bytes that also pass the weak
        // zlib and lzma header checks ("(S'" is a valid zlib header).
        case Format::zlib:
        case Format::lzma:
            return pickle::looks_like_pickle(blob.bytes.span());
        default:
            return false;
    }
}

void PickleAnalyzer::analyze(const Blob& blob, Format, ScanContext& context) const {
    pickle::BlobScan scan(blob, context, *policy_);
    scan.run();
}

}  // namespace hazmat
