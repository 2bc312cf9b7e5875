#include "scan/deps/checks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "core/finding.hpp"
#include "core/rule_ids.hpp"
#include "scan/deps/dependency_rules.hpp"
#include "scan/deps/parsers.hpp"
#include "scan/deps/python_requirement.hpp"
#include "scan/deps/text.hpp"

namespace hazmat::deps {

namespace {

// At most this many advisories or names are listed in one finding's evidence.
constexpr size_t kEvidenceLimit = 12;
constexpr size_t kPinnedEvidenceLimit = 50;

std::string join_first(const std::vector<std::string>& items, size_t count) {
    std::string joined;
    for (size_t i = 0; i < items.size() && i < count; ++i)
        joined += (i == 0 ? "" : ", ") + items[i];
    return joined;
}

// The highest of several versions in the ecosystem's order.
std::optional<std::string> highest_version(Ecosystem ecosystem,
                                           const std::vector<std::string>& versions) {
    std::optional<std::string> best;
    for (const auto& version : versions) {
        if (!best) {
            best = version;
            continue;
        }
        bool higher = false;
        if (ecosystem == Ecosystem::npm) {
            const auto a = semver::parse_version(version), b = semver::parse_version(*best);
            higher = a && b && *a > *b;
        } else {
            const auto a = pep440::parse_version(version), b = pep440::parse_version(*best);
            higher = a && b && *a > *b;
        }
        if (higher)
            best = version;
    }
    return best;
}

std::string host_of(std::string_view url) {
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos)
        return {};
    auto rest = url.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const auto at = rest.rfind('@'); at != std::string_view::npos)
        rest = rest.substr(at + 1);
    if (const auto colon = rest.find(':'); colon != std::string_view::npos)
        rest = rest.substr(0, colon);
    return lower(rest);
}

// The host of an index given as a URL or already as a host name.
std::string index_host(std::string_view index) {
    return index.find("://") != std::string_view::npos ? host_of(index) : lower(index);
}

Location location_for(const Location& where, const std::string& file, uint32_t line) {
    Location location;
    if (file.empty()) {
        location = where;
    } else {
        location.chain.push_back({LocationPart::Kind::file, file});
    }
    if (line > 0)
        location.line = line;
    return location;
}

Location location_of(const Location& where, const Dependency& dependency) {
    return location_for(where, dependency.file, dependency.line);
}

std::string describe(const Dependency& dependency) {
    if (dependency.source == SourceKind::registry || dependency.source == SourceKind::alias) {
        if (dependency.requirement.empty())
            return dependency.name;
        if (dependency.ecosystem == Ecosystem::npm)
            return fmt::format("{}@{}", dependency.name, dependency.requirement);
        const auto first = dependency.requirement.front();
        const bool operator_first = first == '=' || first == '<' || first == '>' || first == '!' ||
                                    first == '~' || first == '^' || first == '*';
        return operator_first ? dependency.name + dependency.requirement
                              : fmt::format("{} {}", dependency.name, dependency.requirement);
    }
    return fmt::format("{} ({})", dependency.name.empty() ? "?" : dependency.name, dependency.url);
}

std::string advisory_label(const Advisory& advisory) {
    std::string aliases;
    for (const auto& alias : advisory.aliases)
        aliases += (aliases.empty() ? "" : ", ") + alias;
    return aliases.empty() ? advisory.id : fmt::format("{} ({})", advisory.id, aliases);
}

std::string advisory_evidence(const Advisory& advisory, const OsvMatch& match) {
    std::string line = advisory_label(advisory);
    if (!advisory.summary.empty())
        line += ": " + advisory.summary;
    line += fmt::format("; affected: {}", match.affected_versions);
    if (!match.fixed_in.empty()) {
        std::string fixed;
        for (size_t i = 0; i < match.fixed_in.size() && i < 4; ++i)
            fixed += (i == 0 ? "" : ", ") + match.fixed_in[i];
        line += "; fixed in " + fixed;
    }
    if (match.incomplete)
        line += " (some of the advisory's ranges are not in this ecosystem's version syntax)";
    return line;
}

// Findings about a pinned version carry the advisory's own rating, but
// "critical" is kept for packages that are malware.
// LIMITATION: a known-vulnerable version is reported as high at most, even
// when the advisory rates it critical.
Severity vulnerability_severity(const Advisory& advisory) {
    if (!advisory.severity || *advisory.severity >= Severity::high)
        return Severity::high;
    return *advisory.severity;
}

