#include "scan/secrets/detector.hpp"

#include <fmt/format.h>
#include <hs/hs.h>
#include <re2/re2.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <set>

#include "core/data_dir.hpp"
#include "core/finding.hpp"
#include "scan/secrets/validators.hpp"

namespace hazmat::secrets {

namespace fs = std::filesystem;

namespace {

// A PEM block's END line must follow its BEGIN line within this many bytes
// (a 16384-bit RSA key is about 12 KB of base64).
constexpr size_t kMaxPemBytes = 16 * 1024;
// Context (keywords, partners, ignore markers) is looked for at most this far
// from a match in each direction, whatever the line count says: a minified
// file is one line, and "within 3 lines" must not mean "anywhere".
constexpr size_t kMaxContextBytes = 2048;
// Large texts are matched in chunks so that the candidate lists stay small;
// chunks overlap by more than any match and its context.
constexpr size_t kChunkBytes = 64ull << 20;
constexpr size_t kChunkOverlap = 64 * 1024;
// More candidate matches than this in one chunk is pathological (crafted or
// degenerate content); matching stops and the result says so.
constexpr size_t kMaxHitsPerChunk = 4'000'000;

constexpr size_t kMaxBase64Bytes = 64 * 1024;

size_t base64_end(std::string_view text, size_t from) {
    const size_t limit = std::min(text.size(), from + kMaxBase64Bytes);
    while (from < limit) {
        const char c = text[from];
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=' &&
            c != '_' && c != '-')
            break;
        ++from;
    }
    return from;
}

struct DatabaseDeleter {
    void operator()(hs_database_t* db) const { hs_free_database(db); }
};
struct ScratchDeleter {
    void operator()(hs_scratch_t* scratch) const { hs_free_scratch(scratch); }
};
using Scratch = std::unique_ptr<hs_scratch_t, ScratchDeleter>;

// Compiling every rule into one database takes about a second, on every
// run. The compiled database is kept in the user's cache directory under a
// name derived from everything that went into it (the vectorscan version and
// platform, every expression with its flags and id), so any change to the
// rules or the library compiles afresh.
std::optional<fs::path> cache_file(const std::vector<std::string>& expressions,
                                   const std::vector<unsigned>& flags,
                                   const std::vector<unsigned>& ids) {
    const auto dir = user_cache_dir();
    if (!dir)
        return std::nullopt;
    hs_platform_info_t platform{};
    if (hs_populate_platform(&platform) != HS_SUCCESS)
        return std::nullopt;
    std::string material = hs_version();
    material.append(reinterpret_cast<const char*>(&platform), sizeof platform);
    for (size_t i = 0; i < expressions.size(); ++i)
        material += fmt::format("\n{}\t{}\t{}", ids[i], flags[i], expressions[i]);
    return *dir / fmt::format("secrets-{}.hsdb", sha256_hex(material).substr(0, 32));
}

// A cached database that cannot be deserialized (truncated, corrupted) is
// removed, compiled again and stored afresh.
hs_database_t* load_cached(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return nullptr;
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    hs_database_t* db = nullptr;
    if (hs_deserialize_database(bytes.data(), bytes.size(), &db) != HS_SUCCESS) {
        spdlog::debug("replacing the unreadable cached secret rules database {}", file.string());
        std::error_code ec;
        fs::remove(file, ec);
        return nullptr;
    }
    return db;
}

// Best effort: a cache that cannot be written costs the next run a compile.
// The file is written beside its final name and renamed, so a concurrent run
// reads either nothing or a whole database.
void store_cached(const fs::path& file, const hs_database_t* db) {
    std::error_code ec;
    if (fs::exists(file, ec))
        return;
    char* bytes = nullptr;
    size_t length = 0;
    if (hs_serialize_database(db, &bytes, &length) != HS_SUCCESS)
        return;
    const std::unique_ptr<char, decltype(&std::free)> owned(bytes, &std::free);
    fs::create_directories(file.parent_path(), ec);
    const auto temporary = file.string() + fmt::format(".{}.tmp", ::getpid());
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out.write(bytes, static_cast<std::streamsize>(length));
        if (!out) {
            fs::remove(temporary, ec);
            return;
        }
    }
    fs::rename(temporary, file, ec);
    if (ec)
        fs::remove(temporary, ec);
}

