#include "scan/deps/semver.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace hazmat::deps::semver {

namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_identifier_char(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
        text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.remove_suffix(1);
    return text;
}

std::optional<uint64_t> parse_number(std::string_view digits) {
    if (digits.empty() || digits.size() > 16 ||
        !std::all_of(digits.begin(), digits.end(), is_digit))
        return std::nullopt;
    uint64_t value = 0;
    for (const char c : digits)
        value = value * 10 + static_cast<uint64_t>(c - '0');
    return value;
}

// "0" or a number without leading zeros, as SemVer requires.
std::optional<uint64_t> parse_strict_number(std::string_view digits) {
    if (digits.size() > 1 && digits.front() == '0')
        return std::nullopt;
    return parse_number(digits);
}

Result<std::vector<Version::Identifier>> parse_prerelease(std::string_view text) {
    std::vector<Version::Identifier> identifiers;
    size_t start = 0;
    while (true) {
        const size_t dot = text.find('.', start);
        const auto part = text.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (part.empty() || !std::all_of(part.begin(), part.end(), is_identifier_char))
            return Error{fmt::format("malformed pre-release '{}'", text)};
        if (std::all_of(part.begin(), part.end(), is_digit)) {
            const auto number = parse_strict_number(part);
            if (!number)
                return Error{fmt::format("malformed numeric identifier '{}'", part)};
            identifiers.emplace_back(*number);
        } else {
            identifiers.emplace_back(std::string(part));
        }
        if (dot == std::string_view::npos)
            break;
        start = dot + 1;
    }
    return identifiers;
}

std::strong_ordering compare_identifier(const Version::Identifier& a,
                                        const Version::Identifier& b) {
    const bool a_number = std::holds_alternative<uint64_t>(a);
    const bool b_number = std::holds_alternative<uint64_t>(b);
    if (a_number && b_number)
        return std::get<uint64_t>(a) <=> std::get<uint64_t>(b);
    if (a_number != b_number)
        return a_number ? std::strong_ordering::less : std::strong_ordering::greater;
    return std::get<std::string>(a).compare(std::get<std::string>(b)) <=> 0;
}

// A possibly partial version inside a range: "1", "1.2", "1.x", "*",
// "1.2.3-beta.1". Missing or wildcard parts are unset.
struct Partial {
    std::optional<uint64_t> major, minor, patch;
    std::vector<Version::Identifier> prerelease;
    bool any() const { return !major; }

    Version floor() const {
        Version v;
        v.major = major.value_or(0);
        v.minor = minor.value_or(0);
        v.patch = patch.value_or(0);
        v.prerelease = prerelease;
        return v;
    }
};

bool is_wildcard(std::string_view part) {
    return part == "x" || part == "X" || part == "*";
}

Result<Partial> parse_partial(std::string_view text) {
    while (!text.empty() && (text.front() == 'v' || text.front() == '=' || text.front() == ' '))
        text.remove_prefix(1);
    Partial partial;
    if (text.empty())
        return Error{"missing version"};
    if (const auto plus = text.find('+'); plus != std::string_view::npos)
        text = text.substr(0, plus);

    std::string_view core = text;
    std::string_view prerelease;
    if (const auto dash = text.find('-'); dash != std::string_view::npos) {
        core = text.substr(0, dash);
        prerelease = text.substr(dash + 1);
    }
    std::optional<uint64_t>* slots[] = {&partial.major, &partial.minor, &partial.patch};
    size_t index = 0;
    size_t start = 0;
    bool wildcard_seen = false;
    while (true) {
        if (index == 3)
            return Error{fmt::format("'{}' has more than three parts", text)};
        const size_t dot = core.find('.', start);
        const auto part = core.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (is_wildcard(part)) {
            wildcard_seen = true;
        } else {
            const auto number = parse_number(part);
            if (!number || wildcard_seen)
                return Error{fmt::format("'{}' is not a version", text)};
            *slots[index] = *number;
        }
        ++index;
        if (dot == std::string_view::npos)
            break;
        start = dot + 1;
    }
    if (!prerelease.empty()) {
        if (!partial.patch)
            return Error{fmt::format("'{}': a pre-release needs a full version", text)};
        auto identifiers = parse_prerelease(prerelease);
        if (!identifiers)
            return identifiers.error();
        partial.prerelease = std::move(identifiers).value();
    }
    return partial;
}

