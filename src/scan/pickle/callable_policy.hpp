#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "core/severity.hpp"

namespace hazmat::pickle {

// One line of an allow-list or deny-list file.
struct PolicyEntry {
    std::string name;  // "os.system", or "os.*" for everything under a module
    std::string why;   // one-line justification, shown as evidence
    // Deny entries: the rule (HZ-PKL-00x) and its severity for this callable.
    std::string rule;
    Severity severity = Severity::critical;
    std::string file;  // the file the entry came from, for evidence and errors
};

enum class PolicyOutcome { allowed, denied, unknown };

struct Verdict {
    PolicyOutcome outcome = PolicyOutcome::unknown;
    // The entry that decided; null for unknown callables.
    const PolicyEntry* entry = nullptr;
    // A shipped deny entry that the user's own allow-list overrides.
    const PolicyEntry* overridden = nullptr;
    // The spelling that matched: the callable itself, or the suffix of a
    // dotted path that reaches it ("os.system" inside "pathlib.os.system").
    std::string matched;
};

// Default-deny policy for callables a pickle imports or calls. Three
// sources, in order of precedence:
//   1. the user's own allow-lists (--allow-callables): the user may accept
//      anything, including names the deny-list grades as dangerous;
//   2. the shipped deny-list (rules/pickle/denylist.toml), graded by impact;
//   3. the shipped allow-list (rules/pickle/allowlist.toml).
// Anything else is unknown, which hazmat reports (HZ-PKL-007). Immutable
// after loading and shared by all worker threads.
class CallablePolicy {
  public:
    // Loads denylist.toml and allowlist.toml from `rules_dir` plus the user's
    // files. A malformed file is an error naming the file and the problem.
    static Result<std::shared_ptr<const CallablePolicy>> load(
        const std::filesystem::path& rules_dir, std::span<const std::filesystem::path> user_allow);

    // Same from text, for tests; `user_allow` holds file contents.
    static Result<std::shared_ptr<const CallablePolicy>> from_text(
        std::string_view denylist, std::string_view allowlist,
        std::span<const std::string> user_allow = {});

    // Classifies `module` + `.` + `attribute` (already normalized, see
    // normalize_global). A dotted attribute path walks attributes of the
    // imported module, so every suffix that starts at one of its components
    // is also checked against the deny-list: `pathlib` + `os.system` is
    // os.system, whatever else pathlib is.
    Verdict classify(std::string_view module, std::string_view attribute) const;

    const std::string& denylist_version() const { return deny_version_; }
    const std::string& allowlist_version() const { return allow_version_; }
    size_t deny_entries() const { return deny_.size(); }
    size_t allow_entries() const { return allow_.size(); }

  private:
    // Entries keyed by name; module-wide entries ("os.*") keyed by module.
    struct Table {
        std::vector<std::unique_ptr<PolicyEntry>> entries;
        std::unordered_map<std::string, const PolicyEntry*> exact;
        std::unordered_map<std::string, const PolicyEntry*> modules;

        size_t size() const { return entries.size(); }
        const PolicyEntry* find(std::string_view qualified) const;
    };

    static Result<bool> parse_file(std::string_view text, const std::string& file, bool deny,
                                   bool version_required, Table& table, std::string* version);
    void log_user_overrides() const;

    Table deny_;
    Table allow_;
    Table user_allow_;
    std::string deny_version_;
    std::string allow_version_;
};

}  // namespace hazmat::pickle