bool is_plain_http(std::string_view url) {
    return istarts_with(url, "http://");
}

bool is_local_location(std::string_view url) {
    return url.find("://") == std::string_view::npos || istarts_with(url, "file:");
}

std::optional<uint64_t> major_version(const Dependency& dependency) {
    if (!dependency.pinned)
        return std::nullopt;
    if (dependency.ecosystem == Ecosystem::npm) {
        const auto version = semver::parse_version(*dependency.pinned);
        return version ? std::optional<uint64_t>(version->major) : std::nullopt;
    }
    const auto version = pep440::parse_version(*dependency.pinned);
    if (!version || version->release.empty())
        return std::nullopt;
    return version->release.front();
}

// 99.0.0, 9000.1.0: versions chosen to outrank any internal release. Years
// and dates (2024.1, 20240101) are calendar versions, not that.
bool is_confusion_version(uint64_t major) {
    if (major < 99)
        return false;
    if (major >= 1990 && major <= 2100)
        return false;
    return !(major >= 19900101 && major <= 21001231);
}

bool is_wildcard(const Dependency& dependency) {
    const auto& requirement = dependency.requirement;
    if (requirement == "*" || requirement == "==*")
        return true;
    if (dependency.ecosystem != Ecosystem::npm || requirement.empty())
        return false;
    if (requirement == "x" || requirement == "X" || requirement == "latest")
        return true;
    // Anything else npm cannot read as a range is a dist-tag ("next", "beta").
    return !semver::parse_range(requirement);
}

// The set of versions a Python requirement admits, in PEP 440 or Poetry syntax.
std::optional<pep440::SpecifierSet> python_specifiers(const std::string& requirement) {
    if (requirement.empty() || requirement == "*")
        return pep440::SpecifierSet{};
    if (auto parsed = pep440::parse_specifiers(requirement))
        return std::move(parsed).value();
    if (const auto converted = poetry_constraint_as_pep440(requirement)) {
        if (auto parsed = pep440::parse_specifiers(*converted))
            return std::move(parsed).value();
    }
    return std::nullopt;
}

bool has_private_index(const Manifest& manifest, Ecosystem ecosystem) {
    return std::any_of(manifest.indexes.begin(), manifest.indexes.end(), [&](const auto& index) {
        return index.ecosystem == ecosystem && index.role != PackageIndex::Role::trusted_host &&
               index.role != PackageIndex::Role::channel && !is_default_index(ecosystem, index.url);
    });
}

bool is_conda_default_channel(std::string_view channel) {
    static constexpr std::string_view kChannels[] = {
        "defaults",        "conda-forge", "anaconda", "main",      "r",
        "msys2",           "pytorch",     "nvidia",   "bioconda",  "huggingface",
        "pytorch-nightly", "fastai",      "intel",    "nodefaults"};
    auto name = channel;
    if (const auto host = host_of(channel); host == "conda.anaconda.org")
        name = base_name(channel.substr(0, channel.find_last_not_of('/') + 1));
    return std::find(std::begin(kChannels), std::end(kChannels), name) != std::end(kChannels);
}

class ManifestCheck {
  public:
    ManifestCheck(const DependencyData& data, const Manifest& manifest, const Location& where,
                  FindingSink& sink, const DependencyChecker& checker)
        : data_(data), manifest_(manifest), where_(where), sink_(sink), checker_(checker) {}

    void run() {
        report_issues();
        report_computed();
        report_includes();
        report_indexes();
        report_index_merging();
        report_lockfile_hosts();
        report_missing_hashes();
        for (const auto& dependency : manifest_.dependencies) {
            if (dependency.name.empty() || dependency.source == SourceKind::workspace)
                continue;
            check_name(dependency);
            check_vulnerabilities(dependency);
            check_provenance(dependency);
            check_confusion(dependency);
            check_hygiene(dependency);
        }
    }

  private:
    void emit(std::string_view rule, std::string message, Location location,
              std::vector<std::string> evidence = {}, std::optional<Severity> severity = {}) {
        auto finding = Finding::make(rule, std::move(message), std::move(location));
        finding.evidence = std::move(evidence);
        if (severity)
            finding.severity = *severity;
        sink_.add(std::move(finding));
    }

