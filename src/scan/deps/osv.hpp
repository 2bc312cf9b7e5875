#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/severity.hpp"
#include "scan/deps/ecosystem.hpp"
#include "scan/deps/pep440.hpp"
#include "scan/deps/semver.hpp"

// OSV advisories (https://ossf.github.io/osv-schema/) and the schema's
// evaluation algorithm: a version is affected when an explicit `versions`
// entry names it or when, walking a range's events in version order, the
// last event at or below it is an `introduced` ("0" sorting below every
// version), and it lies below some `limit` if any is given. `fixed` ends a
// range before its version, `last_affected` after it.
namespace hazmat::deps {

struct OsvEvent {
    enum class Kind { introduced, fixed, last_affected, limit };
    Kind kind;
    std::string version;
};

struct OsvRange {
    // ECOSYSTEM and SEMVER ranges are ordered by the package's own version
    // scheme; GIT ranges name commits and cannot be evaluated offline.
    bool ordered = true;
    std::vector<OsvEvent> events;
};

// The ranges and versions of an entry parsed into the ecosystem's version
// type, so that checking a thousand requirements against one advisory
// parses its bounds once.
struct CompiledRanges;

// One `affected[]` entry, for a package of an ecosystem hazmat checks.
struct OsvAffected {
    Ecosystem ecosystem = Ecosystem::pypi;
    std::string name;  // normalised
    std::vector<OsvRange> ranges;
    std::vector<std::string> versions;
    // Set by prepare(); matching compiles on the fly without it.
    std::shared_ptr<const CompiledRanges> compiled;
};

// Parses the entry's bounds and versions once, for repeated matching.
void prepare(OsvAffected& affected);

struct Advisory {
    std::string id;
    std::vector<std::string> aliases;
    std::string summary;  // one line
    // From a CVSS v3 vector or the database's own label; unset when the
    // record states neither.
    std::optional<Severity> severity;
    std::string modified;
    bool withdrawn = false;
    std::vector<OsvAffected> affected;

    // OSV's malicious-packages database publishes known malware under MAL- ids.
    bool malicious() const { return id.starts_with("MAL-"); }
};

// Reads one OSV record. Entries for ecosystems hazmat does not check are
// dropped; `skipped_ecosystems` counts them. Fails when the record lacks an
// id or is not an object.
Result<Advisory> parse_osv_record(const nlohmann::json& record, size_t* skipped_entries = nullptr);

// The ranges of an entry as JSON text (compact OSV syntax), and back; the
// database stores them this way.
std::string ranges_to_json(const std::vector<OsvRange>& ranges);
std::vector<OsvRange> ranges_from_json(std::string_view text);

// How one requirement relates to one affected entry.
struct OsvMatch {
    bool affected = false;
    // The affected versions the requirement admits, in the ecosystem's
    // comparison syntax (">=2.0, <2.3.1" or "1.0.1, 1.0.2").
    std::string affected_versions;
    // Versions in which the advisory says it was fixed, lowest first.
    std::vector<std::string> fixed_in;
    // Even the newest version the requirement admits is affected, so no
    // choice the installer makes avoids the advisory.
    bool newest_admitted_affected = false;
    // Some range bound could not be read in the ecosystem's version syntax,
    // so the answer rests on the remaining ranges and the explicit list.
    bool incomplete = false;
};

// An exact version: a lockfile entry or a "==" pin.
OsvMatch match_version(const OsvAffected& affected, std::string_view version);
// A requirement that admits a range of versions.
OsvMatch match_specifiers(const OsvAffected& affected, const pep440::SpecifierSet& requirement);
OsvMatch match_npm_range(const OsvAffected& affected, const semver::Range& requirement);

// CVSS v3.x base score of a vector ("CVSS:3.1/AV:N/AC:L/..."), or nullopt.
std::optional<double> cvss3_base_score(std::string_view vector);

}  // namespace hazmat::deps
