#pragma once

#include <optional>
#include <string>

#include "core/analyzer.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"

namespace hazmat::models {

// The root attributes of an HDF5 file that Keras' legacy loader reads.
struct KerasH5Attributes {
    std::optional<std::string> model_config;
    std::optional<std::string> training_config;
    std::string keras_version;
    std::string backend;
};

// Opens HDF5 bytes read-only as an in-memory file image (no path, no copy,
// no writes) with libhdf5's error printing off, and reads the string
// attributes above. libhdf5's high-level library is not thread-safe, so all
// calls are serialized. Errors when the bytes are not HDF5 libhdf5 accepts
// or an attribute is not a single string.
// LIMITATION: libhdf5 parses the hostile file in hazmat's own process; a
// parser bug (libhdf5 has had many CVEs) affects the scan itself until
// parsers run in a confined worker process.
Result<KerasH5Attributes> read_keras_h5_attributes(ByteSpan bytes);

// Whether HDF5's signature is at one of the offsets libhdf5 searches (0,
// 512, 1024, 2048 ...: a user block may precede the superblock).
bool has_hdf5_signature(ByteSpan bytes);

// HDF5 files. Keras legacy models (model.save("x.h5")) keep their
// architecture in the model_config attribute and the compile settings in
// training_config; both get the Keras config analysis, which matters more
// here than in .keras archives because the HDF5 loader ignores safe_mode
// (CVE-2025-9905). Other HDF5 files are counted as data.
class KerasH5Analyzer : public Analyzer {
  public:
    std::string_view name() const override { return "hdf5"; }
    bool accepts(const Blob& blob, Format sniffed) const override;
    void analyze(const Blob& blob, Format sniffed, ScanContext& context) const override;
};

}  // namespace hazmat::models