std::string escape_literal(std::string_view literal) {
    std::string out;
    for (const char c : literal) {
        if (!std::isalnum(static_cast<unsigned char>(c)))
            out += '\\';
        out += c;
    }
    return out;
}

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

enum class HitKind { rule, keyword, marker };

struct Hit {
    uint32_t id;  // index within its kind
    size_t end;   // absolute end offset in the text
};

struct Hits {
    std::vector<Hit> rules;
    std::vector<Hit> keywords;  // ascending by end (vectorscan reports in order)
    std::vector<Hit> markers;
    size_t base = 0;
    uint32_t keyword_base = 0;
    uint32_t marker_base = 0;
    bool overflow = false;
};

int on_match(unsigned int id, unsigned long long, unsigned long long to, unsigned int,
             void* context) {
    auto& hits = *static_cast<Hits*>(context);
    const Hit hit{id, hits.base + static_cast<size_t>(to)};
    if (id >= hits.marker_base) {
        hits.markers.push_back({id - hits.marker_base, hit.end});
    } else if (id >= hits.keyword_base) {
        hits.keywords.push_back({id - hits.keyword_base, hit.end});
    } else {
        hits.rules.push_back(hit);
    }
    const size_t total = hits.rules.size() + hits.keywords.size() + hits.markers.size();
    if (total > kMaxHitsPerChunk) {
        hits.overflow = true;
        return 1;
    }
    return 0;
}

struct Candidate {
    uint32_t rule;
    size_t match_begin;
    size_t begin;  // the secret
    size_t end;
    bool operator<(const Candidate& other) const {
        return std::tie(begin, end, rule) < std::tie(other.begin, other.end, other.rule);
    }
};

// Byte range covering `lines` lines before and after [begin, end), capped.
std::pair<size_t, size_t> context_range(std::string_view text, size_t begin, size_t end,
                                        uint32_t lines) {
    const size_t floor = begin > kMaxContextBytes ? begin - kMaxContextBytes : 0;
    size_t start = begin;
    for (uint32_t seen = 0; start > floor;) {
        if (text[start - 1] == '\n' && seen++ == lines)
            break;
        --start;
    }
    const size_t ceiling = std::min(text.size(), end + kMaxContextBytes);
    size_t stop = end;
    for (uint32_t seen = 0; stop < ceiling; ++stop) {
        if (text[stop] == '\n' && seen++ == lines)
            break;
    }
    return {start, stop};
}

}  // namespace

struct SecretDetector::Impl {
    SecretRuleSet set;
    std::unique_ptr<hs_database_t, DatabaseDeleter> database;
    Scratch prototype;
    std::vector<std::unique_ptr<RE2>> regexes;
    std::vector<size_t> max_width;
    std::vector<std::string> keywords;                 // lower-cased, unique
    std::vector<std::vector<uint32_t>> rule_keywords;  // per rule: keyword ids
    std::vector<int> partner;                          // per rule: rule index or -1
    std::vector<std::vector<uint32_t>> keyword_rules;  // per keyword: rules that need it
    std::vector<std::vector<uint32_t>> partner_of;     // per rule: rules it is the partner of
    mutable std::mutex pool_mutex;
    mutable std::vector<Scratch> pool;

    Scratch acquire() const {
        {
            const std::lock_guard lock(pool_mutex);
            if (!pool.empty()) {
                Scratch scratch = std::move(pool.back());
                pool.pop_back();
                return scratch;
            }
        }
        hs_scratch_t* clone = nullptr;
        if (hs_clone_scratch(prototype.get(), &clone) != HS_SUCCESS)
            throw std::bad_alloc();
        return Scratch(clone);
    }
    void release(Scratch scratch) const {
        const std::lock_guard lock(pool_mutex);
        pool.push_back(std::move(scratch));
    }

    Result<bool> compile();
    bool match(std::string_view text, size_t begin, size_t end, Hits& hits) const;
    void confirm(std::string_view text, const Hits& hits, size_t core_begin, size_t core_end,
                 bool binary, std::vector<Candidate>& out) const;
    std::optional<size_t> pem_end(std::string_view text, size_t header_end) const;
    bool has_context(std::string_view text, const Candidate& candidate, const Hits& hits,
                     const std::vector<Candidate>& partners, std::string& evidence) const;
    std::optional<Detection> judge(std::string_view text, const Candidate& candidate) const;
};