    void report_issues() {
        for (const auto& issue : manifest_.issues) {
            emit(rules::kScanUnparseable,
                 fmt::format("Part of this {} could not be read ({}); the dependencies it declares "
                             "were not checked.",
                             manifest_.format, issue.message),
                 location_for(where_, issue.file, issue.line));
        }
    }

    void report_computed() {
        for (const auto& computed : manifest_.computed) {
            emit(rules::kDepComputedRequirements,
                 fmt::format("The dependencies of this {} are not all known without running it: "
                             "{}; they were not checked.",
                             manifest_.format, computed.message),
                 location_for(where_, computed.file, computed.line));
        }
    }

    void report_includes() {
        for (const auto& include : manifest_.includes) {
            if (include.followed)
                continue;
            emit(rules::kDepIncludeNotFollowed,
                 fmt::format("'{}' is included here but was not examined as part of this file: {}.",
                             include.path, include.not_followed_because),
                 location_for(where_, include.file, include.line));
        }
    }

    void report_indexes() {
        for (const auto& index : manifest_.indexes) {
            if (index.inherited)
                continue;
            const auto location = location_for(where_, index.file, index.line);
            if (index.role == PackageIndex::Role::trusted_host || !index.verify_tls) {
                emit(rules::kDepInsecureIndex,
                     fmt::format("Certificate verification is turned off for {}.", index.url),
                     location);
                continue;
            }
            if (is_plain_http(index.url)) {
                emit(rules::kDepInsecureIndex,
                     fmt::format("Packages are fetched over plain HTTP from {}.", index.url),
                     location);
                continue;
            }
            if (index.role == PackageIndex::Role::channel) {
                if (!is_conda_default_channel(index.url))
                    emit(rules::kDepCustomIndex,
                         fmt::format("Conda packages come from the channel '{}'.", index.url),
                         location);
                continue;
            }
            if (index.url.empty() || is_default_index(index.ecosystem, index.url))
                continue;
            const auto what = index.role == PackageIndex::Role::find_links
                                  ? (is_local_location(index.url) ? "a local directory of archives"
                                                                  : "a page of archive links")
                              : index.role == PackageIndex::Role::extra  ? "an extra index"
                              : index.role == PackageIndex::Role::scoped ? "a named source"
                                                                         : "the package index";
            std::string message = fmt::format("{} packages come from {}: {}.",
                                              to_string(index.ecosystem), what, index.url);
            if (!index.name.empty())
                message = fmt::format("{} packages come from {} '{}': {}.",
                                      to_string(index.ecosystem), what, index.name, index.url);
            emit(rules::kDepCustomIndex, std::move(message), location);
        }
    }

    void report_index_merging() {
        std::vector<const PackageIndex*> merged;
        for (const auto& index : manifest_.indexes) {
            if (index.merged)
                merged.push_back(&index);
        }
        if (merged.empty() && manifest_.merge_settings.empty())
            return;
        std::vector<std::string> exposed;
        bool internal = false;
        for (const auto& dependency : manifest_.dependencies) {
            if (dependency.source != SourceKind::registry || dependency.name.empty() ||
                dependency.ecosystem != Ecosystem::pypi)
                continue;
            const bool looks_private = looks_internal(dependency.normalized);
            const bool unpinned = !dependency.pinned;
            if (!unpinned && !looks_private)
                continue;
            internal = internal || looks_private;
            exposed.push_back(
                fmt::format("{}{}", describe(dependency),
                            looks_private ? " (internal-looking name)" : " (no exact version)"));
        }
        if (exposed.empty())
            return;
        std::vector<std::string> evidence;
        for (const auto* index : merged)
            evidence.push_back(fmt::format("index merged with the others: {}", index->url));
        for (const auto& [line, setting] : manifest_.merge_settings)
            evidence.push_back(fmt::format("line {}: {}", line, setting));
        for (size_t i = 0; i < exposed.size() && i < kEvidenceLimit; ++i)
            evidence.push_back("exposed: " + exposed[i]);
        if (exposed.size() > kEvidenceLimit)
            evidence.push_back(fmt::format("and {} more", exposed.size() - kEvidenceLimit));
        const auto location =
            merged.empty() ? location_for(where_, {}, manifest_.merge_settings.front().first)
                           : location_for(where_, merged.front()->file, merged.front()->line);
        emit(rules::kDepExtraIndex,
             fmt::format("Packages are collected from several indexes and the highest version "
                         "wins; {} {} can be replaced by anyone who publishes the same name "
                         "elsewhere{}.",
                         exposed.size(), exposed.size() == 1 ? "dependency" : "dependencies",
                         internal ? ", including names that look internal" : ""),
             location, std::move(evidence));
    }

