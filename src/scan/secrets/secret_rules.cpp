#include "scan/secrets/secret_rules.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "core/rule_registry.hpp"

namespace hazmat::secrets {

namespace {

constexpr std::array<std::pair<Validator, std::string_view>, 8> kValidatorNames = {{
    {Validator::github_crc32, "github-crc32"},
    {Validator::jwt, "jwt"},
    {Validator::base64_json, "base64-json"},
    {Validator::pem, "pem"},
    {Validator::discord_bot, "discord-bot"},
    {Validator::not_hex, "not-hex"},
    {Validator::not_uuid, "not-uuid"},
    {Validator::mixed_chars, "mixed-chars"},
}};

bool is_secret_rule_id(std::string_view id) {
    if (!id.starts_with("HZ-SEC-") || id.size() != 10)
        return false;
    return std::all_of(id.begin() + 7, id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Reads the fields every rule and notice shares; the error names the file and id.
struct Reader {
    std::string_view file;
    const toml::table& table;
    std::string where;

    Result<std::string> text(std::string_view key, bool required, std::string fallback = {}) const {
        const auto node = table[key];
        if (!node)
            return required ? Result<std::string>(missing(key)) : Result<std::string>(fallback);
        if (const auto value = node.value<std::string>())
            return *value;
        return Error{fmt::format("{}: {}: '{}' must be a string", file, where, key)};
    }

    Error missing(std::string_view key) const {
        return Error{fmt::format("{}: {}: '{}' is required", file, where, key)};
    }

    Result<Severity> severity() const {
        auto value = text("severity", true);
        if (!value)
            return value.error();
        if (const auto parsed = parse_severity(*value))
            return *parsed;
        return Error{fmt::format("{}: {}: unknown severity '{}'", file, where, *value)};
    }

    Result<std::vector<std::string>> list(std::string_view key) const {
        std::vector<std::string> out;
        const auto node = table[key];
        if (!node)
            return out;
        const auto* array = node.as_array();
        if (array == nullptr)
            return Error{fmt::format("{}: {}: '{}' must be a list of strings", file, where, key)};
        for (const auto& item : *array) {
            const auto value = item.value<std::string>();
            if (!value || value->empty())
                return Error{
                    fmt::format("{}: {}: '{}' must hold non-empty strings", file, where, key)};
            out.push_back(*value);
        }
        return out;
    }
};

Result<SecretNotice> parse_notice(const toml::table& table, std::string_view file) {
    Reader reader{file, table, "notice"};
    SecretNotice notice;
    auto id = reader.text("id", true);
    if (!id)
        return id.error();
    notice.id = *id;
    reader.where = notice.id;
    if (!is_secret_rule_id(notice.id))
        return Error{fmt::format("{}: '{}' is not an HZ-SEC-NNN id", file, notice.id)};
    for (auto [field, key] :
         {std::pair{&notice.title, "title"}, std::pair{&notice.description, "description"},
          std::pair{&notice.remediation, "remediation"}}) {
        auto value = reader.text(key, true);
        if (!value)
            return value.error();
        *field = std::move(*value);
    }
    auto severity = reader.severity();
    if (!severity)
        return severity.error();
    notice.severity = *severity;
    return notice;
}

Result<bool> read_flags(const Reader& reader, SecretRule& rule) {
    for (auto [field, key] :
         {std::pair{&rule.case_insensitive, "case_insensitive"},
          std::pair{&rule.generic, "generic"}, std::pair{&rule.pem_block, "pem_block"},
          std::pair{&rule.extend_base64, "extend_base64"}}) {
        const auto node = reader.table[key];
        if (!node)
            continue;
        const auto value = node.value<bool>();
        if (!value)
            return Error{
                fmt::format("{}: {}: '{}' must be true or false", reader.file, reader.where, key)};
        *field = *value;
    }
    if (const auto node = reader.table["context_lines"]) {
        const auto value = node.value<int64_t>();
        if (!value || *value < 0 || *value > 50)
            return Error{
                fmt::format("{}: {}: 'context_lines' must be 0..50", reader.file, reader.where)};
        rule.context_lines = static_cast<uint32_t>(*value);
    }
    if (const auto node = reader.table["min_entropy"]) {
        const auto value = node.value<double>();
        if (!value || *value < 0 || *value > 8)
            return Error{fmt::format("{}: {}: 'min_entropy' must be 0..8 bits per character",
                                     reader.file, reader.where)};
        rule.min_entropy = *value;
    }
    return true;
}

Result<SecretRule> parse_rule(const toml::table& table, std::string_view file,
                              std::string_view family, std::string_view family_remediation) {
    Reader reader{file, table, "rule"};
    SecretRule rule;
    rule.family = family;
    auto id = reader.text("id", true);
    if (!id)
        return id.error();
    rule.id = *id;
    reader.where = rule.id;
    if (!is_secret_rule_id(rule.id))
        return Error{fmt::format("{}: '{}' is not an HZ-SEC-NNN id", file, rule.id)};
    for (auto [field, key] :
         {std::pair{&rule.name, "name"}, std::pair{&rule.title, "title"},
          std::pair{&rule.description, "description"}, std::pair{&rule.pattern, "pattern"}}) {
        auto value = reader.text(key, true);
        if (!value)
            return value.error();
        *field = std::move(*value);
    }
    auto remediation = reader.text("remediation", false, std::string(family_remediation));
    if (!remediation)
        return remediation.error();
    if (remediation->empty())
        return reader.missing("remediation");
    rule.remediation = std::move(*remediation);
    auto partner = reader.text("partner", false);
    if (!partner)
        return partner.error();
    rule.partner = std::move(*partner);
    auto severity = reader.severity();
    if (!severity)
        return severity.error();
    rule.severity = *severity;
    auto keywords = reader.list("keywords");
    if (!keywords)
        return keywords.error();
    rule.keywords = std::move(*keywords);
    auto validators = reader.list("validators");
    if (!validators)
        return validators.error();
    for (const auto& name : *validators) {
        const auto validator = parse_validator(name);
        if (!validator)
            return Error{fmt::format("{}: {}: unknown validator '{}'", file, rule.id, name)};
        rule.validators.push_back(*validator);
    }
    auto flags = read_flags(reader, rule);
    if (!flags)
        return flags.error();
    return rule;
}

Result<bool> check_unique(const SecretRuleSet& set, std::string_view origin) {
    std::set<std::string_view> ids;
    std::set<std::string_view> names;
    for (const auto& rule : set.rules) {
        if (!ids.insert(rule.id).second)
            return Error{fmt::format("{}: rule id {} is defined twice", origin, rule.id)};
        if (!names.insert(rule.name).second)
            return Error{fmt::format("{}: rule name {} is defined twice", origin, rule.name)};
    }
    for (const auto& notice : set.notices) {
        if (!ids.insert(notice.id).second)
            return Error{fmt::format("{}: rule id {} is defined twice", origin, notice.id)};
    }
    return true;
}

Result<bool> check_partners(const SecretRuleSet& set, std::string_view origin) {
    for (const auto& rule : set.rules) {
        if (rule.partner.empty())
            continue;
        const bool known = std::any_of(set.rules.begin(), set.rules.end(),
                                       [&](const SecretRule& r) { return r.name == rule.partner; });
        if (!known)
            return Error{fmt::format("{}: {} names unknown partner rule '{}'", origin, rule.id,
                                     rule.partner)};
    }
    return true;
}

template <typename T>
void move_append(std::vector<T>& into, std::vector<T>& from) {
    std::move(from.begin(), from.end(), std::back_inserter(into));
}

void append(SecretRuleSet& into, SecretRuleSet&& from) {
    move_append(into.rules, from.rules);
    move_append(into.notices, from.notices);
    move_append(into.placeholder_words, from.placeholder_words);
    move_append(into.placeholder_values, from.placeholder_values);
    move_append(into.ignore_markers, from.ignore_markers);
    move_append(into.scanner_config_names, from.scanner_config_names);
}

Result<bool> read_lists(const toml::table& root, std::string_view file, SecretRuleSet& set) {
    const std::pair<std::string_view, std::vector<std::string>*> lists[] = {
        {"placeholders.words", &set.placeholder_words},
        {"placeholders.values", &set.placeholder_values},
        {"suppressions.markers", &set.ignore_markers},
        {"suppressions.config_files", &set.scanner_config_names},
    };
    for (const auto& [path, into] : lists) {
        const auto dot = path.find('.');
        const auto* table = root[path.substr(0, dot)].as_table();
        if (table == nullptr)
            continue;
        const Reader reader{file, *table, std::string(path.substr(0, dot))};
        auto values = reader.list(path.substr(dot + 1));
        if (!values)
            return values.error();
        move_append(*into, *values);
    }
    return true;
}

}  // namespace

std::optional<Validator> parse_validator(std::string_view name) {
    for (const auto& [validator, text] : kValidatorNames) {
        if (text == name)
            return validator;
    }
    return std::nullopt;
}

std::string_view to_string(Validator validator) {
    for (const auto& [value, text] : kValidatorNames) {
        if (value == validator)
            return text;
    }
    return "unknown";
}

Result<SecretRuleSet> parse_rule_file(std::string_view text, std::string_view file_name) {
    toml::table root;
    try {
        root = toml::parse(text, file_name);
    } catch (const toml::parse_error& error) {
        return Error{
            fmt::format("{}:{}: {}", file_name, error.source().begin.line, error.description())};
    }
    const auto family = root["family"].value_or(std::string());
    const auto remediation = root["remediation"].value_or(std::string());
    SecretRuleSet set;
    if (const auto* rules = root["rule"].as_array()) {
        for (const auto& node : *rules) {
            const auto* table = node.as_table();
            if (table == nullptr)
                return Error{fmt::format("{}: every [[rule]] must be a table", file_name)};
            auto rule = parse_rule(*table, file_name, family, remediation);
            if (!rule)
                return rule.error();
            set.rules.push_back(std::move(*rule));
        }
    }
    if (const auto* notices = root["notice"].as_array()) {
        for (const auto& node : *notices) {
            const auto* table = node.as_table();
            if (table == nullptr)
                return Error{fmt::format("{}: every [[notice]] must be a table", file_name)};
            auto notice = parse_notice(*table, file_name);
            if (!notice)
                return notice.error();
            set.notices.push_back(std::move(*notice));
        }
    }
    if (auto lists = read_lists(root, file_name, set); !lists)
        return lists.error();
    if (!set.rules.empty() && family.empty())
        return Error{fmt::format("{}: 'family' is required in a file with rules", file_name)};
    auto unique = check_unique(set, file_name);
    if (!unique)
        return unique.error();
    return set;
}

Result<SecretRuleSet> load_rule_directory(const std::filesystem::path& directory) {
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (std::filesystem::directory_iterator it(directory, ec), end; !ec && it != end;
         it.increment(ec)) {
        if (it->path().extension() == ".toml")
            files.push_back(it->path());
    }
    if (ec)
        return Error{fmt::format("cannot list {}: {}", directory.string(), ec.message())};
    if (files.empty())
        return Error{fmt::format("{}: no secret rule files (*.toml)", directory.string())};
    std::sort(files.begin(), files.end());

    SecretRuleSet all;
    for (const auto& file : files) {
        std::ifstream in(file, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        if (!in)
            return Error{fmt::format("cannot read {}", file.string())};
        auto set = parse_rule_file(text.str(), file.string());
        if (!set)
            return set.error();
        append(all, std::move(*set));
    }
    for (auto check : {check_unique, check_partners}) {
        auto ok = check(all, directory.string());
        if (!ok)
            return ok.error();
    }
    return all;
}

const SecretRuleSet& embedded_rule_set() {
    static const SecretRuleSet set = [] {
        SecretRuleSet all;
        for (const auto& file : embedded_rule_files()) {
            auto parsed = parse_rule_file(file.text, file.name);
            if (!parsed) {
                std::fprintf(stderr, "hazmat: internal error: embedded %s\n",
                             parsed.error().message.c_str());
                std::abort();
            }
            append(all, std::move(*parsed));
        }
        for (auto check : {check_unique, check_partners}) {
            if (auto ok = check(all, "embedded rules"); !ok) {
                std::fprintf(stderr, "hazmat: internal error: %s\n", ok.error().message.c_str());
                std::abort();
            }
        }
        return all;
    }();
    return set;
}

}  // namespace hazmat::secrets

namespace hazmat {

namespace {

// Every secret rule is about a credential written into the project.
constexpr int kHardCodedCredentialsCwe = 798;

}  // namespace

std::span<const RuleInfo> secret_rules() {
    static const std::vector<RuleInfo> table = [] {
        const auto& set = secrets::embedded_rule_set();
        std::vector<RuleInfo> rules;
        for (const auto& rule : set.rules) {
            rules.push_back({rule.id, rule.severity, rule.title, rule.description, rule.remediation,
                             kHardCodedCredentialsCwe});
        }
        for (const auto& notice : set.notices) {
            rules.push_back({notice.id, notice.severity, notice.title, notice.description,
                             notice.remediation, std::nullopt});
        }
        return rules;
    }();
    return table;
}

}  // namespace hazmat
