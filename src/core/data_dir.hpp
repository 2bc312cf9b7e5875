#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "core/result.hpp"

namespace hazmat {

// The directory holding hazmat's shipped data: `rules/` (allow/deny lists,
// patterns) and `data/` (package lists, vulnerability snapshot). A valid one
// has both `rules/VERSION` and `data/VERSION`.
struct DataDir {
    std::filesystem::path root;

    std::filesystem::path rules() const { return root / "rules"; }
    std::filesystem::path data() const { return root / "data"; }

    // Contents of rules/VERSION and data/VERSION, trimmed ("unknown" if absent).
    std::string rules_version() const;
    std::string data_version() const;
};

// Finds the data directory, first match wins:
//   1. `explicit_dir` (--data-dir), which must be valid if given;
//   2. $HAZMAT_DATA_DIR, which must be valid if set;
//   3. relative to the running executable: <exe dir>/share/hazmat (build
//      tree) and <exe dir>/../share/hazmat (install tree).
// The error says every place that was tried.
Result<DataDir> locate_data_dir(const std::optional<std::filesystem::path>& explicit_dir);

// The user's own hazmat data directory, `$XDG_DATA_HOME/hazmat` (by default
// `~/.local/share/hazmat`): where `hazmat db import` keeps the advisories a
// user imported, consulted before the shipped ones. Not created here;
// nullopt when neither XDG_DATA_HOME (absolute) nor HOME is set.
std::optional<std::filesystem::path> user_data_dir();

// The user's own hazmat cache directory, `$XDG_CACHE_HOME/hazmat` (by default
// `~/.cache/hazmat`): work that can be redone at any time, such as compiled
// pattern databases. Not created here; nullopt when neither XDG_CACHE_HOME
// (absolute) nor HOME is set.
std::optional<std::filesystem::path> user_cache_dir();

// Absolute path of the running executable (from /proc/self/exe).
std::filesystem::path executable_path();

}  // namespace hazmat
