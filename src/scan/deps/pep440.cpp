#include "scan/deps/pep440.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace hazmat::deps::pep440 {

namespace {

// Orders missing components the way PEP 440 sorts them: a tier below or
// above every present value, or the value itself.
enum class Tier : uint8_t { below, value, above };

std::strong_ordering compare_release(const std::vector<uint64_t>& a,
                                     const std::vector<uint64_t>& b) {
    const size_t length = std::max(a.size(), b.size());
    for (size_t i = 0; i < length; ++i) {
        const uint64_t left = i < a.size() ? a[i] : 0;
        const uint64_t right = i < b.size() ? b[i] : 0;
        if (left != right)
            return left <=> right;
    }
    return std::strong_ordering::equal;
}

// A bare ".devN" release sorts before every pre-release of the same release;
// a final release sorts after them.
std::tuple<Tier, char, uint64_t> pre_key(const Version& v) {
    if (!v.pre && !v.post && v.dev)
        return {Tier::below, 0, 0};
    if (!v.pre)
        return {Tier::above, 0, 0};
    return {Tier::value, v.pre->kind, v.pre->number};
}

std::pair<Tier, uint64_t> post_key(const Version& v) {
    return v.post ? std::pair{Tier::value, *v.post} : std::pair{Tier::below, uint64_t{0}};
}

std::pair<Tier, uint64_t> dev_key(const Version& v) {
    return v.dev ? std::pair{Tier::value, *v.dev} : std::pair{Tier::above, uint64_t{0}};
}

std::strong_ordering compare_local_part(const Version::LocalPart& a, const Version::LocalPart& b) {
    const bool a_number = std::holds_alternative<uint64_t>(a);
    const bool b_number = std::holds_alternative<uint64_t>(b);
    if (a_number && b_number)
        return std::get<uint64_t>(a) <=> std::get<uint64_t>(b);
    if (a_number != b_number)
        return a_number ? std::strong_ordering::greater : std::strong_ordering::less;
    return std::get<std::string>(a).compare(std::get<std::string>(b)) <=> 0;
}

std::strong_ordering compare_local(const Version& a, const Version& b) {
    const size_t common = std::min(a.local.size(), b.local.size());
    for (size_t i = 0; i < common; ++i) {
        if (const auto order = compare_local_part(a.local[i], b.local[i]); order != 0)
            return order;
    }
    return a.local.size() <=> b.local.size();
}

std::strong_ordering compare_beyond(const Version& a, const Version& b, Version::Beyond level) {
    const bool a_beyond = a.beyond == level;
    const bool b_beyond = b.beyond == level;
    if (a_beyond == b_beyond)
        return std::strong_ordering::equal;
    return a_beyond ? std::strong_ordering::greater : std::strong_ordering::less;
}

// Reads a version left to right the way the PEP 440 grammar does, including
// its optional separators and implicit zero numbers. Input is lower-cased.
class VersionReader {
  public:
    explicit VersionReader(std::string_view text) : text_(text) {}

    Result<Version> read() {
        Version version;
        eat('v');
        auto first = number();
        if (!first)
            return fail("expected a release number");
        if (eat('!')) {
            version.epoch = *first;
            first = number();
            if (!first)
                return fail("expected a release number after the epoch");
        }
        version.release.push_back(*first);
        while (peek() == '.' && is_digit(peek(1))) {
            ++pos_;
            version.release.push_back(*number());
        }
        if (overflow_)
            return fail("number too large");
        read_pre(version);
        read_post(version);
        read_dev(version);
        if (eat('+') && !read_local(version))
            return fail("malformed local version label");
        if (overflow_)
            return fail("number too large");
        if (pos_ != text_.size())
            return fail(fmt::format("unexpected '{}'", text_.substr(pos_)));
        return version;
    }

  private:
    static bool is_digit(char c) { return c >= '0' && c <= '9'; }
    static bool is_separator(char c) { return c == '.' || c == '-' || c == '_'; }
    static bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z'); }