Result<bool> SecretDetector::Impl::compile() {
    std::vector<std::string> expressions;
    std::vector<unsigned> flags;
    std::map<std::string, uint32_t> keyword_ids;
    rule_keywords.resize(set.rules.size());
    partner.assign(set.rules.size(), -1);

    std::vector<unsigned> ids;
    for (size_t r = 0; r < set.rules.size(); ++r) {
        const auto& rule = set.rules[r];
        const unsigned rule_flags = rule.case_insensitive ? HS_FLAG_CASELESS : 0;
        // A rule that needs a keyword or a partner runs (with RE2) only on
        // the lines around one: shapes like "32 hexadecimal digits" match
        // everywhere and would slow the shared database down tenfold.
        const bool needs_context = !rule.keywords.empty() || !rule.partner.empty();
        if (!needs_context) {
            expressions.push_back(rule.pattern);
            flags.push_back(rule_flags);
            ids.push_back(static_cast<unsigned>(r));
        }
        hs_expr_info_t* info = nullptr;
        hs_compile_error_t* error = nullptr;
        if (hs_expression_info(rule.pattern.c_str(), rule_flags, &info, &error) != HS_SUCCESS) {
            const std::string message = error->message;
            hs_free_compile_error(error);
            return Error{fmt::format("secret rule {} ({}): pattern rejected by vectorscan: {}",
                                     rule.id, rule.name, message)};
        }
        const unsigned width = info->max_width;
        std::free(info);
        if (width == UINT_MAX)
            return Error{
                fmt::format("secret rule {} ({}): pattern has no maximum length; bound "
                            "every repetition",
                            rule.id, rule.name)};
        max_width.push_back(width);

        RE2::Options options;
        options.set_encoding(RE2::Options::EncodingLatin1);
        options.set_case_sensitive(!rule.case_insensitive);
        options.set_log_errors(false);
        auto regex = std::make_unique<RE2>(rule.pattern, options);
        if (!regex->ok())
            return Error{fmt::format("secret rule {} ({}): pattern rejected by RE2: {}", rule.id,
                                     rule.name, regex->error())};
        regexes.push_back(std::move(regex));

        for (const auto& keyword : rule.keywords) {
            const auto [it, inserted] =
                keyword_ids.try_emplace(lowercase(keyword), static_cast<uint32_t>(keywords.size()));
            if (inserted)
                keywords.push_back(it->first);
            rule_keywords[r].push_back(it->second);
        }
        if (!rule.partner.empty()) {
            for (size_t p = 0; p < set.rules.size(); ++p) {
                if (set.rules[p].name == rule.partner)
                    partner[r] = static_cast<int>(p);
            }
        }
    }
    keyword_rules.resize(keywords.size());
    partner_of.resize(set.rules.size());
    for (uint32_t r = 0; r < set.rules.size(); ++r) {
        for (const uint32_t k : rule_keywords[r])
            keyword_rules[k].push_back(r);
        if (partner[r] >= 0)
            partner_of[static_cast<size_t>(partner[r])].push_back(r);
    }
    const auto keyword_base = static_cast<unsigned>(set.rules.size());
    for (size_t k = 0; k < keywords.size(); ++k) {
        expressions.push_back(escape_literal(keywords[k]));
        flags.push_back(HS_FLAG_CASELESS);
        ids.push_back(keyword_base + static_cast<unsigned>(k));
    }
    const auto marker_base = keyword_base + static_cast<unsigned>(keywords.size());
    for (size_t m = 0; m < set.ignore_markers.size(); ++m) {
        expressions.push_back(escape_literal(set.ignore_markers[m]));
        flags.push_back(HS_FLAG_CASELESS);
        ids.push_back(marker_base + static_cast<unsigned>(m));
    }

    std::vector<const char*> pointers;
    for (const auto& expression : expressions)
        pointers.push_back(expression.c_str());
    const auto cached = cache_file(expressions, flags, ids);
    hs_database_t* db = cached ? load_cached(*cached) : nullptr;
    hs_compile_error_t* error = nullptr;
    if (db == nullptr && hs_compile_multi(pointers.data(), flags.data(), ids.data(),
                                          static_cast<unsigned>(pointers.size()), HS_MODE_BLOCK,
                                          nullptr, &db, &error) != HS_SUCCESS) {
        const std::string message = error->message;
        const int index = error->expression;
        hs_free_compile_error(error);
        const std::string which = index >= 0 && ids[static_cast<size_t>(index)] < keyword_base
                                      ? set.rules[ids[static_cast<size_t>(index)]].id
                                      : "the keyword list";
        return Error{fmt::format("secret rules: vectorscan cannot compile {}: {}", which, message)};
    }
    database.reset(db);
    if (cached)
        store_cached(*cached, db);
    hs_scratch_t* scratch = nullptr;
    if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS)
        return Error{"secret rules: cannot allocate vectorscan scratch space"};
    prototype.reset(scratch);
    return true;
}