Version make(uint64_t major, uint64_t minor, uint64_t patch, bool zero_prerelease = false) {
    Version v;
    v.major = major;
    v.minor = minor;
    v.patch = patch;
    if (zero_prerelease)
        v.prerelease.emplace_back(uint64_t{0});
    return v;
}

using Op = Comparator::Op;

void add(ComparatorSet& set, Op op, Version version) {
    set.comparators.push_back({op, std::move(version)});
}

// "~1.2.3" := ">=1.2.3 <1.3.0-0"; "~1.2" := ">=1.2.0 <1.3.0-0"; "~1" := ">=1.0.0 <2.0.0-0".
void expand_tilde(const Partial& p, ComparatorSet& set) {
    if (p.any())
        return;
    add(set, Op::greater_equal, p.floor());
    if (!p.minor)
        add(set, Op::less, make(*p.major + 1, 0, 0, true));
    else
        add(set, Op::less, make(*p.major, *p.minor + 1, 0, true));
}

// "^" allows changes that do not modify the left-most non-zero part.
void expand_caret(const Partial& p, ComparatorSet& set) {
    if (p.any())
        return;
    add(set, Op::greater_equal, p.floor());
    const uint64_t major = *p.major;
    if (!p.minor || major != 0) {
        add(set, Op::less, make(major + 1, 0, 0, true));
        return;
    }
    const uint64_t minor = *p.minor;
    if (!p.patch || minor != 0) {
        add(set, Op::less, make(0, minor + 1, 0, true));
        return;
    }
    add(set, Op::less, make(0, 0, *p.patch + 1, true));
}

// A primitive comparator whose version may be partial ("<1.2", ">=1.x", "1.2").
void expand_primitive(Op op, bool has_op, const Partial& p, ComparatorSet& set) {
    if (p.any()) {
        if (has_op && (op == Op::less || op == Op::greater))
            set.matches_nothing = true;
        return;
    }
    const bool partial = !p.minor || !p.patch;
    if (!partial) {
        add(set, op, p.floor());
        return;
    }
    if (!has_op || op == Op::equal) {
        // "1.2" := ">=1.2.0 <1.3.0-0"; "1" := ">=1.0.0 <2.0.0-0".
        add(set, Op::greater_equal, p.floor());
        if (!p.minor)
            add(set, Op::less, make(*p.major + 1, 0, 0, true));
        else
            add(set, Op::less, make(*p.major, *p.minor + 1, 0, true));
        return;
    }
    const auto next = [&] {
        return !p.minor ? make(*p.major + 1, 0, 0) : make(*p.major, *p.minor + 1, 0);
    };
    switch (op) {
        case Op::greater:  // ">1.2" := ">=1.3.0"
            add(set, Op::greater_equal, next());
            return;
        case Op::less_equal: {  // "<=1.2" := "<1.3.0-0"
            auto upper = next();
            upper.prerelease.emplace_back(uint64_t{0});
            add(set, Op::less, std::move(upper));
            return;
        }
        case Op::less: {  // "<1.2" := "<1.2.0-0"
            auto upper = p.floor();
            upper.prerelease.emplace_back(uint64_t{0});
            add(set, Op::less, std::move(upper));
            return;
        }
        case Op::greater_equal:
            add(set, Op::greater_equal, p.floor());
            return;
        case Op::equal:
            return;
    }
}

// "1.2.3 - 2.3": the upper end, when partial, includes everything it covers.
Result<ComparatorSet> expand_hyphen(std::string_view low_text, std::string_view high_text) {
    auto low = parse_partial(low_text);
    if (!low)
        return low.error();
    auto high = parse_partial(high_text);
    if (!high)
        return high.error();
    ComparatorSet set;
    if (!low->any())
        add(set, Op::greater_equal, low->floor());
    if (high->any())
        return set;
    if (!high->minor)
        add(set, Op::less, make(*high->major + 1, 0, 0, true));
    else if (!high->patch)
        add(set, Op::less, make(*high->major, *high->minor + 1, 0, true));
    else
        add(set, Op::less_equal, high->floor());
    return set;
}

