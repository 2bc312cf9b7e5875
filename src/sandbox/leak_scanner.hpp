#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "sandbox/decoys.hpp"

namespace hazmat::sandbox {

// One sighting of a decoy value outside the file it was planted in.
struct LeakHit {
    std::string secret_id;  // DecoySecret::id
    std::string encoding;   // "plain", "base64", "hex", "url", "base32"
    std::string channel;    // "stdout", "dns", "file ~/project/out.txt" ...

    bool operator<(const LeakHit& other) const {
        return std::tie(channel, secret_id, encoding) <
               std::tie(other.channel, other.secret_id, other.encoding);
    }
};

// Finds decoy values, plain or wrapped in the common encodings (base64 and
// its URL-safe form at each byte alignment, base32, hex, percent-encoding),
// in streams of bytes. Each channel is a separate stream: a value split
// across two writes to stdout is still found. One pass over the input,
// whatever the number of decoys.
class LeakScanner {
  public:
    explicit LeakScanner(const std::vector<DecoySecret>& secrets);

    void feed(std::string_view channel, std::string_view bytes);
    // Scans a complete buffer that does not continue any stream.
    void scan_whole(std::string_view channel, std::string_view bytes);

    const std::set<LeakHit>& hits() const { return hits_; }
    size_t pattern_count() const { return patterns_.size(); }

  private:
    struct Pattern {
        std::string text;
        size_t secret;
        std::string_view encoding;
    };
    void scan(std::string_view channel, std::string_view bytes);
    // Records the patterns found in `bytes`; with `as_encoding`, as that
    // encoding and only for secrets not yet `found`.
    void match(std::string_view channel, std::string_view bytes, std::string_view as_encoding,
               std::vector<bool>& found);

    std::vector<std::string> secret_ids_;
    std::vector<Pattern> patterns_;  // sorted by their first two bytes
    // One bit per two-byte prefix that starts some pattern: the scan looks
    // at patterns only where a bit is set.
    std::array<uint64_t, 1024> prefix_bits_{};
    size_t longest_ = 0;
    std::map<std::string, std::string, std::less<>> tails_;  // per channel: unscanned carry
    std::set<LeakHit> hits_;
};

// The substrings that encoding `value` yields whatever surrounds it, for
// each encoding; exposed for tests.
std::vector<std::pair<std::string, std::string_view>> encoded_forms(std::string_view value);

}  // namespace hazmat::sandbox