    char peek(size_t ahead = 0) const {
        return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
    }
    bool eat(char c) {
        if (peek() != c)
            return false;
        ++pos_;
        return true;
    }
    bool eat_separator() {
        if (!is_separator(peek()))
            return false;
        ++pos_;
        return true;
    }
    bool eat_word(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word)
            return false;
        pos_ += word.size();
        return true;
    }
    std::optional<uint64_t> number() {
        if (!is_digit(peek()))
            return std::nullopt;
        uint64_t value = 0;
        while (is_digit(peek())) {
            const uint64_t digit = static_cast<uint64_t>(peek() - '0');
            if (value > (UINT64_MAX - digit) / 10)
                overflow_ = true;
            value = value * 10 + digit;
            ++pos_;
        }
        return value;
    }
    // "[-_.]?N?" after a label: the separator belongs to the number only if
    // a number follows; otherwise the next component may claim it.
    uint64_t implicit_number() {
        const size_t save = pos_;
        eat_separator();
        if (auto value = number())
            return *value;
        pos_ = save;
        return 0;
    }

    void read_pre(Version& version) {
        const size_t save = pos_;
        eat_separator();
        // Longer spellings first: "alpha" before "a", "preview" before "pre".
        static constexpr std::pair<std::string_view, char> kLabels[] = {
            {"alpha", 'a'},   {"a", 'a'},   {"beta", 'b'}, {"b", 'b'},
            {"preview", 'c'}, {"pre", 'c'}, {"rc", 'c'},   {"c", 'c'},
        };
        for (const auto& [label, kind] : kLabels) {
            if (eat_word(label)) {
                version.pre = Version::Pre{kind, implicit_number()};
                return;
            }
        }
        pos_ = save;
    }

    void read_post(Version& version) {
        const size_t save = pos_;
        if (peek() == '-' && is_digit(peek(1))) {
            ++pos_;
            version.post = number();
            return;
        }
        eat_separator();
        for (const std::string_view label : {"post", "rev", "r"}) {
            if (eat_word(label)) {
                version.post = implicit_number();
                return;
            }
        }
        pos_ = save;
    }

    void read_dev(Version& version) {
        const size_t save = pos_;
        eat_separator();
        if (eat_word("dev")) {
            version.dev = implicit_number();
            return;
        }
        pos_ = save;
    }

    bool read_local(Version& version) {
        do {
            const size_t start = pos_;
            while (is_alnum(peek()))
                ++pos_;
            if (pos_ == start)
                return false;
            const auto part = text_.substr(start, pos_ - start);
            const bool numeric = std::all_of(part.begin(), part.end(), is_digit);
            if (numeric && part.size() <= 19) {
                uint64_t value = 0;
                for (const char c : part)
                    value = value * 10 + static_cast<uint64_t>(c - '0');
                version.local.emplace_back(value);
            } else {
                version.local.emplace_back(std::string(part));
            }
        } while (eat_separator());
        return true;
    }

    Error fail(std::string why) const { return Error{std::move(why)}; }

    std::string_view text_;
    size_t pos_ = 0;
    bool overflow_ = false;
};

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
        text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.remove_suffix(1);
    return text;
}

std::string lower(std::string_view text) {
    std::string result(text);
    for (auto& c : result)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return result;
}

Version with_beyond(Version version, Version::Beyond beyond) {
    version.beyond = beyond;
    return version;
}

// The smallest version whose release starts with `release`: "1.4.dev0".
Version family_floor(uint64_t epoch, std::vector<uint64_t> release) {
    Version floor;
    floor.epoch = epoch;
    floor.release = std::move(release);
    floor.dev = 0;
    return floor;
}

// The smallest version above every version whose release starts with `prefix`.
Version family_ceiling(uint64_t epoch, std::vector<uint64_t> prefix) {
    ++prefix.back();
    return family_floor(epoch, std::move(prefix));
}