    // A lockfile records where each package was downloaded; hosts other
    // than the public registry, and downloads over plain HTTP (from any
    // host, the public registry's included), are reported once per host.
    void report_lockfile_hosts() {
        std::set<std::string, std::less<>> reported;
        struct InsecureHost {
            const Dependency* first = nullptr;
            size_t entries = 0;
            size_t unhashed = 0;
        };
        std::map<std::string, InsecureHost, std::less<>> insecure;
        // Indexes the file declares are reported where they are declared.
        std::set<std::string, std::less<>> declared_insecure;
        for (const auto& index : manifest_.indexes) {
            if (is_plain_http(index.url))
                declared_insecure.insert(index_host(index.url));
        }
        for (const auto& dependency : manifest_.dependencies) {
            if (!dependency.locked || dependency.index.empty())
                continue;
            const auto host = index_host(dependency.index);
            if (is_plain_http(dependency.index)) {
                if (declared_insecure.contains(host))
                    continue;
                auto& entry = insecure[host];
                if (entry.first == nullptr)
                    entry.first = &dependency;
                ++entry.entries;
                entry.unhashed += dependency.hashed ? 0 : 1;
                continue;
            }
            if (is_default_index(dependency.ecosystem, "https://" + host) ||
                !reported.insert(host).second)
                continue;
            emit(rules::kDepCustomIndex,
                 fmt::format("{} was downloaded from {}, not the public registry.",
                             describe(dependency), host),
                 location_of(where_, dependency));
        }
        for (const auto& [host, entry] : insecure) {
            // An integrity hash recorded in the lockfile still lets the
            // installer reject a substituted download; without one nothing does.
            const bool guarded = entry.unhashed == 0;
            const bool one = entry.entries == 1;
            std::string what = describe(*entry.first);
            if (!one)
                what += fmt::format(" and {} more", entry.entries - 1);
            std::string hashes;
            if (guarded)
                hashes = one ? "; its recorded hash still guards the content"
                             : "; their recorded hashes still guard the content";
            else
                hashes = one ? ", and it has no hash"
                             : fmt::format(", {} of them without a hash", entry.unhashed);
            emit(rules::kDepInsecureIndex,
                 fmt::format("{} {} downloaded over plain HTTP from {}{}.", what,
                             one ? "was" : "were", host, hashes),
                 location_of(where_, *entry.first), {},
                 guarded ? std::optional<Severity>(Severity::medium) : std::nullopt);
        }
    }

    void report_missing_hashes() {
        std::set<std::string, std::less<>> files_with_hashes;
        for (const auto& dependency : manifest_.dependencies) {
            if (dependency.hashed)
                files_with_hashes.insert(dependency.file);
        }
        if (files_with_hashes.empty())
            return;
        for (const auto& dependency : manifest_.dependencies) {
            const bool hashable = dependency.source == SourceKind::registry ||
                                  dependency.source == SourceKind::url ||
                                  dependency.source == SourceKind::alias;
            if (dependency.hashed || !hashable || dependency.name.empty() ||
                !files_with_hashes.contains(dependency.file))
                continue;
            emit(rules::kDepMissingHash,
                 fmt::format("{} has no hash, while other entries of this file do.",
                             describe(dependency)),
                 location_of(where_, dependency));
        }
    }

    void check_name(const Dependency& dependency) {
        report_lookalike(dependency, dependency.name);
        if (dependency.source == SourceKind::alias && !dependency.alias_of.empty())
            report_lookalike(dependency, dependency.alias_of);
    }

    void report_lookalike(const Dependency& dependency, const std::string& name) {
        const auto& found = checker_.facts(dependency.ecosystem, name).lookalike;
        if (!found)
            return;
        const auto rule =
            found->kind == LookalikeKind::typo || found->kind == LookalikeKind::swap
                ? rules::kDepTypo
            : found->kind == LookalikeKind::confusable || found->kind == LookalikeKind::separators
                ? rules::kDepLookalike
            : found->kind == LookalikeKind::scope ? rules::kDepScopeConfusion
                                                  : rules::kDepCombosquat;
        emit(rule,
             fmt::format("'{}' resembles '{}', one of the most downloaded {} packages (rank {}), "
                         "but is a different package.",
                         name, found->popular, to_string(dependency.ecosystem), found->rank),
             location_of(where_, dependency),
             {found->detail, fmt::format("'{}' is not among the {} most downloaded {} packages",
                                         name, data_.popular(dependency.ecosystem).size(),
                                         to_string(dependency.ecosystem))});
    }

