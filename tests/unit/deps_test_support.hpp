#pragma once

// Shared by the dependency tests: the shipped data from the build tree
// (popular-package lists and the vulnerability database built from the
// OSV snapshot), loaded once, and a way to scan bytes or fixture files
// through the dependency analyzer alone.

#include <fmt/format.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/dispatcher.hpp"
#include "core/mapped_file.hpp"
#include "core/report.hpp"
#include "core/scanner.hpp"
#include "scan/deps/checks.hpp"
#include "scan/deps/dependency_analyzer.hpp"

namespace hazmat {

inline void PrintTo(const Location& location, std::ostream* out) {
    *out << location.to_display();
}

}  // namespace hazmat

namespace hazmat::deps::testing {

inline std::filesystem::path build_data() {
    return std::filesystem::path(HAZMAT_BUILD_DATA_DIR);
}

inline std::filesystem::path fixture(const std::string& relative) {
    return std::filesystem::path(HAZMAT_FIXTURES_DIR) / "deps" / relative;
}

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path.string());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

inline const PopularPackages& popular(Ecosystem ecosystem) {
    static const auto pypi =
        PopularPackages::load(Ecosystem::pypi, build_data() / "data" / "popular-pypi.tsv");
    static const auto npm =
        PopularPackages::load(Ecosystem::npm, build_data() / "data" / "popular-npm.tsv");
    const auto& list = ecosystem == Ecosystem::npm ? npm : pypi;
    if (!list)
        throw std::runtime_error(list.error().message);
    return *list;
}

// The shipped data only: the user's own imports never leak into tests.
inline std::shared_ptr<const DependencyData> shipped_data_pointer() {
    static const std::shared_ptr<const DependencyData> data = [] {
        auto loaded = std::make_shared<DependencyData>();
        loaded->popular_pypi = std::make_unique<PopularPackages>(popular(Ecosystem::pypi));
        loaded->popular_npm = std::make_unique<PopularPackages>(popular(Ecosystem::npm));
        auto database = VulnerabilityDatabase::open(build_data() / "data" /
                                                    std::string(kVulnerabilityDatabaseName));
        if (!database)
            throw std::runtime_error(database.error().message);
        std::vector<std::unique_ptr<VulnerabilityDatabase>> databases;
        databases.push_back(std::move(database).value());
        loaded->advisories = std::make_unique<AdvisorySource>(std::move(databases));
        return std::shared_ptr<const DependencyData>(std::move(loaded));
    }();
    return data;
}

inline const DependencyData& shipped_data() {
    return *shipped_data_pointer();
}

// Scans a file or directory with the dependency analyzer alone.
inline std::vector<Finding> scan_path(const std::filesystem::path& target) {
    std::vector<std::unique_ptr<Analyzer>> analyzers;
    analyzers.push_back(make_dependency_analyzer(shipped_data_pointer()));
    const Dispatcher dispatcher(std::move(analyzers));
    const Scanner scanner(dispatcher, ScanLimits{}, 1);
    Report report;
    scanner.scan(target, report);
    report.finish();
    return report.findings();
}

// Findings of checking one parsed manifest that sits at `file`.
inline std::vector<Finding> check(const Manifest& manifest, const std::string& file = "manifest",
                                  const DependencyData& data = shipped_data()) {
    const DependencyChecker checker(data);
    Location where;
    where.chain.push_back({LocationPart::Kind::file, file});
    Report report;
    checker.check(manifest, where, report);
    report.finish();
    return report.findings();
}

inline std::vector<const Finding*> with_rule(const std::vector<Finding>& findings,
                                             std::string_view rule) {
    std::vector<const Finding*> matching;
    for (const auto& finding : findings) {
        if (finding.rule_id == rule)
            matching.push_back(&finding);
    }
    return matching;
}

inline std::vector<std::string> rule_ids(const std::vector<Finding>& findings) {
    std::vector<std::string> ids;
    for (const auto& finding : findings)
        ids.push_back(finding.rule_id);
    std::sort(ids.begin(), ids.end());
    return ids;
}

// A directory that exists for one test.
class TempDir {
  public:
    TempDir() {
        auto pattern = (std::filesystem::temp_directory_path() / "hazmat-deps-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

struct RunResult {
    int exit_code = -1;
    std::string output;  // stdout and stderr
};

// Runs the hazmat binary with `home` as its HOME and XDG data directory,
// so that nothing of the real user's data is read or written.
inline RunResult run_hazmat(const std::filesystem::path& home, const std::string& arguments) {
    const auto command = fmt::format("env HOME='{}' XDG_DATA_HOME='{}/share' '{}' {} 2>&1",
                                     home.string(), home.string(), HAZMAT_BINARY, arguments);
    RunResult result;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr)
        throw std::runtime_error("popen failed");
    char buffer[4096];
    size_t got = 0;
    while ((got = fread(buffer, 1, sizeof buffer, pipe)) > 0)
        result.output.append(buffer, got);
    const int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

inline Location at(const std::string& file, uint32_t line) {
    Location location;
    location.chain.push_back({LocationPart::Kind::file, file});
    if (line > 0)
        location.line = line;
    return location;
}

}  // namespace hazmat::deps::testing