// Tokens that "==P.*" compares: the epoch, each release number, then the
// pre, post and dev suffixes, as the `packaging` library splits them.
std::vector<std::string> prefix_tokens(const Version& version, size_t release_length) {
    std::vector<std::string> tokens;
    tokens.push_back(std::to_string(version.epoch));
    for (size_t i = 0; i < std::max(release_length, version.release.size()); ++i)
        tokens.push_back(std::to_string(i < version.release.size() ? version.release[i] : 0));
    if (version.pre)
        tokens.push_back(fmt::format("{}{}",
                                     version.pre->kind == 'c'   ? "rc"
                                     : version.pre->kind == 'a' ? "a"
                                                                : "b",
                                     version.pre->number));
    if (version.post)
        tokens.push_back(fmt::format("post{}", *version.post));
    if (version.dev)
        tokens.push_back(fmt::format("dev{}", *version.dev));
    return tokens;
}

bool prefix_matches(const Version& candidate, const Version& prefix) {
    const auto wanted = prefix_tokens(prefix, 0);
    const auto have = prefix_tokens(candidate.public_version(), prefix.release.size());
    if (have.size() < wanted.size())
        return false;
    return std::equal(wanted.begin(), wanted.end(), have.begin());
}

bool equal_matches(const Version& candidate, const Version& spec) {
    if (!spec.has_local())
        return candidate.public_version() == spec;
    return candidate == spec;
}

}  // namespace

Version Version::base() const {
    Version result;
    result.epoch = epoch;
    result.release = release;
    return result;
}

Version Version::public_version() const {
    Version result = *this;
    result.local.clear();
    return result;
}

std::string Version::to_string() const {
    std::string text;
    if (epoch != 0)
        text += fmt::format("{}!", epoch);
    for (size_t i = 0; i < release.size(); ++i)
        text += fmt::format("{}{}", i == 0 ? "" : ".", release[i]);
    if (pre)
        text +=
            fmt::format("{}{}", pre->kind == 'c' ? "rc" : std::string(1, pre->kind), pre->number);
    if (post)
        text += fmt::format(".post{}", *post);
    if (dev)
        text += fmt::format(".dev{}", *dev);
    for (size_t i = 0; i < local.size(); ++i) {
        text += i == 0 ? '+' : '.';
        if (const auto* number = std::get_if<uint64_t>(&local[i]))
            text += std::to_string(*number);
        else
            text += std::get<std::string>(local[i]);
    }
    return text;
}

std::strong_ordering operator<=>(const Version& a, const Version& b) {
    if (a.epoch != b.epoch)
        return a.epoch <=> b.epoch;
    if (const auto order = compare_release(a.release, b.release); order != 0)
        return order;
    if (a.beyond == Version::Beyond::release_family || b.beyond == Version::Beyond::release_family)
        return compare_beyond(a, b, Version::Beyond::release_family);
    if (const auto order = pre_key(a) <=> pre_key(b); order != 0)
        return order;
    if (const auto order = post_key(a) <=> post_key(b); order != 0)
        return order;
    if (const auto order = dev_key(a) <=> dev_key(b); order != 0)
        return order;
    if (a.beyond == Version::Beyond::local_variants || b.beyond == Version::Beyond::local_variants)
        return compare_beyond(a, b, Version::Beyond::local_variants);
    return compare_local(a, b);
}

Result<Version> parse_version(std::string_view text) {
    const auto trimmed = trim(text);
    if (trimmed.empty())
        return Error{"empty version"};
    auto parsed = VersionReader(lower(trimmed)).read();
    if (!parsed)
        return Error{
            fmt::format("'{}' is not a PEP 440 version: {}", trimmed, parsed.error().message)};
    return parsed;
}

std::string_view to_string(Operator op) {
    switch (op) {
        case Operator::compatible:
            return "~=";
        case Operator::equal:
            return "==";
        case Operator::not_equal:
            return "!=";
        case Operator::less_equal:
            return "<=";
        case Operator::greater_equal:
            return ">=";
        case Operator::less:
            return "<";
        case Operator::greater:
            return ">";
        case Operator::arbitrary:
            return "===";
    }
    return "?";
}

bool Specifier::allows_prereleases() const {
    if (op == Operator::not_equal)
        return false;
    if (op == Operator::arbitrary) {
        const auto parsed = parse_version(version_text);
        return parsed && parsed->is_prerelease();
    }
    return version.is_prerelease();
}