    void check_vulnerabilities(const Dependency& dependency) {
        const auto& name = dependency.source == SourceKind::alias && !dependency.alias_of.empty()
                               ? dependency.alias_of
                               : dependency.name;
        const auto& advisories = *checker_.facts(dependency.ecosystem, name).advisories;
        if (advisories.empty())
            return;
        if (dependency.pinned)
            return check_pinned(dependency, advisories);
        check_range(dependency, advisories);
    }

    void report_malicious(const Dependency& dependency, const Advisory& advisory,
                          const OsvMatch& match) {
        emit(rules::kDepMalicious,
             fmt::format("{} is listed as malicious by {}.", describe(dependency),
                         advisory_label(advisory)),
             location_of(where_, dependency), {advisory_evidence(advisory, match)});
    }

    // One finding per pinned dependency, with every advisory in the
    // evidence: a version with twenty advisories is one thing to fix.
    void check_pinned(const Dependency& dependency, const std::vector<Advisory>& advisories) {
        std::vector<std::string> labels;
        std::vector<std::string> evidence;
        std::vector<std::string> first_fixes;
        size_t unfixed = 0;
        Severity severity = Severity::low;
        for (const auto& advisory : advisories) {
            for (const auto& affected : advisory.affected) {
                const auto match = match_version(affected, *dependency.pinned);
                if (!match.affected)
                    continue;
                if (advisory.malicious()) {
                    report_malicious(dependency, advisory, match);
                    break;
                }
                labels.push_back(advisory_label(advisory));
                if (evidence.size() < kPinnedEvidenceLimit)
                    evidence.push_back(advisory_evidence(advisory, match));
                severity = std::max(severity, vulnerability_severity(advisory));
                if (match.fixed_in.empty())
                    ++unfixed;
                else
                    first_fixes.push_back(match.fixed_in.front());
                break;
            }
        }
        if (labels.empty())
            return;
        if (labels.size() > evidence.size())
            evidence.push_back(
                fmt::format("and {} more advisories", labels.size() - evidence.size()));
        std::string advice;
        if (const auto fix = highest_version(dependency.ecosystem, first_fixes))
            advice = labels.size() == 1 ? fmt::format("fixed in {}", *fix)
                                        : fmt::format("upgrading to {} or later fixes {}", *fix,
                                                      unfixed == 0 ? "all of them" : "the others");
        if (unfixed > 0)
            advice = (advice.empty() ? "" : advice + "; ") +
                     fmt::format("no fixed version is listed for {}",
                                 labels.size() == 1 ? std::string("it")
                                                    : fmt::format("{} of them", unfixed));
        const auto what = labels.size() == 1 ? labels.front()
                                             : fmt::format("{} known advisories ({}{})",
                                                           labels.size(), join_first(labels, 3),
                                                           labels.size() > 3 ? ", ..." : "");
        emit(rules::kDepVulnerable,
             fmt::format("{} {} is affected by {}; {}.", dependency.name, *dependency.pinned, what,
                         advice),
             location_of(where_, dependency), std::move(evidence), severity);
    }