Result<ComparatorSet> parse_comparator_set(std::string_view text) {
    // Hyphen range: exactly "A - B" with spaces around the dash.
    if (const auto hyphen = text.find(" - "); hyphen != std::string_view::npos)
        return expand_hyphen(trim(text.substr(0, hyphen)), trim(text.substr(hyphen + 3)));

    // Split into tokens, gluing operators to the version that follows
    // (">= 1.2.3" is one comparator, as npm reads it).
    std::vector<std::string> tokens;
    std::string pending;
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
            ++i;
        const size_t start = i;
        while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])))
            ++i;
        if (start == i)
            break;
        pending += text.substr(start, i - start);
        const bool operator_only = std::all_of(pending.begin(), pending.end(), [](char c) {
            return c == '<' || c == '>' || c == '=' || c == '~' || c == '^';
        });
        if (!operator_only) {
            tokens.push_back(std::move(pending));
            pending.clear();
        }
    }
    if (!pending.empty())
        return Error{fmt::format("'{}' ends with an operator", text)};

    ComparatorSet set;
    for (std::string_view token : tokens) {
        if (token.starts_with('~') || token.starts_with('^')) {
            const bool tilde = token.front() == '~';
            // "~>1.2" is an old spelling of "~1.2".
            token.remove_prefix(token.starts_with("~>") ? 2 : 1);
            auto partial = parse_partial(token);
            if (!partial)
                return partial.error();
            tilde ? expand_tilde(*partial, set) : expand_caret(*partial, set);
            continue;
        }
        Op op = Op::equal;
        bool has_op = true;
        if (token.starts_with(">=")) {
            op = Op::greater_equal;
            token.remove_prefix(2);
        } else if (token.starts_with("<=")) {
            op = Op::less_equal;
            token.remove_prefix(2);
        } else if (token.starts_with('>')) {
            op = Op::greater;
            token.remove_prefix(1);
        } else if (token.starts_with('<')) {
            op = Op::less;
            token.remove_prefix(1);
        } else if (token.starts_with('=')) {
            token.remove_prefix(1);
        } else {
            has_op = false;
        }
        auto partial = parse_partial(token);
        if (!partial)
            return partial.error();
        expand_primitive(op, has_op, *partial, set);
    }
    return set;
}

std::string_view to_string(Op op) {
    switch (op) {
        case Op::equal:
            return "=";
        case Op::less:
            return "<";
        case Op::less_equal:
            return "<=";
        case Op::greater:
            return ">";
        case Op::greater_equal:
            return ">=";
    }
    return "?";
}

bool set_satisfies(const ComparatorSet& set, const Version& candidate, bool include_prerelease) {
    if (set.matches_nothing)
        return false;
    for (const auto& comparator : set.comparators) {
        if (!comparator.matches(candidate))
            return false;
    }
    if (!candidate.is_prerelease() || include_prerelease)
        return true;
    // A pre-release is only admitted by a set that opts into pre-releases of
    // that very release ("^1.2.3-beta" admits 1.2.3-rc.1, not 1.3.0-rc.1).
    return std::any_of(set.comparators.begin(), set.comparators.end(), [&](const Comparator& c) {
        return c.version.is_prerelease() && c.version.same_release(candidate);
    });
}

}  // namespace

std::string Version::to_string() const {
    std::string text = fmt::format("{}.{}.{}", major, minor, patch);
    for (size_t i = 0; i < prerelease.size(); ++i) {
        text += i == 0 ? '-' : '.';
        if (const auto* number = std::get_if<uint64_t>(&prerelease[i]))
            text += std::to_string(*number);
        else
            text += std::get<std::string>(prerelease[i]);
    }
    if (!build.empty())
        text += "+" + build;
    return text;
}

std::strong_ordering operator<=>(const Version& a, const Version& b) {
    if (a.major != b.major)
        return a.major <=> b.major;
    if (a.minor != b.minor)
        return a.minor <=> b.minor;
    if (a.patch != b.patch)
        return a.patch <=> b.patch;
    // A pre-release sorts below the release itself.
    if (a.prerelease.empty() != b.prerelease.empty())
        return a.prerelease.empty() ? std::strong_ordering::greater : std::strong_ordering::less;
    const size_t common = std::min(a.prerelease.size(), b.prerelease.size());
    for (size_t i = 0; i < common; ++i) {
        if (const auto order = compare_identifier(a.prerelease[i], b.prerelease[i]); order != 0)
            return order;
    }
    return a.prerelease.size() <=> b.prerelease.size();
}

