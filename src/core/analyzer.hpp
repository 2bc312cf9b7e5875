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

    virtual void analyze(const Blob& blob, Format sniffed, ScanContext& context) const = 0;
};

}  // namespace hazmat
