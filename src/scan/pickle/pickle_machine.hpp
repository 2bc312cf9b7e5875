#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/limits.hpp"
#include "core/scan_context.hpp"
#include "scan/pickle/callable_policy.hpp"
#include "scan/pickle/pickle_values.hpp"

namespace hazmat::pickle {

// The services a machine needs from whoever runs it. Called rarely (not per
// opcode), so a virtual interface costs nothing measurable.
class MachineHost {
  public:
    virtual ~MachineHost() = default;
    // The per-file deadline; checked every few thousand opcodes.
    virtual bool expired() = 0;
    // Accounts for `bytes` produced by decoding a payload (zlib, base64 ...).
    // False when the budget is exhausted; the host reports the limit.
    virtual bool charge_expansion(uint64_t bytes, uint64_t offset) = 0;
};

struct MachineOptions {
    uint64_t max_opcodes = 1'000'000'000;
    uint64_t max_stack = 10'000'000;
    uint64_t max_memo = 100'000'000;
    uint32_t max_nesting = 10'000;
    // Keep every element of every container (for streams whose content
    // hazmat needs in full, such as legacy torch's storage-key list).
    bool keep_all_items = false;
    // Apply joblib's NumpyUnpickler: array data follows its wrapper's BUILD.
    bool joblib_arrays = true;
    // The stream is a record of a TorchScript archive: torch.jit.load
    // resolves `__torch__.*` names to classes compiled from the archive's own
    // code members (reported separately), never to Python imports.
    bool torchscript_classes = false;
    // Probe mode: check that bytes parse as pickle opcodes, consulting no
    // policy and recording nothing.
    bool probe = false;

    static MachineOptions from_limits(const ScanLimits& limits);
};

// Why a stream ended.
enum class StreamEnd {
    stop,       // STOP popped the result
    truncated,  // the input ended inside an opcode or before STOP
    invalid,    // the real unpickler raises here (bad opcode, underflow, missing memo)
    limit,      // a ScanLimits bound was hit
    expired,    // the per-file deadline passed
};

struct StreamOutcome {
    StreamEnd end = StreamEnd::truncated;
    uint64_t start = 0;
    uint64_t end_offset = 0;  // after STOP, or the opcode where the stream broke
    uint64_t opcodes = 0;
    std::string error;  // truncated/invalid: what went wrong, in the unpickler's words
    std::optional<LimitKind> limit;
    std::string limit_detail;
};

// A callable (or a stand-in for a value used as one) that a stream reaches,
// with the facts that explain it. One record per distinct name per stream;
// callables the policy allows get no record.
struct CallableRecord {
    std::string name;  // normalized qualified name, or "<...>" for a dynamic value
    Verdict verdict;
    bool dynamic = false;  // the machine could not tell which callable this is
    uint64_t first_offset = 0;
    std::vector<std::string> evidence;
    uint32_t resolutions = 0;
    uint32_t calls = 0;
    uint32_t omitted = 0;  // evidence lines left out beyond the cap
    // Calls of getattr whose target the machine worked out from constants.
    // Such a call is equivalent to a GLOBAL of the target, which is
    // reported in its own right.
    uint32_t resolved_calls = 0;
};

// Something about the stream rather than one callable (framing tricks,
// interpreter tampering).
struct StreamAnomaly {
    std::string_view rule;
    uint64_t offset = 0;
    std::string message;
    std::vector<std::string> evidence;
};

// Bytes handed to a loader (pickle.loads ...), to be examined as nested
// content.
struct EmbeddedPayload {
    std::string loader;   // "pickle.loads"
    uint64_t offset = 0;  // the opcode that makes the call
    Bytes bytes;
    std::string how;     // decoding chain ("base64, zlib"), or ""
    bool pickle = true;  // false: another loader (numpy.load); sniff it
};

struct LimitHit {
    LimitKind kind;
    uint64_t offset = 0;
    std::string detail;
};

struct NestedStream;

struct StreamLog {
    std::vector<CallableRecord> callables;  // in order of first appearance
    std::vector<StreamAnomaly> anomalies;
    std::vector<EmbeddedPayload> payloads;
    std::vector<LimitHit> limits;  // budgets hit without ending the stream
    std::vector<NestedStream> nested;
    uint64_t numpy_array_wrappers = 0;  // joblib arrays read after their wrapper
};

// A pickle read from inside another one: joblib pickles object arrays with
// pickle.dump into the same file, right after their wrapper.
struct NestedStream {
    std::string name;  // "object array at byte 812"
    StreamOutcome outcome;
    StreamLog log;
};

struct PersistentId {
    uint64_t offset = 0;
    Value pid;
};

// CPython's C unpickler (Modules/_pickle.c) re-enacted on symbolic values:
// the same opcodes, stack, marks and memo, and the same places where it
// raises, but find_class imports nothing and calls run nothing. Every
// callable the real unpickler would reach is recorded with its verdict and
// evidence. One machine runs one stream (a fresh Unpickler, fresh memo).
class PickleMachine {
  public:
    // `policy` may be null in probe mode only.
    PickleMachine(Bytes input, const CallablePolicy* policy, MachineHost& host,
                  const MachineOptions& options);
    ~PickleMachine();
    PickleMachine(const PickleMachine&) = delete;
    PickleMachine& operator=(const PickleMachine&) = delete;

    // Runs the stream that starts at byte `start` of the input.
    StreamOutcome run(uint64_t start);

    StreamLog& log();

    // The value STOP returned (absent when the stream did not stop).
    const Value& result() const;
    const std::vector<PersistentId>& persistent_ids() const;

    // Readers for format logic (legacy torch, joblib) on this stream's values.
    std::optional<int64_t> integer_of(const Value& value) const;
    std::optional<std::string> text_of(const Value& value, size_t max_length = 4096) const;
    std::span<const Value> items_of(const Value& value) const;
    // Globals: the normalized qualified name; "" for other values.
    std::string name_of(const Value& value) const;
    // Whether `value` is the integer whose little-endian two's-complement
    // bytes are `expected` (however the stream spelled it).
    bool integer_equals(const Value& value, ByteSpan expected) const;
    // Whether an opcode imported a name (GLOBAL, STACK_GLOBAL, INST, EXT).
    bool saw_import() const;

    class Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

// Whether the bytes at `offset` run as pickle opcodes without an error the
// unpickler would raise, up to a STOP or `max_opcodes`. Cheap; for sniffing
// and for finding streams hidden after junk.
struct ProbeResult {
    bool parses = false;  // no error before STOP or the opcode bound
    bool reached_stop = false;
    bool imports = false;  // GLOBAL, STACK_GLOBAL, INST or EXT seen
    uint64_t opcodes = 0;
};
ProbeResult probe_pickle(ByteSpan bytes, uint64_t offset, uint64_t max_opcodes);

}  // namespace hazmat::pickle