Result<Version> parse_version(std::string_view text) {
    text = trim(text);
    const auto original = text;
    if (text.starts_with('=') || text.starts_with('v'))
        text.remove_prefix(1);
    Version version;
    if (const auto plus = text.find('+'); plus != std::string_view::npos) {
        const auto build = text.substr(plus + 1);
        const bool valid = !build.empty() && std::all_of(build.begin(), build.end(), [](char c) {
            return is_identifier_char(c) || c == '.';
        });
        if (!valid || build.front() == '.' || build.back() == '.' ||
            build.find("..") != std::string_view::npos)
            return Error{fmt::format("'{}' has malformed build metadata", original)};
        version.build = std::string(build);
        text = text.substr(0, plus);
    }
    std::string_view core = text;
    if (const auto dash = text.find('-'); dash != std::string_view::npos) {
        core = text.substr(0, dash);
        auto prerelease = parse_prerelease(text.substr(dash + 1));
        if (!prerelease)
            return Error{fmt::format("'{}': {}", original, prerelease.error().message)};
        version.prerelease = std::move(prerelease).value();
    }
    uint64_t* fields[] = {&version.major, &version.minor, &version.patch};
    size_t start = 0;
    for (size_t index = 0; index < 3; ++index) {
        const size_t dot = core.find('.', start);
        if ((index < 2) == (dot == std::string_view::npos))
            return Error{fmt::format("'{}' is not MAJOR.MINOR.PATCH", original)};
        const auto part = core.substr(start, index < 2 ? dot - start : std::string_view::npos);
        const auto number = parse_strict_number(part);
        if (!number)
            return Error{fmt::format("'{}' is not MAJOR.MINOR.PATCH", original)};
        *fields[index] = *number;
        start = dot + 1;
    }
    return version;
}

bool Comparator::matches(const Version& candidate) const {
    const auto order = candidate <=> version;
    switch (op) {
        case Op::equal:
            return order == 0;
        case Op::less:
            return order < 0;
        case Op::less_equal:
            return order <= 0;
        case Op::greater:
            return order > 0;
        case Op::greater_equal:
            return order >= 0;
    }
    return false;
}

std::string Comparator::to_string() const {
    return fmt::format("{}{}", semver::to_string(op), version.to_string());
}

bool Range::satisfies(const Version& candidate, bool include_prerelease) const {
    return std::any_of(alternatives.begin(), alternatives.end(), [&](const ComparatorSet& set) {
        return set_satisfies(set, candidate, include_prerelease);
    });
}

VersionSet<Version> Range::admitted() const {
    VersionSet<Version> result;
    for (const auto& set : alternatives) {
        if (set.matches_nothing)
            continue;
        Interval<Version> interval;
        bool empty = false;
        for (const auto& c : set.comparators) {
            Interval<Version> one;
            switch (c.op) {
                case Op::equal:
                    one = Interval<Version>::exactly(c.version);
                    break;
                case Op::less:
                    one.upper = Bound<Version>{c.version, false};
                    break;
                case Op::less_equal:
                    one.upper = Bound<Version>{c.version, true};
                    break;
                case Op::greater:
                    one.lower = Bound<Version>{c.version, false};
                    break;
                case Op::greater_equal:
                    one.lower = Bound<Version>{c.version, true};
                    break;
            }
            interval = intersect(interval, one);
            empty = empty || interval.empty();
        }
        if (!empty)
            result.push_back(std::move(interval));
    }
    return result;
}

std::optional<Version> Range::pinned() const {
    if (alternatives.size() != 1 || alternatives.front().comparators.size() != 1)
        return std::nullopt;
    const auto& only = alternatives.front().comparators.front();
    if (only.op != Op::equal)
        return std::nullopt;
    return only.version;
}

std::string Range::to_string() const {
    std::string text;
    for (const auto& set : alternatives) {
        if (!text.empty())
            text += " || ";
        if (set.matches_nothing) {
            text += "<0.0.0-0";
            continue;
        }
        if (set.comparators.empty()) {
            text += "*";
            continue;
        }
        for (size_t i = 0; i < set.comparators.size(); ++i)
            text += (i == 0 ? "" : " ") + set.comparators[i].to_string();
    }
    return text;
}

Result<Range> parse_range(std::string_view text) {
    Range range;
    size_t start = 0;
    while (true) {
        const size_t bar = text.find("||", start);
        const auto piece =
            trim(text.substr(start, bar == std::string_view::npos ? bar : bar - start));
        auto set = parse_comparator_set(piece);
        if (!set)
            return Error{fmt::format("'{}' is not an npm version range: {}", trim(text),
                                     set.error().message)};
        range.alternatives.push_back(std::move(set).value());
        if (bar == std::string_view::npos)
            break;
        start = bar + 2;
    }
    return range;
}

}  // namespace hazmat::deps::semver
