#include "scan/deps/typosquat.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include "scan/deps/text.hpp"

namespace hazmat::deps {

namespace {

// Letters from other scripts that render like Latin ones, and fullwidth
// forms. The registries accept only ASCII names, but a name in a README or
// a manifest is read by a person first.
char confusable_ascii(uint32_t code_point) {
    struct Entry {
        uint32_t code_point;
        char ascii;
    };
    static constexpr Entry kTable[] = {
        // Cyrillic
        {0x0430, 'a'},
        {0x0410, 'a'},
        {0x0412, 'b'},
        {0x0432, 'b'},
        {0x0441, 'c'},
        {0x0421, 'c'},
        {0x0501, 'd'},
        {0x0435, 'e'},
        {0x0415, 'e'},
        {0x04BB, 'h'},
        {0x041D, 'h'},
        {0x0456, 'i'},
        {0x0406, 'l'},
        {0x0458, 'j'},
        {0x0408, 'j'},
        {0x043A, 'k'},
        {0x041A, 'k'},
        {0x04CF, 'l'},
        {0x041C, 'm'},
        {0x043C, 'm'},
        {0x043E, 'o'},
        {0x041E, 'o'},
        {0x0440, 'p'},
        {0x0420, 'p'},
        {0x0455, 's'},
        {0x0405, 's'},
        {0x0442, 't'},
        {0x0422, 't'},
        {0x0443, 'y'},
        {0x0423, 'y'},
        {0x0445, 'x'},
        {0x0425, 'x'},
        {0x051B, 'q'},
        {0x051D, 'w'},
        // Greek
        {0x03B1, 'a'},
        {0x0391, 'a'},
        {0x0392, 'b'},
        {0x0395, 'e'},
        {0x0396, 'z'},
        {0x0397, 'h'},
        {0x03B9, 'i'},
        {0x0399, 'l'},
        {0x03BA, 'k'},
        {0x039A, 'k'},
        {0x039C, 'm'},
        {0x039D, 'n'},
        {0x03BD, 'v'},
        {0x03BF, 'o'},
        {0x039F, 'o'},
        {0x03C1, 'p'},
        {0x03A1, 'p'},
        {0x03C4, 't'},
        {0x03A4, 't'},
        {0x03C5, 'u'},
        {0x03A5, 'y'},
        {0x03C7, 'x'},
        {0x03A7, 'x'},
        // Latin look-alikes
        {0x0131, 'i'},
        {0x0251, 'a'},
        {0x0261, 'g'},
        {0x026A, 'i'},
        {0x1D00, 'a'},
        {0x2113, 'l'},
        {0x217C, 'l'},
        {0x2170, 'i'},
        {0x00DF, 'b'},
    };
    if (code_point >= 0xFF01 && code_point <= 0xFF5E)
        return static_cast<char>(code_point - 0xFEE0);
    for (const auto& entry : kTable) {
        if (entry.code_point == code_point)
            return entry.ascii;
    }
    return '\0';
}

// Decodes one UTF-8 sequence; malformed bytes come back as themselves.
uint32_t next_code_point(std::string_view text, size_t& i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    size_t length = byte < 0x80           ? 1
                    : (byte >> 5) == 0x6  ? 2
                    : (byte >> 4) == 0xE  ? 3
                    : (byte >> 3) == 0x1E ? 4
                                          : 1;
    if (i + length > text.size())
        length = 1;
    uint32_t code = length == 1 ? byte : byte & (0x7F >> length);
    for (size_t k = 1; k < length; ++k)
        code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    i += length;
    return code;
}

bool is_separator(char c) {
    return c == '-' || c == '_' || c == '.';
}

std::string without_separators(std::string_view text) {
    std::string result;
    for (const char c : text) {
        if (!is_separator(c))
            result += c;
    }
    return result;
}

std::vector<std::string> deletions(std::string_view key) {
    std::vector<std::string> result;
    result.reserve(key.size());
    for (size_t i = 0; i < key.size(); ++i) {
        std::string variant(key.substr(0, i));
        variant += key.substr(i + 1);
        result.push_back(std::move(variant));
    }
    return result;
}

enum class EditKind { none, substitution, insertion, deletion, transposition };

// Which single edit turns `popular` into `declared`, if exactly one does.
EditKind single_edit(std::string_view declared, std::string_view popular) {
    if (declared == popular)
        return EditKind::none;
    if (declared.size() == popular.size()) {
        std::vector<size_t> differences;
        for (size_t i = 0; i < declared.size() && differences.size() <= 2; ++i) {
            if (declared[i] != popular[i])
                differences.push_back(i);
        }
        if (differences.size() == 1)
            return EditKind::substitution;
        if (differences.size() == 2 && differences[1] == differences[0] + 1 &&
            declared[differences[0]] == popular[differences[1]] &&
            declared[differences[1]] == popular[differences[0]])
            return EditKind::transposition;
        return EditKind::none;
    }
    const bool longer = declared.size() == popular.size() + 1;
    if (!longer && popular.size() != declared.size() + 1)
        return EditKind::none;
    const auto& big = longer ? declared : popular;
    const auto& small = longer ? popular : declared;
    size_t i = 0;
    while (i < small.size() && big[i] == small[i])
        ++i;
    if (big.substr(i + 1) != small.substr(i))
        return EditKind::none;
    return longer ? EditKind::insertion : EditKind::deletion;
}

std::string sorted_words(std::string_view key) {
    std::vector<std::string> words;
    std::string current;
    for (const char c : key) {
        if (is_separator(c)) {
            if (!current.empty())
                words.push_back(std::move(current));
            current.clear();
        } else {
            current += c;
        }
    }
    if (!current.empty())
        words.push_back(std::move(current));
    if (words.size() < 2)
        return {};
    std::sort(words.begin(), words.end());
    std::string joined;
    for (const auto& word : words)
        joined += (joined.empty() ? "" : "-") + word;
    return joined;
}

// Affixes that attackers attach to a popular name so the result reads as
// its Python or JavaScript flavour or its "next version".
constexpr std::string_view kPrefixes[] = {"python-", "python_", "python.", "python", "py-",
                                          "py_",     "py.",     "py",      "node-",  "js-"};
constexpr std::string_view kSuffixes[] = {"-python", "_python", "-py",  "_py", ".py", "py",
                                          "-js",     ".js",     "_js",  "js",  "-2",  "_2",
                                          "2",       "-node",   "-lib", "-dev"};

// Below these lengths one edit away is too often another honest package.
constexpr size_t kMinTypoLength = 5;
constexpr size_t kMinSwapLength = 4;
constexpr size_t kMinAffixedLength = 4;

}  // namespace

std::string_view to_string(LookalikeKind kind) {
    switch (kind) {
        case LookalikeKind::typo:
            return "typo";
        case LookalikeKind::swap:
            return "swapped letters";
        case LookalikeKind::confusable:
            return "look-alike characters";
        case LookalikeKind::separators:
            return "separators";
        case LookalikeKind::combosquat:
            return "added affix";
        case LookalikeKind::word_order:
            return "reordered words";
        case LookalikeKind::scope:
            return "npm scope";
    }
    return "?";
}

std::string lookalike_skeleton(std::string_view name) {
    std::string ascii;
    for (size_t i = 0; i < name.size();) {
        const uint32_t code = next_code_point(name, i);
        char c = code < 0x80 ? static_cast<char>(code) : confusable_ascii(code);
        if (c == '\0')
            c = '?';
        // Digits and capitals that pass for letters in most fonts.
        if (c == 'I' || c == '1' || c == '|')
            c = 'l';
        else if (c == '0')
            c = 'o';
        ascii += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    std::string folded;
    for (size_t i = 0; i < ascii.size(); ++i) {
        if (is_separator(ascii[i]))
            continue;
        if (i + 1 < ascii.size() && ascii[i] == 'r' && ascii[i + 1] == 'n') {
            folded += 'm';
            ++i;
        } else if (i + 1 < ascii.size() && ascii[i] == 'v' && ascii[i + 1] == 'v') {
            folded += 'w';
            ++i;
        } else {
            folded += ascii[i];
        }
    }
    return folded;
}

PopularPackages::PopularPackages(Ecosystem ecosystem, std::vector<std::string> names)
    : ecosystem_(ecosystem), names_(std::move(names)) {
    keys_.reserve(names_.size());
    for (const auto& name : names_)
        keys_.push_back(normalize_name(ecosystem_, name));
    for (uint32_t id = 0; id < names_.size(); ++id) {
        const auto& key = keys_[id];
        if (!by_key_.emplace(key, id).second)
            continue;
        by_skeleton_.emplace(lookalike_skeleton(key), id);
        for (const auto& variant : deletions(key))
            by_deletion_.emplace_back(std::hash<std::string_view>{}(variant), id);
        if (auto words = sorted_words(key); !words.empty())
            by_words_.emplace(std::move(words), id);
        if (const auto slash = key.find('/'); key.starts_with('@') && slash != std::string::npos) {
            scoped_by_bare_[key.substr(slash + 1)].push_back(id);
            scoped_by_compact_.emplace(without_separators(key.substr(1)), id);
        }
    }
    std::sort(by_deletion_.begin(), by_deletion_.end());
}

void PopularPackages::for_each_deletion_match(std::string_view variant,
                                              const std::function<void(uint32_t)>& visit) const {
    const uint64_t hash = std::hash<std::string_view>{}(variant);
    auto it = std::lower_bound(by_deletion_.begin(), by_deletion_.end(),
                               std::pair<uint64_t, uint32_t>{hash, 0});
    for (; it != by_deletion_.end() && it->first == hash; ++it)
        visit(it->second);
}

Result<PopularPackages> PopularPackages::load(Ecosystem ecosystem,
                                              const std::filesystem::path& tsv) {
    std::ifstream in(tsv);
    if (!in)
        return Error{fmt::format("cannot read the popular-package list {}", tsv.string())};
    std::vector<std::pair<uint64_t, std::string>> rows;
    std::string line;
    bool header = true;
    bool ascending = true;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        const auto tab = line.find('\t');
        if (header) {
            header = false;
            if (tab == std::string::npos)
                return Error{fmt::format("{}: expected a tab-separated header", tsv.string())};
            ascending = line.substr(0, tab) == "rank";
            continue;
        }
        if (line.empty())
            continue;
        uint64_t number = 0;
        const auto field = std::string_view(line).substr(0, tab);
        const bool numeric =
            tab != std::string::npos && !field.empty() &&
            std::all_of(field.begin(), field.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!numeric || tab + 1 >= line.size())
            return Error{fmt::format("{}: malformed line '{}'", tsv.string(), line)};
        for (const char c : field)
            number = number * 10 + static_cast<uint64_t>(c - '0');
        rows.emplace_back(number, line.substr(tab + 1));
    }
    std::stable_sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
        return ascending ? a.first < b.first : a.first > b.first;
    });
    std::vector<std::string> names;
    names.reserve(rows.size());
    for (auto& row : rows)
        names.push_back(std::move(row.second));
    return PopularPackages(ecosystem, std::move(names));
}