bool SecretDetector::Impl::match(std::string_view text, size_t begin, size_t end,
                                 Hits& hits) const {
    hits.base = begin;
    hits.keyword_base = static_cast<uint32_t>(set.rules.size());
    hits.marker_base = hits.keyword_base + static_cast<uint32_t>(keywords.size());
    Scratch scratch = acquire();
    const hs_error_t status =
        hs_scan(database.get(), text.data() + begin, static_cast<unsigned>(end - begin), 0,
                scratch.get(), on_match, &hits);
    release(std::move(scratch));
    return status == HS_SUCCESS || status == HS_SCAN_TERMINATED;
}

std::optional<size_t> SecretDetector::Impl::pem_end(std::string_view text,
                                                    size_t header_end) const {
    const auto window = text.substr(header_end, kMaxPemBytes);
    const auto end_label = window.find("-----END ");
    if (end_label == std::string_view::npos)
        return std::nullopt;
    const auto close = window.find("-----", end_label + 9);
    if (close == std::string_view::npos || close - end_label > 80)
        return std::nullopt;
    return header_end + close + 5;
}

void SecretDetector::Impl::confirm(std::string_view text, const Hits& hits, size_t core_begin,
                                   size_t core_end, bool binary,
                                   std::vector<Candidate>& out) const {
    // Rules that need a keyword or a partner are skipped wholesale when the
    // chunk has neither: hashes and UUIDs match their shapes everywhere in
    // lock files, and confirming each would cost more than the scan.
    std::vector<bool> keyword_present(keywords.size(), false);
    for (const auto& hit : hits.keywords)
        keyword_present[hit.id] = true;
    std::vector<bool> rule_present(set.rules.size(), false);
    for (const auto& hit : hits.rules)
        rule_present[hit.id] = true;
    const auto context_possible = [&](uint32_t r) {
        if (rule_keywords[r].empty() && partner[r] < 0)
            return true;
        if (partner[r] >= 0 && rule_present[static_cast<size_t>(partner[r])])
            return true;
        return std::any_of(rule_keywords[r].begin(), rule_keywords[r].end(),
                           [&](uint32_t k) { return keyword_present[k]; });
    };
    struct Window {
        uint32_t rule;
        size_t begin;
        size_t end;
    };
    std::vector<Window> windows;
    windows.reserve(hits.rules.size());
    for (const auto& hit : hits.rules) {
        if (context_possible(hit.id) && !(binary && set.rules[hit.id].generic)) {
            const size_t begin = hit.end > max_width[hit.id] ? hit.end - max_width[hit.id] : 0;
            windows.push_back({hit.id, begin, hit.end});
        }
    }
    // Rules that need context run on the lines around each keyword and
    // around each match of their partner.
    for (const auto& hit : hits.keywords) {
        for (const uint32_t r : keyword_rules[hit.id]) {
            if (binary && set.rules[r].generic)
                continue;
            const auto [start, stop] = context_range(text, hit.end - keywords[hit.id].size(),
                                                     hit.end, set.rules[r].context_lines);
            windows.push_back({r, start, stop});
        }
    }
    for (const auto& hit : hits.rules) {
        for (const uint32_t r : partner_of[hit.id]) {
            const size_t begin = hit.end > max_width[hit.id] ? hit.end - max_width[hit.id] : 0;
            const auto [start, stop] =
                context_range(text, begin, hit.end, set.rules[r].context_lines);
            windows.push_back({r, start, stop});
        }
    }
    std::sort(windows.begin(), windows.end(), [](const Window& a, const Window& b) {
        return std::tie(a.rule, a.begin) < std::tie(b.rule, b.begin);
    });
    re2::StringPiece groups[2];
    for (size_t i = 0; i < windows.size();) {
        const uint32_t r = windows[i].rule;
        const auto& rule = set.rules[r];
        // Overlapping windows of one rule are merged: a greedy pattern
        // reports a match at every end position of a long token.
        const size_t window_begin = windows[i].begin;
        size_t window_end = windows[i].end;
        size_t j = i + 1;
        for (; j < windows.size() && windows[j].rule == r && windows[j].begin <= window_end; ++j)
            window_end = std::max(window_end, windows[j].end);
        const auto& regex = *regexes[r];
        const int wanted = std::min(regex.NumberOfCapturingGroups(), 1) + 1;
        for (size_t pos = window_begin; pos < window_end;) {
            if (!regex.Match(re2::StringPiece(text.data(), text.size()), pos, window_end,
                             RE2::UNANCHORED, groups, wanted))
                break;
            const size_t match_begin = static_cast<size_t>(groups[0].data() - text.data());
            const size_t match_end = match_begin + groups[0].size();
            const auto& secret = wanted == 2 && groups[1].data() != nullptr ? groups[1] : groups[0];
            Candidate candidate{r, match_begin, static_cast<size_t>(secret.data() - text.data()),
                                0};
            candidate.end = candidate.begin + secret.size();
            if (rule.pem_block) {
                const auto block_end = pem_end(text, match_end);
                candidate.end = block_end.value_or(match_end);
            } else if (rule.extend_base64) {
                candidate.end = base64_end(text, candidate.end);
            }
            if (match_end > core_begin && match_end <= core_end && candidate.end > candidate.begin)
                out.push_back(candidate);
            pos = std::max(match_end, pos + 1);
        }
        i = j;
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end(),
                          [](const Candidate& a, const Candidate& b) {
                              return a.rule == b.rule && a.begin == b.begin && a.end == b.end;
                          }),
              out.end());
}