bool Specifier::contains(const Version& candidate, bool prereleases) const {
    if (!prereleases && !allows_prereleases() && candidate.is_prerelease())
        return false;
    switch (op) {
        case Operator::compatible: {
            Version prefix;
            prefix.epoch = version.epoch;
            prefix.release.assign(version.release.begin(), version.release.end() - 1);
            return candidate.public_version() >= version && prefix_matches(candidate, prefix);
        }
        case Operator::equal:
            return wildcard ? prefix_matches(candidate, version)
                            : equal_matches(candidate, version);
        case Operator::not_equal:
            return wildcard ? !prefix_matches(candidate, version)
                            : !equal_matches(candidate, version);
        case Operator::less_equal:
            return candidate.public_version() <= version;
        case Operator::greater_equal:
            return candidate.public_version() >= version;
        case Operator::less:
            // "<V" must not admit V's own pre-releases unless V is one (PEP 440).
            if (!(candidate < version))
                return false;
            return version.is_prerelease() || !candidate.is_prerelease() ||
                   candidate.base() != version.base();
        case Operator::greater:
            // ">V" must not admit V's post-releases (unless V is one) or local
            // variants of V.
            if (!(candidate > version))
                return false;
            if (!version.is_postrelease() && candidate.is_postrelease() &&
                candidate.base() == version.base())
                return false;
            return !(candidate.has_local() && candidate.base() == version.base());
        case Operator::arbitrary:
            return lower(candidate.to_string()) == lower(version_text);
    }
    return false;
}

VersionSet<Version> Specifier::admitted() const {
    using I = Interval<Version>;
    using B = Bound<Version>;
    const auto at_or_above = [](const Version& v) { return I{B{v, true}, std::nullopt}; };
    switch (op) {
        case Operator::compatible: {
            std::vector<uint64_t> prefix(version.release.begin(), version.release.end() - 1);
            return {I{B{version, true}, B{family_ceiling(version.epoch, prefix), false}}};
        }
        case Operator::equal:
            if (wildcard)
                return {I{B{family_floor(version.epoch, version.release), true},
                          B{family_ceiling(version.epoch, version.release), false}}};
            if (version.has_local())
                return {I::exactly(version)};
            return {I{B{version, true},
                      B{with_beyond(version, Version::Beyond::local_variants), true}}};
        case Operator::not_equal:
            if (wildcard)
                return {I{std::nullopt, B{family_floor(version.epoch, version.release), false}},
                        at_or_above(family_ceiling(version.epoch, version.release))};
            if (version.has_local())
                return {I{std::nullopt, B{version, false}}, I{B{version, false}, std::nullopt}};
            return {
                I{std::nullopt, B{version, false}},
                I{B{with_beyond(version, Version::Beyond::local_variants), false}, std::nullopt}};
        case Operator::less_equal:
            return {
                I{std::nullopt, B{with_beyond(version, Version::Beyond::local_variants), true}}};
        case Operator::greater_equal:
            return {at_or_above(version)};
        case Operator::less: {
            if (version.is_prerelease())
                return {I{std::nullopt, B{version, false}}};
            VersionSet<Version> set = {
                I{std::nullopt, B{family_floor(version.epoch, version.release), false}}};
            if (version.base() < version)
                set.push_back(I{B{version.base(), true}, B{version, false}});
            return set;
        }
        case Operator::greater: {
            const bool plain_release = !version.is_postrelease() && !version.is_prerelease();
            const auto beyond =
                plain_release ? Version::Beyond::release_family : Version::Beyond::local_variants;
            return {I{B{with_beyond(version, beyond), false}, std::nullopt}};
        }
        case Operator::arbitrary: {
            // An arbitrary string that is not a version cannot be placed in
            // the order; admitting everything keeps the question conservative.
            const auto parsed = parse_version(version_text);
            if (!parsed)
                return {I::everything()};
            return {I::exactly(*parsed)};
        }
    }
    return {I::everything()};
}

std::string Specifier::to_string() const {
    return fmt::format("{}{}", pep440::to_string(op), version_text);
}

