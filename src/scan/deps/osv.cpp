#include "scan/deps/osv.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <variant>

#include "scan/deps/version_set.hpp"

namespace hazmat::deps {

using nlohmann::json;

namespace {

std::string string_field(const json& object, std::string_view key) {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_string())
        return {};
    return it->get<std::string>();
}

std::string first_line(std::string_view text, size_t limit) {
    const auto newline = text.find('\n');
    if (newline != std::string_view::npos)
        text = text.substr(0, newline);
    if (text.size() <= limit)
        return std::string(text);
    // Cut at a character boundary so UTF-8 stays valid.
    size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
        --cut;
    return std::string(text.substr(0, cut)) + "...";
}

std::optional<Severity> severity_from_label(std::string label) {
    std::transform(label.begin(), label.end(), label.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (label == "critical")
        return Severity::critical;
    if (label == "high")
        return Severity::high;
    if (label == "moderate" || label == "medium")
        return Severity::medium;
    if (label == "low")
        return Severity::low;
    return std::nullopt;
}

std::optional<Severity> severity_from_score(double score) {
    if (score >= 9.0)
        return Severity::critical;
    if (score >= 7.0)
        return Severity::high;
    if (score >= 4.0)
        return Severity::medium;
    if (score > 0.0)
        return Severity::low;
    return std::nullopt;
}

std::optional<Severity> severity_of(const json& record) {
    if (const auto it = record.find("severity"); it != record.end() && it->is_array()) {
        for (const auto& entry : *it) {
            if (!entry.is_object() || string_field(entry, "type") != "CVSS_V3")
                continue;
            if (const auto score = cvss3_base_score(string_field(entry, "score")))
                return severity_from_score(*score);
        }
    }
    if (const auto it = record.find("database_specific"); it != record.end() && it->is_object())
        return severity_from_label(string_field(*it, "severity"));
    return std::nullopt;
}

std::optional<OsvEvent> parse_event(const json& event) {
    static constexpr std::pair<std::string_view, OsvEvent::Kind> kKinds[] = {
        {"introduced", OsvEvent::Kind::introduced},
        {"fixed", OsvEvent::Kind::fixed},
        {"last_affected", OsvEvent::Kind::last_affected},
        {"limit", OsvEvent::Kind::limit},
    };
    if (!event.is_object())
        return std::nullopt;
    for (const auto& [key, kind] : kKinds) {
        if (const auto it = event.find(key); it != event.end() && it->is_string())
            return OsvEvent{kind, it->get<std::string>()};
    }
    return std::nullopt;
}

std::vector<OsvRange> parse_ranges(const json& ranges) {
    std::vector<OsvRange> result;
    if (!ranges.is_array())
        return result;
    for (const auto& range : ranges) {
        if (!range.is_object())
            continue;
        OsvRange parsed;
        parsed.ordered = string_field(range, "type") != "GIT";
        if (const auto events = range.find("events"); events != range.end() && events->is_array()) {
            for (const auto& event : *events) {
                if (auto parsed_event = parse_event(event))
                    parsed.events.push_back(std::move(*parsed_event));
            }
        }
        if (parsed.ordered)
            result.push_back(std::move(parsed));
    }
    return result;
}

std::string_view kind_name(OsvEvent::Kind kind) {
    switch (kind) {
        case OsvEvent::Kind::introduced:
            return "introduced";
        case OsvEvent::Kind::fixed:
            return "fixed";
        case OsvEvent::Kind::last_affected:
            return "last_affected";
        case OsvEvent::Kind::limit:
            return "limit";
    }
    return "introduced";
}

}  // namespace

// ---- evaluation, generic over the ecosystem's version type ----

template <typename V>
struct Compiled {
    VersionSet<V> affected;
    std::vector<V> fixed;                           // every `fixed` bound, sorted
    std::vector<std::pair<V, std::string>> listed;  // explicit versions that parse
    bool incomplete = false;
};

struct CompiledRanges {
    std::variant<Compiled<pep440::Version>, Compiled<semver::Version>> forms;
};

namespace {

Result<pep440::Version> parse_as(const pep440::Version*, std::string_view text) {
    return pep440::parse_version(text);
}
Result<semver::Version> parse_as(const semver::Version*, std::string_view text) {
    return semver::parse_version(text);
}

// Turns one range's event timeline into intervals. Each event is a cut in
// the version order: `introduced` and `fixed` take effect at their version,
// `last_affected` just above it; the state after the last cut at or below a
// version decides it, exactly as the schema's pseudocode walks sorted events.
template <typename V>
void compile_range(const OsvRange& range, Compiled<V>& out) {
    struct Cut {
        std::optional<V> at;  // nullopt: "0", below every version
        bool above = false;   // the cut lies just above `at`
        bool opens = false;   // affected from here on
    };
    std::vector<Cut> cuts;
    std::optional<V> limit;
    bool unlimited = false;
    bool has_limit = false;
    for (const auto& event : range.events) {
        if (event.kind == OsvEvent::Kind::limit) {
            has_limit = true;
            if (event.version.find('*') != std::string::npos) {
                unlimited = true;
                continue;
            }
        }
        if (event.kind == OsvEvent::Kind::introduced && event.version == "0") {
            cuts.push_back({std::nullopt, false, true});
            continue;
        }
        auto version = parse_as(static_cast<const V*>(nullptr), event.version);
        if (!version) {
            // LIMITATION: a bound in a legacy syntax ("2019-09-12" on PyPI)
            // cannot be placed in the order. Failing closed: an unreadable
            // start counts as the origin and an unreadable end is ignored, so
            // the range errs towards "affected", and the match says it is
            // incomplete.
            spdlog::debug("OSV range bound '{}' is not a version of this ecosystem: {}",
                          event.version, version.error().message);
            out.incomplete = true;
            if (event.kind == OsvEvent::Kind::introduced)
                cuts.push_back({std::nullopt, false, true});
            continue;
        }
        switch (event.kind) {
            case OsvEvent::Kind::introduced:
                cuts.push_back({*version, false, true});
                break;
            case OsvEvent::Kind::fixed:
                out.fixed.push_back(*version);
                cuts.push_back({*version, false, false});
                break;
            case OsvEvent::Kind::last_affected:
                cuts.push_back({*version, true, false});
                break;
            case OsvEvent::Kind::limit:
                if (!limit || *version > *limit)
                    limit = *version;
                break;
        }
    }
    std::stable_sort(cuts.begin(), cuts.end(), [](const Cut& a, const Cut& b) {
        if (!a.at || !b.at)
            return !a.at && b.at;
        const auto order = *a.at <=> *b.at;
        if (order != 0)
            return order < 0;
        return !a.above && b.above;
    });

    VersionSet<V> intervals;
    std::optional<Interval<V>> open;
    for (const auto& cut : cuts) {
        if (cut.opens && !open) {
            Interval<V> started;
            if (cut.at)
                started.lower = Bound<V>{*cut.at, !cut.above};
            open = started;
        } else if (!cut.opens && open) {
            if (!cut.at) {
                open.reset();
                continue;
            }
            open->upper = Bound<V>{*cut.at, cut.above};
            if (!open->empty())
                intervals.push_back(*open);
            open.reset();
        }
    }
    if (open)
        intervals.push_back(*open);

    // Without limits (or with "*") nothing is cut off above.
    if (has_limit && !unlimited) {
        if (!limit)
            return;
        const VersionSet<V> below_limit = {Interval<V>{std::nullopt, Bound<V>{*limit, false}}};
        intervals = intersect(intervals, below_limit);
    }
    out.affected.insert(out.affected.end(), intervals.begin(), intervals.end());
}

template <typename V>
Compiled<V> compile(const OsvAffected& affected) {
    Compiled<V> compiled;
    for (const auto& range : affected.ranges)
        compile_range(range, compiled);
    std::sort(compiled.fixed.begin(), compiled.fixed.end());
    for (const auto& text : affected.versions) {
        if (auto version = parse_as(static_cast<const V*>(nullptr), text))
            compiled.listed.emplace_back(std::move(version).value(), text);
    }
    return compiled;
}

// The entry's compiled form: the prepared one, or one made for this call.
template <typename V>
std::shared_ptr<const CompiledRanges> compiled_form(const OsvAffected& affected) {
    if (affected.compiled && std::holds_alternative<Compiled<V>>(affected.compiled->forms))
        return affected.compiled;
    return std::make_shared<const CompiledRanges>(CompiledRanges{compile<V>(affected)});
}

template <typename V>
std::string describe_bound(const Bound<V>& bound, bool lower) {
    const auto op = lower ? (bound.inclusive ? ">=" : ">") : (bound.inclusive ? "<=" : "<");
    return fmt::format("{}{}", op, bound.version.to_string());
}

template <typename V>
std::string describe(const VersionSet<V>& set) {
    std::vector<std::string> parts;
    for (const auto& interval : set) {
        if (interval.lower && interval.upper && interval.lower->inclusive &&
            interval.upper->inclusive && interval.lower->version == interval.upper->version) {
            parts.push_back(interval.lower->version.to_string());
            continue;
        }
        std::string text;
        if (interval.lower)
            text = describe_bound(*interval.lower, true);
        if (interval.upper)
            text += (text.empty() ? "" : ", ") + describe_bound(*interval.upper, false);
        parts.push_back(text.empty() ? "every version" : text);
    }
    std::string joined;
    for (const auto& part : parts)
        joined += (joined.empty() ? "" : " or ") + part;
    return joined;
}

template <typename V>
void add_fixes_above(const Compiled<V>& compiled, const VersionSet<V>& hit, OsvMatch& match) {
    for (const auto& fixed : compiled.fixed) {
        const bool relevant = std::any_of(hit.begin(), hit.end(), [&](const Interval<V>& i) {
            return !i.lower || i.lower->version < fixed;
        });
        if (relevant)
            match.fixed_in.push_back(fixed.to_string());
    }
}

// Explicit `versions` entries the requirement admits.
template <typename V, typename Admits>
std::vector<std::string> listed_matches(const Compiled<V>& compiled, Admits admits) {
    std::vector<std::string> matches;
    for (const auto& [version, text] : compiled.listed) {
        if (admits(version))
            matches.push_back(text);
    }
    return matches;
}

std::string join_limited(const std::vector<std::string>& items, size_t limit) {
    std::string text;
    for (size_t i = 0; i < items.size() && i < limit; ++i)
        text += (i == 0 ? "" : ", ") + items[i];
    if (items.size() > limit)
        text += fmt::format(" and {} more", items.size() - limit);
    return text;
}

template <typename V>
OsvMatch match_exact(const OsvAffected& affected, std::string_view text) {
    OsvMatch match;
    // The explicit list is compared as written first: it holds the
    // registry's own spellings, including ones no version scheme parses.
    const bool listed = std::find(affected.versions.begin(), affected.versions.end(), text) !=
                        affected.versions.end();
    const auto version = parse_as(static_cast<const V*>(nullptr), text);
    if (!version) {
        match.affected = listed;
        match.incomplete = !affected.ranges.empty();
        if (listed)
            match.affected_versions = std::string(text);
        return match;
    }
    const auto form = compiled_form<V>(affected);
    const auto& compiled = std::get<Compiled<V>>(form->forms);
    match.incomplete = compiled.incomplete;
    const bool in_list =
        listed || !listed_matches(compiled, [&](const V& v) { return v == *version; }).empty();
    match.affected = in_list || contains(compiled.affected, *version);
    if (!match.affected)
        return match;
    match.affected_versions = version->to_string();
    for (const auto& fixed : compiled.fixed) {
        if (fixed > *version)
            match.fixed_in.push_back(fixed.to_string());
    }
    return match;
}

// Whether the top of the admitted set lies inside an affected interval:
// the installer's preferred (newest) choice is then vulnerable.
template <typename V>
bool newest_affected(const VersionSet<V>& admitted, const VersionSet<V>& affected) {
    if (admitted.empty())
        return false;
    const auto higher_upper = [](const Interval<V>& a, const Interval<V>& b) {
        if (!a.upper || !b.upper)
            return !a.upper && b.upper;
        const auto order = a.upper->version <=> b.upper->version;
        return order > 0 || (order == 0 && a.upper->inclusive && !b.upper->inclusive);
    };
    const auto top =
        *std::max_element(admitted.begin(), admitted.end(),
                          [&](const auto& a, const auto& b) { return higher_upper(b, a); });
    for (const auto& interval : affected) {
        if (intersect(top, interval).empty())
            continue;
        if (!interval.upper)
            return true;
        if (!top.upper)
            continue;
        const auto order = interval.upper->version <=> top.upper->version;
        if (order > 0 || (order == 0 && (interval.upper->inclusive || !top.upper->inclusive)))
            return true;
    }
    return false;
}

template <typename V, typename Admits>
OsvMatch match_admitted(const OsvAffected& affected, const VersionSet<V>& admitted, Admits admits) {
    OsvMatch match;
    const auto form = compiled_form<V>(affected);
    const auto& compiled = std::get<Compiled<V>>(form->forms);
    match.incomplete = compiled.incomplete;
    const auto hit = intersect(admitted, compiled.affected);
    if (!hit.empty()) {
        match.affected = true;
        match.newest_admitted_affected = newest_affected(admitted, compiled.affected);
        match.affected_versions = describe(hit);
        add_fixes_above(compiled, hit, match);
        return match;
    }
    const auto listed = listed_matches(compiled, admits);
    if (!listed.empty()) {
        match.affected = true;
        match.affected_versions = join_limited(listed, 8);
    }
    return match;
}

double round_up(double value) {
    // CVSS v3.1 Appendix A: round up to one decimal without floating-point surprises.
    const auto scaled = static_cast<int64_t>(std::llround(value * 100000));
    if (scaled % 10000 == 0)
        return static_cast<double>(scaled) / 100000.0;
    return (std::floor(static_cast<double>(scaled) / 10000.0) + 1) / 10.0;
}

}  // namespace

Result<Advisory> parse_osv_record(const json& record, size_t* skipped_entries) {
    if (!record.is_object())
        return Error{"an OSV record must be a JSON object"};
    Advisory advisory;
    advisory.id = string_field(record, "id");
    if (advisory.id.empty())
        return Error{"OSV record without an id"};
    if (const auto it = record.find("aliases"); it != record.end() && it->is_array()) {
        for (const auto& alias : *it) {
            if (alias.is_string())
                advisory.aliases.push_back(alias.get<std::string>());
        }
    }
    advisory.summary = string_field(record, "summary");
    if (advisory.summary.empty())
        advisory.summary = string_field(record, "details");
    advisory.summary = first_line(advisory.summary, 200);
    advisory.severity = severity_of(record);
    advisory.modified = string_field(record, "modified");
    advisory.withdrawn = !string_field(record, "withdrawn").empty();

    const auto affected = record.find("affected");
    if (affected == record.end() || !affected->is_array())
        return advisory;
    for (const auto& entry : *affected) {
        if (!entry.is_object())
            continue;
        const auto package = entry.find("package");
        if (package == entry.end() || !package->is_object())
            continue;
        // LIMITATION: only PyPI and npm advisories are stored; entries for
        // other ecosystems are skipped at import and counted in `db status`.
        const auto ecosystem = parse_ecosystem(string_field(*package, "ecosystem"));
        const auto name = string_field(*package, "name");
        if (!ecosystem || name.empty()) {
            if (skipped_entries)
                ++*skipped_entries;
            continue;
        }
        OsvAffected parsed;
        parsed.ecosystem = *ecosystem;
        parsed.name = normalize_name(*ecosystem, name);
        if (const auto ranges = entry.find("ranges"); ranges != entry.end())
            parsed.ranges = parse_ranges(*ranges);
        if (const auto versions = entry.find("versions");
            versions != entry.end() && versions->is_array()) {
            for (const auto& version : *versions) {
                if (version.is_string())
                    parsed.versions.push_back(version.get<std::string>());
            }
        }
        advisory.affected.push_back(std::move(parsed));
    }
    return advisory;
}

std::string ranges_to_json(const std::vector<OsvRange>& ranges) {
    json array = json::array();
    for (const auto& range : ranges) {
        json events = json::array();
        for (const auto& event : range.events)
            events.push_back(json{{std::string(kind_name(event.kind)), event.version}});
        array.push_back(json{{"type", "ECOSYSTEM"}, {"events", std::move(events)}});
    }
    return array.dump();
}

std::vector<OsvRange> ranges_from_json(std::string_view text) {
    const auto parsed = json::parse(text, nullptr, false);
    if (parsed.is_discarded())
        return {};
    return parse_ranges(parsed);
}

void prepare(OsvAffected& affected) {
    if (affected.ecosystem == Ecosystem::npm)
        affected.compiled = std::make_shared<const CompiledRanges>(
            CompiledRanges{compile<semver::Version>(affected)});
    else
        affected.compiled = std::make_shared<const CompiledRanges>(
            CompiledRanges{compile<pep440::Version>(affected)});
}

OsvMatch match_version(const OsvAffected& affected, std::string_view version) {
    if (affected.ecosystem == Ecosystem::npm)
        return match_exact<semver::Version>(affected, version);
    return match_exact<pep440::Version>(affected, version);
}

OsvMatch match_specifiers(const OsvAffected& affected, const pep440::SpecifierSet& requirement) {
    if (const auto pinned = requirement.pinned(); pinned && requirement.specifiers.size() == 1)
        return match_exact<pep440::Version>(affected, pinned->to_string());
    return match_admitted<pep440::Version>(
        affected, requirement.admitted(),
        [&](const pep440::Version& v) { return requirement.contains(v); });
}

OsvMatch match_npm_range(const OsvAffected& affected, const semver::Range& requirement) {
    if (const auto pinned = requirement.pinned())
        return match_exact<semver::Version>(affected, pinned->to_string());
    return match_admitted<semver::Version>(
        affected, requirement.admitted(),
        [&](const semver::Version& v) { return requirement.satisfies(v); });
}

std::optional<double> cvss3_base_score(std::string_view vector) {
    if (!vector.starts_with("CVSS:3."))
        return std::nullopt;
    std::map<std::string, std::string, std::less<>> metrics;
    size_t start = vector.find('/');
    while (start != std::string_view::npos) {
        const size_t end = vector.find('/', start + 1);
        const auto part = vector.substr(
            start + 1, end == std::string_view::npos ? std::string_view::npos : end - start - 1);
        if (const auto colon = part.find(':'); colon != std::string_view::npos)
            metrics[std::string(part.substr(0, colon))] = std::string(part.substr(colon + 1));
        start = end;
    }
    const auto get = [&](std::string_view key) -> std::string {
        const auto it = metrics.find(key);
        return it == metrics.end() ? std::string() : it->second;
    };
    const bool changed = get("S") == "C";
    const std::map<std::string, double, std::less<>> av = {
        {"N", 0.85}, {"A", 0.62}, {"L", 0.55}, {"P", 0.2}};
    const std::map<std::string, double, std::less<>> ac = {{"L", 0.77}, {"H", 0.44}};
    const std::map<std::string, double, std::less<>> pr = {
        {"N", 0.85}, {"L", changed ? 0.68 : 0.62}, {"H", changed ? 0.5 : 0.27}};
    const std::map<std::string, double, std::less<>> ui = {{"N", 0.85}, {"R", 0.62}};
    const std::map<std::string, double, std::less<>> cia = {{"H", 0.56}, {"L", 0.22}, {"N", 0.0}};
    const auto lookup = [&](const auto& table, std::string_view key) -> std::optional<double> {
        const auto it = table.find(get(key));
        if (it == table.end())
            return std::nullopt;
        return it->second;
    };
    const auto a_v = lookup(av, "AV"), a_c = lookup(ac, "AC"), p_r = lookup(pr, "PR"),
               u_i = lookup(ui, "UI"), c = lookup(cia, "C"), i = lookup(cia, "I"),
               a = lookup(cia, "A");
    if (!a_v || !a_c || !p_r || !u_i || !c || !i || !a || (get("S") != "U" && !changed))
        return std::nullopt;

    const double iss = 1 - (1 - *c) * (1 - *i) * (1 - *a);
    const double impact =
        changed ? 7.52 * (iss - 0.029) - 3.25 * std::pow(iss - 0.02, 15) : 6.42 * iss;
    const double exploitability = 8.22 * *a_v * *a_c * *p_r * *u_i;
    if (impact <= 0)
        return 0.0;
    const double raw = changed ? 1.08 * (impact + exploitability) : impact + exploitability;
    return round_up(std::min(raw, 10.0));
}

}  // namespace hazmat::deps
