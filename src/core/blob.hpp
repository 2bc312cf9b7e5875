#pragma once

#include <string>

#include "core/bytes.hpp"
#include "core/location.hpp"

namespace hazmat {

// A unit of content to examine: a file, an archive member, a decompressed
// stream or an embedded byte string, with the chain of hops that leads to it.
struct Blob {
    Bytes bytes;
    Location location;
    // Innermost name (file or member name), used only as a hint next to the
    // content sniff: ".pt" suggests a model, but magic bytes decide.
    std::string name;
    // Number of containers this blob is nested in (0 for a file on disk).
    uint32_t depth = 0;
};

// The lower-cased extension of a name including the dot (".pkl"), or "".
std::string extension_of(std::string_view name);

// Whether a name's extension says "this is a model or serialized object", so
// that content hazmat cannot identify is reported instead of ignored.
bool name_claims_model(std::string_view name);

}  // namespace hazmat
