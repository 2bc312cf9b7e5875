#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/analyzer.hpp"
#include "core/bytes.hpp"
#include "scan/models/python_literal.hpp"

namespace hazmat::models {

// What hazmat needs to know about a NumPy dtype: how many bytes one element
// takes, and whether elements are Python objects (then numpy pickles them).
struct NumpyDtype {
    uint64_t itemsize = 0;
    bool has_object = false;
};

struct DtypeResult {
    bool ok = false;
    NumpyDtype dtype;
    std::string error;
};

// The dtype numpy.dtype(text) builds, for the spellings numpy writes and the
// common ones people type: "<f8", "|O", "<U5", "M8[ns]", "float64", "object",
// "i4,f8", "(2,3)f4". Anything else is an error, never a guess, so an object
// dtype cannot hide behind an unusual spelling.
DtypeResult parse_dtype_string(std::string_view text);

// numpy.lib.format.descr_to_dtype: a dtype string, a (descr, shape) tuple, or
// a list of (name, descr[, shape]) fields.
DtypeResult dtype_from_descr(const PyValue& descr);

struct NpyHeader {
    uint8_t major = 0;
    uint8_t minor = 0;
    uint64_t header_offset = 0;  // first byte of the dict literal
    uint64_t data_offset = 0;    // first byte after the header
    NumpyDtype dtype;
    std::string descr_text;  // the 'descr' value as written, for evidence
    std::vector<int64_t> shape;
    bool fortran_order = false;
};

struct NpyHeaderResult {
    bool ok = false;
    NpyHeader header;
    std::string error;
    uint64_t error_offset = 0;
    // Where the array data would start, when at least the header length could
    // be read (lets the caller still look at the bytes a loader would read).
    uint64_t data_offset = 0;
};

// Parses an .npy header exactly as numpy.lib.format.read_array_header_*
// does: magic "\x93NUMPY", version 1.0 (uint16 length, latin-1), 2.0 (uint32,
// latin-1) or 3.0 (uint32, UTF-8), then a Python dict literal with exactly the
// keys 'descr', 'fortran_order' and 'shape', read by a strict literal parser
// (never evaluated).
NpyHeaderResult parse_npy_header(ByteSpan bytes);

// Number of bytes the array data takes, or nullopt on overflow/negative dims.
std::optional<uint64_t> npy_data_size(const NpyHeader& header);

// Examines .npy content (files and .npz members alike): object arrays are
// pickles that numpy.load(allow_pickle=True) unpickles, so their data is
// handed to the pickle analyzer; other arrays are checked against the size the
// header declares.
class NumpyAnalyzer : public Analyzer {
  public:
    std::string_view name() const override { return "numpy"; }
    bool accepts(const Blob& blob, Format sniffed) const override;
    void analyze(const Blob& blob, Format sniffed, ScanContext& context) const override;
};

}  // namespace hazmat::models
