#pragma once

#include <string_view>

#include "core/blob.hpp"
#include "core/sniff.hpp"

namespace hazmat {

class ScanContext;

// One format or concern. Like a YARA module: adding a format adds an
// Analyzer, it does not touch the engine. Analyzers never print and never
// exit; they report findings and hand nested content back to the context.
class Analyzer {
  public:
    virtual ~Analyzer() = default;

    // Short stable name for logs ("pickle", "zip", "numpy").
    virtual std::string_view name() const = 0;

    // Whether this analyzer examines the blob. `sniffed` is the magic-byte
    // format (or the format a parent declared); an analyzer may look at the
    // bytes further, but must stay cheap here.
    virtual bool accepts(const Blob& blob, Format sniffed) const = 0;

    // True for analyzers that identify a content format (pickle, zip, npy).
    // When none of those accepts a blob whose name claims a model format,
    // the blob is reported as unverified rather than silently skipped.
    // Analyzers that look at any content (secrets, code) return false.
    virtual bool identifies_format() const { return true; }

    // Whether this analyzer, having accepted the blob, must be the only
    // format analyzer to examine it as a whole. A container whose parts other
    // analyzers would misread when taken as one unit claims it: a legacy
    // PyTorch checkpoint is several pickles plus raw storage bytes, not one
    // pickle; a distributed-checkpoint shard is several zips back to back,
    // not one zip with prepended data. The claiming analyzer hands each part
    // back through ScanContext::scan, so nothing goes unexamined.
    virtual bool claims_exclusively(const Blob&, Format) const { return false; }

    virtual void analyze(const Blob& blob, Format sniffed, ScanContext& context) const = 0;
};

}  // namespace hazmat
