#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hazmat {

// One hop on the way from the scan target to the bytes a finding is about.
// A pickle inside a gzip stream inside a zip member of a file on disk is four
// hops: file, member, decompressed stream, embedded pickle.
struct LocationPart {
    enum class Kind {
        file,          // a path on disk, relative to the scan target's root
        member,        // an archive member name, exactly as the archive spells it
        decompressed,  // the output of a compression layer; name is the codec ("gzip")
        embedded,      // bytes found inside a parsed value (e.g. an argument of pickle.loads)
        stream,        // one of several consecutive streams in the same bytes ("pickle 2")
        commit,        // a git commit, for content found in history
    };

    Kind kind = Kind::file;
    std::string name;

    bool operator==(const LocationPart&) const = default;
};

std::string_view to_string(LocationPart::Kind kind);

struct Location {
    std::vector<LocationPart> chain;
    // Byte offset inside the innermost part, when the finding points at bytes.
    std::optional<uint64_t> offset;
    // One-based line and column inside the innermost part, for text content.
    std::optional<uint32_t> line;
    std::optional<uint32_t> column;

    // The file on disk this location starts from ("" when the chain is empty).
    const std::string& file() const;

    // Appends one hop and returns the new location; the receiver is unchanged.
    Location child(LocationPart::Kind kind, std::string name) const;

    // "models/x.pt!archive/data.pkl@0x1f" style single-line rendering, used by
    // the text renderer and by log messages.
    std::string to_display() const;

    bool operator==(const Location&) const = default;
};

}  // namespace hazmat
