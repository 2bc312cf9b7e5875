#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/location.hpp"
#include "core/report.hpp"
#include "scan/deps/manifest.hpp"
#include "scan/deps/typosquat.hpp"
#include "scan/deps/vulnerability_db.hpp"

namespace hazmat::deps {

// The data the dependency checks consult, loaded once per run.
struct DependencyData {
    std::unique_ptr<PopularPackages> popular_pypi;
    std::unique_ptr<PopularPackages> popular_npm;
    std::unique_ptr<AdvisorySource> advisories;

    const PopularPackages& popular(Ecosystem ecosystem) const {
        return ecosystem == Ecosystem::npm ? *popular_npm : *popular_pypi;
    }
};

// Loads the popular-package lists and opens the vulnerability databases.
Result<std::unique_ptr<DependencyData>> load_dependency_data(const DataDir& data);

// Turns a parsed manifest into findings: known vulnerabilities and
// malware, look-alike names, dependency confusion and provenance, and
// hygiene. Thread-safe; results for a name are computed once per run.
class DependencyChecker {
  public:
    explicit DependencyChecker(const DependencyData& data) : data_(data) {}

    // `where` is the manifest's location; findings about one entry carry
    // its line (and the included file's name when it came from one).
    void check(const Manifest& manifest, const Location& where, FindingSink& sink) const;

    // What the shipped data says about one name as written: computed once
    // per run, since a monorepo names the same packages over and over.
    struct NameFacts {
        std::optional<Lookalike> lookalike;
        std::optional<size_t> rank;  // in the popular list
        const std::vector<Advisory>* advisories = nullptr;
    };
    const NameFacts& facts(Ecosystem ecosystem, const std::string& name) const;

  private:
    const DependencyData& data_;
    mutable std::mutex mutex_;
    // Node-based: references handed out stay valid as it grows.
    mutable std::unordered_map<std::string, NameFacts> facts_;
};

// Whether a name reads like an organisation's private package.
bool looks_internal(std::string_view normalized_name);

// Whether a URL's host is the public registry of its ecosystem.
bool is_default_index(Ecosystem ecosystem, std::string_view url);

}  // namespace hazmat::deps