std::optional<size_t> PopularPackages::rank(std::string_view name) const {
    const auto it = by_key_.find(normalize_name(ecosystem_, name));
    if (it == by_key_.end())
        return std::nullopt;
    return it->second + 1;
}

Lookalike PopularPackages::make(LookalikeKind kind, uint32_t id, std::string detail) const {
    return {kind, names_[id], id + size_t{1}, std::move(detail)};
}

std::optional<Lookalike> PopularPackages::lookalike(std::string_view name) const {
    const auto key = normalize_name(ecosystem_, name);
    if (key.size() < 3 || by_key_.contains(key))
        return std::nullopt;
    // A popular scoped name under another scope is scope confusion first,
    // whatever the scopes' difference looks like.
    if (key.starts_with('@')) {
        if (auto found = by_scope(key))
            return found;
    }
    if (auto found = by_confusion(name, key))
        return found;
    if (auto found = by_scope(key))
        return found;
    // An affix explains "requests2" better than "one letter added" does.
    if (auto found = by_combination(key))
        return found;
    return by_edit(key);
}

std::optional<Lookalike> PopularPackages::by_confusion(std::string_view name,
                                                       const std::string& key) const {
    const auto it = by_skeleton_.find(lookalike_skeleton(name));
    if (it == by_skeleton_.end())
        return std::nullopt;
    const auto& popular = names_[it->second];
    if (without_separators(lower(name)) == without_separators(normalize_name(ecosystem_, popular)))
        return make(LookalikeKind::separators, it->second,
                    fmt::format("'{}' and '{}' differ only in separators", name, popular));
    (void)key;
    return make(LookalikeKind::confusable, it->second,
                fmt::format("'{}' renders like '{}' (look-alike characters)", name, popular));
}