bool SecretDetector::Impl::has_context(std::string_view text, const Candidate& candidate,
                                       const Hits& hits, const std::vector<Candidate>& partners,
                                       std::string& evidence) const {
    const auto& rule = set.rules[candidate.rule];
    const auto& wanted = rule_keywords[candidate.rule];
    if (wanted.empty() && partner[candidate.rule] < 0)
        return true;
    const auto [start, stop] =
        context_range(text, candidate.match_begin, candidate.end, rule.context_lines);
    if (partner[candidate.rule] >= 0) {
        for (const auto& other : partners) {
            if (static_cast<int>(other.rule) == partner[candidate.rule] && other.end > start &&
                other.begin < stop) {
                evidence = fmt::format("paired with a {} within {} lines",
                                       set.rules[other.rule].title, rule.context_lines);
                return true;
            }
        }
    }
    auto it = std::lower_bound(hits.keywords.begin(), hits.keywords.end(), start,
                               [](const Hit& hit, size_t offset) { return hit.end < offset; });
    for (; it != hits.keywords.end() && it->end <= stop; ++it) {
        if (std::find(wanted.begin(), wanted.end(), it->id) != wanted.end() &&
            it->end - keywords[it->id].size() >= start) {
            evidence =
                fmt::format("context: '{}' within {} lines", keywords[it->id], rule.context_lines);
            return true;
        }
    }
    return false;
}

