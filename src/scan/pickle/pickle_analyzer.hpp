#pragma once

#include <memory>

#include "core/analyzer.hpp"
#include "core/bytes.hpp"
#include "scan/pickle/callable_policy.hpp"

namespace hazmat {

// Examines pickles: plain pickle files, pickles other analyzers hand over
// (torch zip members, numpy object arrays, embedded payloads), legacy
// torch.save files (five pickles and raw storage data) and joblib files
// (arrays interleaved with the pickle). Every stream in the bytes is run on
// the pickle machine; what it reaches is judged by the callable policy.
class PickleAnalyzer : public Analyzer {
  public:
    explicit PickleAnalyzer(std::shared_ptr<const pickle::CallablePolicy> policy);

    std::string_view name() const override { return "pickle"; }
    bool accepts(const Blob& blob, Format sniffed) const override;
    void analyze(const Blob& blob, Format sniffed, ScanContext& context) const override;

  private:
    std::shared_ptr<const pickle::CallablePolicy> policy_;
};

namespace pickle {

// Whether `bytes` begin like a pickle: a protocol 2-5 header, or protocol
// 0/1 opcodes that the unpickler would accept up to STOP or for a while.
// Rejects text (source code, JSON, Markdown) and binary data quickly.
bool looks_like_pickle(ByteSpan bytes);

// Where the next plausible pickle stream starts at or after `from`, for
// streams hidden after junk; npos when none. Protocol 2+ headers are
// searched everywhere; protocol 0/1 openings only in the first
// `text_window` bytes, because each candidate costs a short dry run.
uint64_t find_next_stream(ByteSpan bytes, uint64_t from, uint64_t text_window);

}  // namespace pickle

}  // namespace hazmat