std::optional<Lookalike> PopularPackages::by_edit(const std::string& key) const {
    if (key.size() < kMinSwapLength)
        return std::nullopt;
    std::optional<uint32_t> best;
    EditKind best_edit = EditKind::none;
    const auto consider = [&](uint32_t id) {
        if (best && *best <= id)
            return;
        const auto& popular = keys_[id];
        const auto edit = single_edit(key, popular);
        if (edit == EditKind::none)
            return;
        const size_t shorter = std::min(key.size(), popular.size());
        if (edit != EditKind::transposition && shorter < kMinTypoLength)
            return;
        best = id;
        best_edit = edit;
    };
    // Declared has one letter more: dropping it gives the popular name.
    const auto variants = deletions(key);
    for (const auto& variant : variants) {
        if (const auto it = by_key_.find(variant); it != by_key_.end())
            consider(it->second);
    }
    // Declared has one letter less.
    for_each_deletion_match(key, consider);
    // Same length: a changed or swapped letter leaves a common deletion.
    for (const auto& variant : variants)
        for_each_deletion_match(variant, consider);
    if (!best)
        return std::nullopt;
    const auto& popular = names_[*best];
    if (best_edit == EditKind::transposition)
        return make(LookalikeKind::swap, *best,
                    fmt::format("'{}' is '{}' with two adjacent letters swapped", key, popular));
    const auto* what = best_edit == EditKind::insertion  ? "one letter added"
                       : best_edit == EditKind::deletion ? "one letter dropped"
                                                         : "one letter changed";
    return make(LookalikeKind::typo, *best,
                fmt::format("'{}' is '{}' with {}", key, popular, what));
}