std::optional<Detection> SecretDetector::Impl::judge(std::string_view text,
                                                     const Candidate& candidate) const {
    const auto& rule = set.rules[candidate.rule];
    Detection detection;
    detection.rule = &rule;
    detection.begin = candidate.begin;
    detection.end = candidate.end;
    detection.secret = text.substr(candidate.begin, candidate.end - candidate.begin);
    detection.severity = rule.severity;
    const auto secret = detection.secret;

    for (const auto validator : rule.validators) {
        switch (validator) {
            case Validator::github_crc32:
                if (!github_checksum_valid(secret))
                    return std::nullopt;
                detection.evidence.push_back("CRC32 checksum in the token is valid");
                break;
            case Validator::jwt:
                if (!jwt_valid(secret))
                    return std::nullopt;
                detection.evidence.push_back("header and payload decode as JSON");
                break;
            case Validator::base64_json:
                if (!base64_json_valid(secret))
                    return std::nullopt;
                detection.evidence.push_back("decodes to a JSON object");
                break;
            case Validator::discord_bot:
                if (!discord_bot_valid(secret))
                    return std::nullopt;
                detection.evidence.push_back("first segment encodes a numeric bot id");
                break;
            case Validator::not_hex:
                if (is_hex(secret))
                    return std::nullopt;
                break;
            case Validator::not_uuid:
                if (is_uuid(secret))
                    return std::nullopt;
                break;
            case Validator::mixed_chars:
                if (!has_letter_and_digit(secret))
                    return std::nullopt;
                break;
            case Validator::pem: {
                const auto key = inspect_pem(secret);
                if (!key.parses) {
                    // A header with an elided body is documentation.
                    if (secret.find("...") != std::string_view::npos ||
                        secret.find("…") != std::string_view::npos) {
                        detection.placeholder = "the key body is elided";
                        detection.severity = Severity::info;
                        return detection;
                    }
                    return std::nullopt;
                }
                detection.evidence.push_back(fmt::format("parses as {} {} private key",
                                                         key.encrypted ? "an encrypted" : "an",
                                                         key.kind));
                if (key.encrypted)
                    detection.severity = std::min(detection.severity, Severity::medium);
                break;
            }
        }
    }
    if (auto reason = placeholder_reason(secret, set.placeholder_words, set.placeholder_values)) {
        detection.placeholder = std::move(reason);
        detection.severity = Severity::info;
        return detection;
    }
    if (rule.min_entropy > 0) {
        const double entropy = shannon_entropy(secret);
        if (entropy < rule.min_entropy)
            return std::nullopt;
        detection.evidence.push_back(fmt::format("entropy {:.1f} bits per character", entropy));
    }
    if (rule.validators == std::vector{Validator::jwt}) {
        const auto payload = jwt_payload(secret);
        if (payload) {
            if (auto reason =
                    placeholder_reason(*payload, set.placeholder_words, set.placeholder_values)) {
                detection.placeholder = "payload " + *reason;
                detection.severity = Severity::info;
            }
        }
    }
    return detection;
}

SecretDetector::SecretDetector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SecretDetector::~SecretDetector() = default;

Result<std::unique_ptr<const SecretDetector>> SecretDetector::build(SecretRuleSet rules) {
    auto impl = std::make_unique<Impl>();
    impl->set = std::move(rules);
    if (impl->set.rules.empty())
        return Error{"secret rules: no rules to compile"};
    auto compiled = impl->compile();
    if (!compiled)
        return compiled.error();
    return std::unique_ptr<const SecretDetector>(new SecretDetector(std::move(impl)));
}

const SecretRuleSet& SecretDetector::rules() const {
    return impl_->set;
}

namespace {

bool overlaps(const Detection& a, const Detection& b) {
    return a.begin < b.end && b.begin < a.end;
}

// Which of two detections of the same text to keep: a specific rule over a
// generic one, then the longer secret, then the rule listed first.
bool outranks(const Detection& a, const Detection& b) {
    if (a.rule->generic != b.rule->generic)
        return !a.rule->generic;
    if (a.end - a.begin != b.end - b.begin)
        return a.end - a.begin > b.end - b.begin;
    return a.rule < b.rule;
}

std::vector<Detection> resolve_overlaps(std::vector<Detection> detections) {
    std::vector<Detection> kept;
    for (auto& detection : detections) {
        bool dominated = false;
        for (auto& other : kept) {
            if (!overlaps(detection, other))
                continue;
            if (outranks(detection, other)) {
                other.rule = nullptr;  // marked for removal
            } else {
                dominated = true;
                break;
            }
        }
        kept.erase(std::remove_if(kept.begin(), kept.end(),
                                  [](const Detection& d) { return d.rule == nullptr; }),
                   kept.end());
        if (!dominated)
            kept.push_back(std::move(detection));
    }
    return kept;
}

void locate_lines(std::string_view text, std::vector<Detection>& detections) {
    size_t cursor = 0;
    uint32_t line = 1;
    size_t line_start = 0;
    for (auto& detection : detections) {
        while (cursor < detection.begin) {
            const void* newline = std::memchr(text.data() + cursor, '\n', detection.begin - cursor);
            if (newline == nullptr) {
                cursor = detection.begin;
                break;
            }
            cursor = static_cast<size_t>(static_cast<const char*>(newline) - text.data()) + 1;
            line_start = cursor;
            ++line;
        }
        detection.line = line;
        detection.column = static_cast<uint32_t>(detection.begin - line_start + 1);
    }
}

void attach_markers(std::string_view text, const std::vector<Hit>& markers,
                    const std::vector<std::string>& names, std::vector<Detection>& detections) {
    if (markers.empty())
        return;
    for (auto& detection : detections) {
        const auto [start, stop] = context_range(text, detection.begin, detection.end, 0);
        // The line above counts too: "# gitleaks:allow" is often written there.
        const auto [above, unused] = context_range(text, start > 0 ? start - 1 : 0, start, 0);
        (void)unused;
        for (const auto& marker : markers) {
            if (marker.end > above && marker.end <= stop) {
                const auto& name = names[marker.id];
                if (std::find(detection.ignore_markers.begin(), detection.ignore_markers.end(),
                              name) == detection.ignore_markers.end())
                    detection.ignore_markers.push_back(name);
            }
        }
    }
}

}  // namespace