bool SpecifierSet::contains(const Version& candidate) const {
    const bool prereleases = std::any_of(specifiers.begin(), specifiers.end(),
                                         [](const Specifier& s) { return s.allows_prereleases(); });
    return contains(candidate, prereleases);
}

bool SpecifierSet::contains(const Version& candidate, bool prereleases) const {
    if (!prereleases && candidate.is_prerelease())
        return false;
    return std::all_of(specifiers.begin(), specifiers.end(),
                       [&](const Specifier& s) { return s.contains(candidate, true); });
}

VersionSet<Version> SpecifierSet::admitted() const {
    VersionSet<Version> set = {Interval<Version>::everything()};
    for (const auto& specifier : specifiers)
        set = intersect(set, specifier.admitted());
    return set;
}

std::optional<Version> SpecifierSet::pinned() const {
    for (const auto& specifier : specifiers) {
        if (specifier.op == Operator::equal && !specifier.wildcard)
            return specifier.version;
        if (specifier.op == Operator::arbitrary) {
            if (auto parsed = parse_version(specifier.version_text))
                return *parsed;
        }
    }
    return std::nullopt;
}

std::string SpecifierSet::to_string() const {
    std::string text;
    for (const auto& specifier : specifiers) {
        if (!text.empty())
            text += ',';
        text += specifier.to_string();
    }
    return text;
}

namespace {

Result<Specifier> parse_specifier(std::string_view text) {
    static constexpr std::pair<std::string_view, Operator> kOperators[] = {
        {"===", Operator::arbitrary}, {"~=", Operator::compatible}, {"==", Operator::equal},
        {"!=", Operator::not_equal},  {"<=", Operator::less_equal}, {">=", Operator::greater_equal},
        {"<", Operator::less},        {">", Operator::greater},
    };
    Specifier specifier;
    bool found = false;
    for (const auto& [spelling, op] : kOperators) {
        if (text.starts_with(spelling)) {
            specifier.op = op;
            text.remove_prefix(spelling.size());
            found = true;
            break;
        }
    }
    if (!found)
        return Error{fmt::format("'{}' has no comparison operator", text)};
    text = trim(text);
    if (text.empty())
        return Error{fmt::format("'{}' has no version", to_string(specifier.op))};
    specifier.version_text = std::string(text);
    if (specifier.op == Operator::arbitrary) {
        if (std::any_of(text.begin(), text.end(),
                        [](char c) { return std::isspace(static_cast<unsigned char>(c)); }))
            return Error{fmt::format("'==={}' contains whitespace", text)};
        return specifier;
    }

    const bool may_wildcard =
        specifier.op == Operator::equal || specifier.op == Operator::not_equal;
    if (may_wildcard && text.ends_with(".*")) {
        specifier.wildcard = true;
        text.remove_suffix(2);
    }
    auto version = parse_version(text);
    if (!version)
        return version.error();
    specifier.version = std::move(version).value();
    const auto& v = specifier.version;
    if (specifier.wildcard && (v.pre || v.post || v.dev || v.has_local()))
        return Error{fmt::format("'{}' : a wildcard applies to a release number only",
                                 specifier.to_string())};
    if (!may_wildcard && v.has_local())
        return Error{fmt::format("'{}': local versions are allowed only with == and !=",
                                 specifier.to_string())};
    if (specifier.op == Operator::compatible && v.release.size() < 2)
        return Error{
            fmt::format("'{}': ~= needs at least two release numbers", specifier.to_string())};
    return specifier;
}

}  // namespace

Result<SpecifierSet> parse_specifiers(std::string_view text) {
    SpecifierSet set;
    text = trim(text);
    if (text.empty())
        return set;
    size_t start = 0;
    while (start <= text.size()) {
        const size_t comma = text.find(',', start);
        const auto piece = trim(text.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (piece.empty())
            return Error{fmt::format("'{}': empty specifier between commas", text)};
        auto specifier = parse_specifier(piece);
        if (!specifier)
            return specifier.error();
        set.specifiers.push_back(std::move(specifier).value());
        if (comma == std::string_view::npos)
            break;
        start = comma + 1;
    }
    return set;
}

}  // namespace hazmat::deps::pep440
