#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "core/finding.hpp"
#include "core/result.hpp"

namespace hazmat {

// Findings a user has already reviewed, by fingerprint. A baseline comes from
// the user's command line only (--baseline FILE); one found inside the
// scanned target is never read.
class Baseline {
  public:
    // Reads a file written by write_baseline(); the error names the file.
    static Result<Baseline> load(const std::filesystem::path& path);

    bool contains(std::string_view fingerprint) const;
    size_t size() const { return fingerprints_.size(); }

  private:
    std::set<std::string, std::less<>> fingerprints_;
};

// Writes every finding that has a fingerprint, with its rule and location
// for the reader's benefit (only the fingerprint is matched). Never writes a
// secret: findings hold none.
Result<bool> write_baseline(const std::filesystem::path& path,
                            const std::vector<Finding>& findings);

}  // namespace hazmat
