#include "scan/pickle/callable_policy.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <toml++/toml.h>

#include <fstream>
#include <sstream>

#include "core/rule_registry.hpp"
#include "scan/pickle/callable_names.hpp"
#include "scan/pickle/pickle_rule_ids.hpp"

namespace hazmat::pickle {

namespace {

// Rules a deny entry may name: the callable categories. Hidden content and
// loader differentials are properties of streams, not of callables.
constexpr std::string_view kDenyRules[] = {
    rules::kPickleRunsCode,  rules::kPickleRunsProcess,     rules::kPickleChangesFiles,
    rules::kPickleNetwork,   rules::kPickleNestedLoad,      rules::kPickleIndirectCallable,
    rules::kPickleTampering, rules::kPickleUnknownCallable,
};

bool is_deny_rule(std::string_view id) {
    for (const auto rule : kDenyRules) {
        if (rule == id)
            return true;
    }
    return false;
}

// "a.b.c" or "a.b.*": a dotted identifier path, optionally module-wide.
bool is_valid_entry_name(std::string_view name) {
    if (name.ends_with(".*"))
        name.remove_suffix(2);
    return is_dotted_identifier(name);
}

std::string where(const std::string& file, const toml::source_region& source) {
    return fmt::format("{}:{}:{}", file, source.begin.line, source.begin.column);
}

Result<std::string> read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return Error{fmt::format("cannot read the pickle policy file {}", path.string())};
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        return Error{fmt::format("cannot read the pickle policy file {}", path.string())};
    return text.str();
}

Result<PolicyEntry> parse_entry(const toml::table& item, const std::string& file, bool deny) {
    PolicyEntry entry;
    entry.file = file;
    for (const auto& [key, value] : item) {
        const auto at = where(file, value.source());
        if (key == "name" && value.is_string()) {
            entry.name = value.value_or(std::string{});
        } else if (key == "why" && value.is_string()) {
            entry.why = value.value_or(std::string{});
        } else if (deny && key == "rule" && value.is_string()) {
            entry.rule = value.value_or(std::string{});
        } else if (deny && key == "severity" && value.is_string()) {
            const auto text = value.value_or(std::string{});
            const auto severity = parse_severity(text);
            if (!severity)
                return Error{fmt::format("{}: unknown severity '{}'", at, text)};
            entry.severity = *severity;
        } else {
            return Error{fmt::format("{}: unexpected key '{}' (or wrong type) in a {} entry", at,
                                     key.str(), deny ? "[[deny]]" : "[[allow]]")};
        }
    }

    const auto at = where(file, item.source());
    if (!is_valid_entry_name(entry.name)) {
        return Error{fmt::format(
            "{}: entry name '{}' is not a dotted Python name (module.attribute or module.*)", at,
            entry.name)};
    }
    if (entry.why.empty())
        return Error{fmt::format("{}: entry '{}' has no 'why'", at, entry.name)};
    if (deny) {
        if (!is_deny_rule(entry.rule)) {
            return Error{
                fmt::format("{}: entry '{}' names rule '{}', which is not a callable "
                            "category (HZ-PKL-001..008)",
                            at, entry.name, entry.rule)};
        }
        if (!item.contains("severity"))
            entry.severity = RuleRegistry::builtin().at(entry.rule).severity;
    }
    return entry;
}

}  // namespace

const PolicyEntry* CallablePolicy::Table::find(std::string_view qualified) const {
    if (const auto it = exact.find(std::string(qualified)); it != exact.end())
        return it->second;
    // "os.*" covers the module object itself too.
    if (const auto it = modules.find(std::string(qualified)); it != modules.end())
        return it->second;
    // Most specific module-wide entry first: "a.b.*" before "a.*".
    auto prefix = qualified;
    while (true) {
        const auto dot = prefix.rfind('.');
        if (dot == std::string_view::npos)
            break;
        prefix = prefix.substr(0, dot);
        if (const auto it = modules.find(std::string(prefix)); it != modules.end())
            return it->second;
    }
    return nullptr;
}

Result<bool> CallablePolicy::parse_file(std::string_view text, const std::string& file, bool deny,
                                        bool version_required, Table& table, std::string* version) {
    toml::table root;
    try {
        root = toml::parse(text, file);
    } catch (const toml::parse_error& error) {
        return Error{fmt::format("{}: {}", where(file, error.source()), error.description())};
    }

    const std::string_view list_key = deny ? "deny" : "allow";
    for (const auto& [key, value] : root) {
        if (key == "version" && value.is_string()) {
            if (version)
                *version = value.value_or(std::string{});
        } else if (key != list_key || !value.is_array_of_tables()) {
            return Error{
                fmt::format("{}: unexpected top-level key '{}' (expected 'version' and "
                            "[[{}]] entries)",
                            where(file, value.source()), key.str(), list_key)};
        }
    }
    if (version_required && !root.contains("version"))
        return Error{fmt::format("{}: missing 'version'", file)};

    const auto* entries = root.get_as<toml::array>(list_key);
    if (!entries)
        return true;
    for (const auto& node : *entries) {
        auto entry = parse_entry(*node.as_table(), file, deny);
        if (!entry)
            return entry.error();
        auto owned = std::make_unique<PolicyEntry>(std::move(entry).value());
        const auto& name = owned->name;
        const bool module_wide = name.ends_with(".*");
        auto& index = module_wide ? table.modules : table.exact;
        const auto key = module_wide ? name.substr(0, name.size() - 2) : name;
        if (!index.emplace(key, owned.get()).second) {
            return Error{fmt::format("{}: '{}' is listed twice", where(file, node.source()), name)};
        }
        table.entries.push_back(std::move(owned));
    }
    return true;
}