    void check_range(const Dependency& dependency, const std::vector<Advisory>& advisories) {
        std::optional<pep440::SpecifierSet> python;
        std::optional<semver::Range> npm;
        if (dependency.ecosystem == Ecosystem::pypi) {
            python = python_specifiers(dependency.requirement);
            // A requirement hazmat cannot read admits, as far as it knows, anything.
            if (!python)
                python = pep440::SpecifierSet{};
        } else {
            auto range = semver::parse_range(dependency.requirement);
            npm = range ? std::move(range).value() : *semver::parse_range("*");
        }
        std::vector<std::string> evidence;
        size_t matched = 0;
        bool newest_affected = false;
        for (const auto& advisory : advisories) {
            for (const auto& affected : advisory.affected) {
                const auto match =
                    python ? match_specifiers(affected, *python) : match_npm_range(affected, *npm);
                if (!match.affected)
                    continue;
                if (advisory.malicious()) {
                    report_malicious(dependency, advisory, match);
                    break;
                }
                ++matched;
                newest_affected = newest_affected || match.newest_admitted_affected;
                if (evidence.size() < kEvidenceLimit)
                    evidence.push_back(advisory_evidence(advisory, match));
                break;
            }
        }
        if (matched == 0)
            return;
        if (matched > evidence.size())
            evidence.push_back(fmt::format("and {} more advisories", matched - evidence.size()));
        const auto what = dependency.requirement.empty() || dependency.requirement == "*"
                              ? std::string("has no version constraint, so it")
                              : fmt::format("allows '{}', which", dependency.requirement);
        emit(rules::kDepRangeVulnerable,
             fmt::format("{} {} admits versions affected by {} known {}{}.", dependency.name, what,
                         matched, matched == 1 ? "advisory" : "advisories",
                         newest_affected ? "; even the newest version it admits is affected"
                                         : "; the newest version it admits is not"),
             location_of(where_, dependency), std::move(evidence),
             newest_affected ? Severity::high : Severity::low);
    }

    void check_provenance(const Dependency& dependency) {
        if (dependency.source == SourceKind::alias) {
            if (!dependency.alias_of.empty() && dependency.alias_of != dependency.name)
                emit(rules::kDepAlias,
                     fmt::format("'{}' installs the package '{}' under the name '{}'.",
                                 dependency.name, dependency.alias_of, dependency.name),
                     location_of(where_, dependency));
            return;
        }
        if (dependency.source == SourceKind::registry)
            return;
        if ((dependency.source == SourceKind::url || dependency.source == SourceKind::git) &&
            (is_plain_http(dependency.url) || istarts_with(dependency.url, "git+http://")))
            emit(rules::kDepInsecureIndex,
                 fmt::format("'{}' is downloaded over plain HTTP: {}.",
                             dependency.name.empty() ? "?" : dependency.name, dependency.url),
                 location_of(where_, dependency));
        const auto rank = checker_.facts(dependency.ecosystem, dependency.name).rank;
        const auto where = to_string(dependency.source);
        if (rank) {
            emit(rules::kDepWellKnownElsewhere,
                 fmt::format("'{}' (rank {} among {} packages) is installed from a {}: {}.",
                             dependency.name, *rank, to_string(dependency.ecosystem), where,
                             dependency.url),
                 location_of(where_, dependency));
            return;
        }
        emit(
            rules::kDepDirectSource,
            fmt::format("'{}' is installed from a {}: {}.", dependency.name, where, dependency.url),
            location_of(where_, dependency));
    }

    void check_confusion(const Dependency& dependency) {
        if (dependency.source != SourceKind::registry)
            return;
        const bool popular = checker_.facts(dependency.ecosystem, dependency.name).rank.has_value();
        if (popular)
            return;
        const bool internal = looks_internal(dependency.normalized);
        if (const auto major = major_version(dependency); major && is_confusion_version(*major)) {
            emit(rules::kDepConfusionVersion,
                 fmt::format("{} {} has a version number typical of dependency-confusion "
                             "uploads{}.",
                             dependency.name, *dependency.pinned,
                             internal ? ", and its name looks internal" : ""),
                 location_of(where_, dependency));
            return;
        }
        if (!internal || dependency.name.starts_with('@'))
            return;
        const bool resolved_publicly =
            dependency.locked && !dependency.index.empty() &&
            is_default_index(dependency.ecosystem, "https://" + index_host(dependency.index));
        const bool directed =
            !dependency.index.empty() || has_private_index(manifest_, dependency.ecosystem);
        if (resolved_publicly || !directed) {
            emit(rules::kDepInternalName,
                 fmt::format(
                     "'{}' looks like an internal package, but {}.", dependency.name,
                     resolved_publicly
                         ? fmt::format("it was downloaded from {}", index_host(dependency.index))
                         : std::string("nothing here directs it to a private index")),
                 location_of(where_, dependency));
        }
    }