std::optional<Lookalike> PopularPackages::by_scope(const std::string& key) const {
    if (ecosystem_ != Ecosystem::npm)
        return std::nullopt;
    if (key.starts_with('@')) {
        const auto slash = key.find('/');
        if (slash == std::string::npos)
            return std::nullopt;
        const auto scope = key.substr(1, slash - 1);
        const auto bare = key.substr(slash + 1);
        // The same package name under a scope one edit away or spelled with
        // look-alike characters ("@typescript_eslint/parser").
        const auto candidates = scoped_by_bare_.find(bare);
        if (candidates == scoped_by_bare_.end())
            return std::nullopt;
        for (const auto id : candidates->second) {
            const auto& popular = keys_[id];
            const auto popular_scope = popular.substr(1, popular.find('/') - 1);
            const bool similar = single_edit(scope, popular_scope) != EditKind::none ||
                                 lookalike_skeleton(scope) == lookalike_skeleton(popular_scope);
            if (similar && popular_scope != scope)
                return make(LookalikeKind::scope, id,
                            fmt::format("'{}' puts '{}' under the scope '@{}' instead of '@{}'",
                                        key, bare, scope, popular_scope));
        }
        return std::nullopt;
    }
    // A scoped package with its scope folded into the name ("babel-core"
    // for "@babel/core").
    if (const auto it = scoped_by_compact_.find(without_separators(key));
        it != scoped_by_compact_.end())
        return make(LookalikeKind::scope, it->second,
                    fmt::format("'{}' is '{}' without its scope", key, names_[it->second]));
    return std::nullopt;
}

std::optional<Lookalike> PopularPackages::by_combination(const std::string& key) const {
    const auto popular_remainder = [&](std::string_view remainder) -> std::optional<uint32_t> {
        while (!remainder.empty() && is_separator(remainder.front()))
            remainder.remove_prefix(1);
        while (!remainder.empty() && is_separator(remainder.back()))
            remainder.remove_suffix(1);
        if (remainder.size() < kMinAffixedLength)
            return std::nullopt;
        const auto it = by_key_.find(normalize_name(ecosystem_, remainder));
        if (it == by_key_.end())
            return std::nullopt;
        return it->second;
    };
    for (const auto prefix : kPrefixes) {
        if (key.starts_with(prefix)) {
            if (const auto id = popular_remainder(std::string_view(key).substr(prefix.size())))
                return make(
                    LookalikeKind::combosquat, *id,
                    fmt::format("'{}' is '{}' with '{}' in front", key, names_[*id], prefix));
        }
    }
    for (const auto suffix : kSuffixes) {
        if (key.ends_with(suffix)) {
            if (const auto id =
                    popular_remainder(std::string_view(key).substr(0, key.size() - suffix.size())))
                return make(
                    LookalikeKind::combosquat, *id,
                    fmt::format("'{}' is '{}' with '{}' appended", key, names_[*id], suffix));
        }
    }
    if (const auto words = sorted_words(key); !words.empty()) {
        if (const auto it = by_words_.find(words); it != by_words_.end())
            return make(LookalikeKind::word_order, it->second,
                        fmt::format("'{}' has the words of '{}' in another order", key,
                                    names_[it->second]));
    }
    return std::nullopt;
}

}  // namespace hazmat::deps
