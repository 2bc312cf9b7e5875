#include "core/data_dir.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <system_error>
#include <vector>

namespace hazmat {

namespace fs = std::filesystem;

namespace {

std::string read_version(const fs::path& file) {
    std::ifstream in(file);
    std::string line;
    if (!in || !std::getline(in, line))
        return "unknown";
    while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
        line.pop_back();
    return line.empty() ? "unknown" : line;
}

bool is_valid(const fs::path& root) {
    std::error_code ec;
    return fs::is_regular_file(root / "rules" / "VERSION", ec) &&
           fs::is_regular_file(root / "data" / "VERSION", ec);
}

// `$<variable>/hazmat`, or `~/<fallback>/hazmat`. The XDG base directory
// specification ignores relative values.
std::optional<fs::path> xdg_dir(const char* variable, const fs::path& fallback) {
    if (const char* xdg = std::getenv(variable); xdg != nullptr && *xdg == '/')
        return fs::path(xdg) / "hazmat";
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
        return fs::path(home) / fallback / "hazmat";
    return std::nullopt;
}

}  // namespace

std::string DataDir::rules_version() const {
    return read_version(rules() / "VERSION");
}
std::string DataDir::data_version() const {
    return read_version(data() / "VERSION");
}

std::optional<fs::path> user_data_dir() {
    return xdg_dir("XDG_DATA_HOME", fs::path(".local") / "share");
}

std::optional<fs::path> user_cache_dir() {
    return xdg_dir("XDG_CACHE_HOME", ".cache");
}

fs::path executable_path() {
    std::error_code ec;
    auto path = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : path;
}

Result<DataDir> locate_data_dir(const std::optional<fs::path>& explicit_dir) {
    if (explicit_dir) {
        if (is_valid(*explicit_dir))
            return DataDir{*explicit_dir};
        return Error{
            fmt::format("--data-dir {}: not a hazmat data directory (expected "
                        "rules/VERSION and data/VERSION inside it)",
                        explicit_dir->string())};
    }
    if (const char* env = std::getenv("HAZMAT_DATA_DIR"); env != nullptr && *env != '\0') {
        if (is_valid(env))
            return DataDir{env};
        return Error{
            fmt::format("HAZMAT_DATA_DIR={}: not a hazmat data directory (expected "
                        "rules/VERSION and data/VERSION inside it)",
                        env)};
    }
    const auto exe_dir = executable_path().parent_path();
    const std::vector<fs::path> candidates = {exe_dir / "share" / "hazmat",
                                              exe_dir.parent_path() / "share" / "hazmat"};
    for (const auto& candidate : candidates) {
        if (is_valid(candidate))
            return DataDir{candidate.lexically_normal()};
    }
    return Error{
        fmt::format("cannot find hazmat's data directory (tried {} and {}); pass "
                    "--data-dir or set HAZMAT_DATA_DIR",
                    candidates[0].string(), candidates[1].string())};
}

}  // namespace hazmat