    void check_hygiene(const Dependency& dependency) {
        // Lockfiles pin by construction; documentation shows commands to
        // type, not a build to reproduce.
        // LIMITATION: unpinned, wildcard and moving-Git dependencies are not
        // reported for install commands in documentation (READMEs, notebooks).
        if (manifest_.lockfile || manifest_.documentation || dependency.locked)
            return;
        if (dependency.source == SourceKind::git) {
            if (!is_commit_ref(dependency.git_ref))
                emit(rules::kDepGitWithoutCommit,
                     dependency.git_ref.empty()
                         ? fmt::format("'{}' follows the default branch of {}.", dependency.name,
                                       dependency.url)
                         : fmt::format("'{}' follows '{}' of {}, which can move.", dependency.name,
                                       dependency.git_ref, dependency.url),
                     location_of(where_, dependency));
            return;
        }
        if (dependency.source != SourceKind::registry || dependency.pinned)
            return;
        if (is_wildcard(dependency)) {
            emit(rules::kDepWildcard,
                 fmt::format("{} admits any version ('{}').", dependency.name,
                             dependency.requirement),
                 location_of(where_, dependency));
            return;
        }
        if (dependency.requirement.empty())
            emit(rules::kDepUnpinned,
                 fmt::format("'{}' has no version; every install takes the newest release.",
                             dependency.name),
                 location_of(where_, dependency));
    }

    const DependencyData& data_;
    const Manifest& manifest_;
    const Location& where_;
    FindingSink& sink_;
    const DependencyChecker& checker_;
};

}  // namespace

bool looks_internal(std::string_view name) {
    static constexpr std::string_view kWords[] = {"internal", "private",     "intranet",
                                                  "inhouse",  "proprietary", "confidential"};
    static constexpr std::string_view kTokens[] = {"corp", "priv"};
    const auto lowered = lower(name);
    for (const auto word : kWords) {
        if (lowered.find(word) != std::string::npos)
            return true;
    }
    std::string token;
    for (size_t i = 0; i <= lowered.size(); ++i) {
        const char c = i < lowered.size() ? lowered[i] : '-';
        if (c == '-' || c == '_' || c == '.' || c == '/' || c == '@') {
            if (std::find(std::begin(kTokens), std::end(kTokens), token) != std::end(kTokens))
                return true;
            token.clear();
            continue;
        }
        token += c;
    }
    return false;
}

bool is_default_index(Ecosystem ecosystem, std::string_view url) {
    const auto host = host_of(url);
    if (ecosystem == Ecosystem::npm)
        return host == "registry.npmjs.org" || host == "registry.yarnpkg.com" ||
               host == "registry.npmjs.com";
    return host == "pypi.org" || host == "pypi.python.org" || host == "files.pythonhosted.org";
}

Result<std::unique_ptr<DependencyData>> load_dependency_data(const DataDir& data) {
    auto loaded = std::make_unique<DependencyData>();
    auto pypi = PopularPackages::load(Ecosystem::pypi, data.data() / "popular-pypi.tsv");
    if (!pypi)
        return pypi.error();
    auto npm = PopularPackages::load(Ecosystem::npm, data.data() / "popular-npm.tsv");
    if (!npm)
        return npm.error();
    auto advisories = open_advisory_source(data);
    if (!advisories)
        return advisories.error();
    loaded->popular_pypi = std::make_unique<PopularPackages>(std::move(pypi).value());
    loaded->popular_npm = std::make_unique<PopularPackages>(std::move(npm).value());
    loaded->advisories = std::move(advisories).value();
    return loaded;
}

const DependencyChecker::NameFacts& DependencyChecker::facts(Ecosystem ecosystem,
                                                             const std::string& name) const {
    std::string key;
    key.reserve(name.size() + 1);
    key += ecosystem == Ecosystem::npm ? 'n' : 'p';
    key += name;
    {
        std::lock_guard lock(mutex_);
        if (const auto it = facts_.find(key); it != facts_.end())
            return it->second;
    }
    NameFacts computed;
    const auto& popular = data_.popular(ecosystem);
    computed.lookalike = popular.lookalike(name);
    computed.rank = popular.rank(name);
    static const std::vector<Advisory> kNone;
    computed.advisories =
        data_.advisories ? &data_.advisories->lookup(ecosystem, normalize_name(ecosystem, name))
                         : &kNone;
    std::lock_guard lock(mutex_);
    return facts_.emplace(std::move(key), std::move(computed)).first->second;
}

void DependencyChecker::check(const Manifest& manifest, const Location& where,
                              FindingSink& sink) const {
    ManifestCheck(data_, manifest, where, sink, *this).run();
}

}  // namespace hazmat::deps