DetectResult SecretDetector::detect(std::string_view text, const DetectOptions& options) const {
    DetectResult result;
    std::vector<Detection> found;
    std::vector<Hit> all_markers;
    for (size_t core_begin = 0; core_begin < text.size(); core_begin += kChunkBytes) {
        const size_t core_end = std::min(text.size(), core_begin + kChunkBytes);
        const size_t scan_begin = core_begin > kChunkOverlap ? core_begin - kChunkOverlap : 0;
        const size_t scan_end = std::min(text.size(), core_end + kChunkOverlap);
        Hits hits;
        if (!impl_->match(text, scan_begin, scan_end, hits) || hits.overflow)
            result.truncated = true;

        std::vector<Candidate> candidates;
        impl_->confirm(text, hits, core_begin, core_end, options.binary, candidates);
        // Partners first: rules that need one look among the validated rest.
        std::vector<Candidate> validated;
        std::vector<Detection> chunk;
        std::vector<std::pair<size_t, size_t>> rejected_specific;
        for (const bool with_partner : {false, true}) {
            for (const auto& candidate : candidates) {
                if ((impl_->partner[candidate.rule] >= 0) != with_partner)
                    continue;
                std::string context;
                if (!impl_->has_context(text, candidate, hits, validated, context))
                    continue;
                auto detection = impl_->judge(text, candidate);
                if (!detection) {
                    if (!impl_->set.rules[candidate.rule].generic)
                        rejected_specific.emplace_back(candidate.begin, candidate.end);
                    continue;
                }
                if (!context.empty())
                    detection->evidence.push_back(std::move(context));
                validated.push_back(candidate);
                chunk.push_back(std::move(*detection));
            }
        }
        // A value a specific rule recognised and then rejected (wrong
        // checksum, no valid structure) is not re-reported by a generic rule.
        std::erase_if(chunk, [&](const Detection& d) {
            return d.rule->generic && std::any_of(rejected_specific.begin(),
                                                  rejected_specific.end(), [&](const auto& span) {
                                                      return d.begin < span.second &&
                                                             span.first < d.end;
                                                  });
        });
        std::move(chunk.begin(), chunk.end(), std::back_inserter(found));
        for (const auto& marker : hits.markers) {
            if (marker.end > core_begin && marker.end <= core_end)
                all_markers.push_back(marker);
        }
        if (result.truncated)
            break;
    }
    std::sort(found.begin(), found.end(), [](const Detection& a, const Detection& b) {
        return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
    });
    result.detections = resolve_overlaps(std::move(found));
    std::sort(result.detections.begin(), result.detections.end(),
              [](const Detection& a, const Detection& b) { return a.begin < b.begin; });
    if (!options.binary) {
        locate_lines(text, result.detections);
        attach_markers(text, all_markers, impl_->set.ignore_markers, result.detections);
    }
    return result;
}

std::string redact(std::string_view secret) {
    const size_t shown = std::min<size_t>(8, secret.size() / 4);
    std::string prefix;
    for (const char c : secret.substr(0, shown))
        prefix += (c >= 0x20 && c < 0x7f) ? c : '?';
    return fmt::format("'{}…' ({} characters, redacted)", prefix, secret.size());
}

}  // namespace hazmat::secrets