Result<std::shared_ptr<const CallablePolicy>> CallablePolicy::from_text(
    std::string_view denylist, std::string_view allowlist,
    std::span<const std::string> user_allow) {
    auto policy = std::make_shared<CallablePolicy>();
    if (auto ok = parse_file(denylist, "denylist.toml", true, true, policy->deny_,
                             &policy->deny_version_);
        !ok)
        return ok.error();
    if (auto ok = parse_file(allowlist, "allowlist.toml", false, true, policy->allow_,
                             &policy->allow_version_);
        !ok)
        return ok.error();
    for (size_t i = 0; i < user_allow.size(); ++i) {
        if (auto ok = parse_file(user_allow[i], fmt::format("user allow-list {}", i + 1), false,
                                 false, policy->user_allow_, nullptr);
            !ok)
            return ok.error();
    }
    policy->log_user_overrides();
    return std::shared_ptr<const CallablePolicy>(std::move(policy));
}

Result<std::shared_ptr<const CallablePolicy>> CallablePolicy::load(
    const std::filesystem::path& rules_dir, std::span<const std::filesystem::path> user_allow) {
    auto policy = std::make_shared<CallablePolicy>();
    const auto deny_path = rules_dir / "denylist.toml";
    const auto allow_path = rules_dir / "allowlist.toml";
    for (const auto& [path, deny] : {std::pair{deny_path, true}, std::pair{allow_path, false}}) {
        auto text = read_text(path);
        if (!text)
            return text.error();
        auto& table = deny ? policy->deny_ : policy->allow_;
        auto* version = deny ? &policy->deny_version_ : &policy->allow_version_;
        if (auto ok = parse_file(*text, path.string(), deny, true, table, version); !ok)
            return ok.error();
    }
    for (const auto& path : user_allow) {
        auto text = read_text(path);
        if (!text)
            return text.error();
        if (auto ok = parse_file(*text, path.string(), false, false, policy->user_allow_, nullptr);
            !ok)
            return ok.error();
    }
    policy->log_user_overrides();
    spdlog::debug("pickle policy: {} deny entries ({}), {} allow entries ({}), {} user entries",
                  policy->deny_.size(), policy->deny_version_, policy->allow_.size(),
                  policy->allow_version_, policy->user_allow_.size());
    return std::shared_ptr<const CallablePolicy>(std::move(policy));
}

void CallablePolicy::log_user_overrides() const {
    // The user's word counts, but a shadowed deny entry must never go
    // unnoticed: say so once at load time, and each hit is reported as
    // HZ-PKL-012 during the scan.
    for (const auto& entry : user_allow_.entries) {
        const auto name = std::string_view(entry->name);
        const auto* denied = name.ends_with(".*")
                                 ? deny_.find(std::string(name.substr(0, name.size() - 2)) + ".x")
                                 : deny_.find(name);
        if (denied) {
            spdlog::info("{}: allows '{}', which the shipped deny-list grades {} ({})", entry->file,
                         entry->name, denied->rule, denied->why);
        }
    }
}

Verdict CallablePolicy::classify(std::string_view module, std::string_view attribute) const {
    const std::string qualified = attribute.empty()
                                      ? std::string(module)
                                      : std::string(module) + "." + std::string(attribute);

    // Candidates for the deny-list: the full name, then each suffix that
    // starts at an attribute component and still has an attribute after it
    // (module re-exports: pathlib.os is the os module).
    Verdict verdict;
    const PolicyEntry* denied = deny_.find(qualified);
    std::string denied_as = qualified;
    size_t start = 0;
    while (!denied) {
        const auto dot = attribute.find('.', start);
        if (dot == std::string_view::npos)
            break;
        const auto suffix = attribute.substr(start);
        denied = deny_.find(suffix);
        denied_as = std::string(suffix);
        start = dot + 1;
    }

    const PolicyEntry* user = user_allow_.find(qualified);
    if (!user && denied)
        user = user_allow_.find(denied_as);
    if (user) {
        verdict.outcome = PolicyOutcome::allowed;
        verdict.entry = user;
        verdict.overridden = denied;
        verdict.matched = denied ? denied_as : qualified;
        return verdict;
    }
    // A shipped allow entry naming this exact callable is more specific than
    // a module-wide deny entry: torch.distributed.* is denied because it
    // opens connections, yet the plain dataclasses of a distributed
    // checkpoint's metadata live under it. Exact deny entries always win.
    if (denied && denied_as == qualified && denied->name.ends_with(".*")) {
        if (const auto it = allow_.exact.find(qualified); it != allow_.exact.end()) {
            verdict.outcome = PolicyOutcome::allowed;
            verdict.entry = it->second;
            verdict.matched = qualified;
            return verdict;
        }
    }
    if (denied) {
        verdict.outcome = PolicyOutcome::denied;
        verdict.entry = denied;
        verdict.matched = std::move(denied_as);
        return verdict;
    }
    if (const auto* allowed = allow_.find(qualified)) {
        verdict.outcome = PolicyOutcome::allowed;
        verdict.entry = allowed;
        verdict.matched = qualified;
        return verdict;
    }
    verdict.matched = qualified;
    return verdict;
}

}  // namespace hazmat::pickle
