#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/location.hpp"
#include "core/severity.hpp"

namespace hazmat {
class ScanContext;
}

namespace hazmat::code {

// Independent facts about what code does. One fact alone is rarely proof
// of malice (ML code downloads datasets, build scripts run compilers); the
// severity of a finding grows with the number of distinct facts that meet in
// the same place (see ObservationLog::emit).
enum class Signal : uint8_t {
    network,          // talks to a host (download or send)
    download,         // fetches content from a URL
    exec_data,        // runs text or bytes as code
    decode,           // decodes or decompresses an embedded payload
    environment,      // reads environment variables
    process,          // starts a process or a shell
    make_executable,  // chmod +x
    credential,       // reads a credential store
    env_dump,         // serialises the whole environment
    exfil,            // names a webhook, paste site or raw IP endpoint
    persistence,      // writes where code runs later (rc files, cron, hooks)
    obfuscation,      // hides code (encoding, off-screen, invisible characters)
    assistant,        // drives an AI coding assistant around its safeguards
};
inline constexpr int kSignalCount = 13;

std::string_view describe(Signal signal);

class SignalSet {
  public:
    SignalSet() = default;
    SignalSet(std::initializer_list<Signal> signals) {
        for (const Signal s : signals)
            add(s);
    }
    void add(Signal s) { bits_ |= 1u << static_cast<int>(s); }
    bool has(Signal s) const { return (bits_ >> static_cast<int>(s)) & 1u; }
    bool empty() const { return bits_ == 0; }
    int count() const { return __builtin_popcount(bits_); }
    SignalSet operator|(SignalSet other) const { return SignalSet(bits_ | other.bits_); }
    SignalSet operator&(SignalSet other) const { return SignalSet(bits_ & other.bits_); }
    SignalSet& operator|=(SignalSet other) {
        bits_ |= other.bits_;
        return *this;
    }

  private:
    explicit SignalSet(uint32_t bits) : bits_(bits) {}
    uint32_t bits_ = 0;
};

// When the examined code runs. Named in every finding, because "runs at pip
// install" and "runs if you call this function" are different risks.
enum class Trigger {
    on_call,            // a function someone has to call
    import,             // module-level code: runs when the module is imported or loaded
    install,            // pip/npm install, setup.py commands, conda link scripts
    interpreter_start,  // .pth files, sitecustomize: every Python start
    folder_open,        // editor tasks that run when the folder is opened
    container,          // devcontainer lifecycle commands
    shell_session,      // .envrc (direnv) when entering the directory
    image_build,        // Dockerfile RUN
    ci,                 // CI workflow steps
    build,              // Makefile, CMake
    notebook,           // a notebook cell
    script,             // a script someone runs
};

std::string_view describe(Trigger trigger);
// Whether the code runs without the user choosing to run it.
bool runs_automatically(Trigger trigger);

// Where a file sits in the project, judged by its path components relative
// to the scanned root: code under tests/, docs/ or examples/ is reported one
// severity lower than package code.
enum class PathRole { package, tests, docs, examples };
PathRole path_role(std::string_view relative_path);
std::string_view describe(PathRole role);

// A scope is the function (with its nested closures) or the module that
// signals are correlated in.
using ScopeId = uint32_t;
inline constexpr ScopeId kModuleScope = 0;

struct Observation {
    std::string_view rule_id;
    // Severity with nothing to corroborate it.
    Severity single = Severity::medium;
    // The facts this observation itself establishes ("exec of a base64
    // decode" is two).
    SignalSet own;
    // Facts elsewhere that make it worse when they occur in the same scope
    // (or anywhere in the file, when file_wide), or on the same line.
    SignalSet corroborators;
    // Facts that make it worse only once a corroborator has already met it:
    // the network call that uses an endpoint is the same fact as the
    // endpoint, but it is what actually sends a credential read next to it.
    SignalSet amplifiers;
    bool file_wide = false;
    bool same_line = false;
    // A mention (a path or URL in a string) rather than an action: the
    // moment the string is defined does not make it run, so only more
    // signals, not the trigger, make it critical.
    bool passive = false;
    ScopeId scope = kModuleScope;
    std::optional<Trigger> trigger;  // overrides the unit's trigger
    uint32_t line = 0;
    uint32_t column = 0;
    std::string message;
    std::vector<std::string> evidence;
    // Fixed severity: the signal arithmetic does not apply (model loading,
    // CI misconfiguration).
    bool fixed = false;
};

// Everything found in one unit of source text (a file, a notebook cell, a
// decoded payload): observations, the signals seen in each scope and the
// suppression markers. emit() turns them into findings.
class ObservationLog {
  public:
    ScopeId new_scope() { return next_scope_++; }

    // Records that `signal` occurs in `scope` at `line` ("requests.post").
    void signal(ScopeId scope, Signal signal, uint32_t line, std::string what);
    void observe(Observation observation) { observations_.push_back(std::move(observation)); }
    void suppression_marker(uint32_t line, std::string marker);

    bool empty() const { return observations_.empty(); }
    const std::vector<Observation>& observations() const { return observations_; }
    // All signals recorded anywhere in the unit.
    SignalSet all_signals() const;

    struct Unit {
        Location location;  // line/column of findings are set on a copy of this
        Trigger trigger = Trigger::import;
        PathRole role = PathRole::package;
        // Signals from an enclosing unit (the code that decoded this payload)
        // that corroborate everything in this one.
        SignalSet inherited;
    };
    void emit(const Unit& unit, ScanContext& context) const;

  private:
    struct Occurrence {
        uint32_t line = 0;
        std::string what;
    };
    // First occurrence of each signal in each scope, and in the file.
    std::map<std::pair<ScopeId, Signal>, Occurrence> scope_signals_;
    std::map<Signal, Occurrence> file_signals_;
    std::map<std::pair<uint32_t, Signal>, Occurrence> line_signals_;
    std::vector<Observation> observations_;
    std::map<uint32_t, std::string> markers_;
    ScopeId next_scope_ = 1;
};

}  // namespace hazmat::code
