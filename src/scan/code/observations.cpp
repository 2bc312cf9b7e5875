#include "scan/code/observations.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "core/finding.hpp"
#include "core/scan_context.hpp"
#include "scan/code/code_rule_ids.hpp"

namespace hazmat::code {

std::string_view describe(Signal signal) {
    switch (signal) {
        case Signal::network:
            return "network access";
        case Signal::download:
            return "download";
        case Signal::exec_data:
            return "execution of data as code";
        case Signal::decode:
            return "decoding of an embedded payload";
        case Signal::environment:
            return "environment-derived data";
        case Signal::process:
            return "process execution";
        case Signal::make_executable:
            return "making a file executable";
        case Signal::credential:
            return "credential store access";
        case Signal::env_dump:
            return "dump of the whole environment";
        case Signal::exfil:
            return "exfiltration endpoint";
        case Signal::persistence:
            return "write to a persistence location";
        case Signal::obfuscation:
            return "obfuscation";
        case Signal::assistant:
            return "AI assistant run without safeguards";
    }
    return "signal";
}

std::string_view describe(Trigger trigger) {
    switch (trigger) {
        case Trigger::on_call:
            return "when the enclosing function is called";
        case Trigger::import:
            return "when the module is imported or loaded";
        case Trigger::install:
            return "at install time";
        case Trigger::interpreter_start:
            return "at every Python interpreter start";
        case Trigger::folder_open:
            return "when the folder is opened in the editor";
        case Trigger::container:
            return "when the development container is created or started";
        case Trigger::shell_session:
            return "when a shell enters the directory (direnv)";
        case Trigger::image_build:
            return "when the container image is built";
        case Trigger::ci:
            return "in CI";
        case Trigger::build:
            return "at build time";
        case Trigger::notebook:
            return "when the notebook cell is run";
        case Trigger::script:
            return "when the script is run";
    }
    return "";
}

bool runs_automatically(Trigger trigger) {
    switch (trigger) {
        case Trigger::import:
        case Trigger::install:
        case Trigger::interpreter_start:
        case Trigger::folder_open:
        case Trigger::shell_session:
            return true;
        default:
            return false;
    }
}

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

PathRole path_role(std::string_view relative_path) {
    static const std::set<std::string, std::less<>> kTests = {
        "test", "tests", "testing", "__tests__", "spec", "specs", "testdata", "test_data"};
    static const std::set<std::string, std::less<>> kDocs = {"doc", "docs", "documentation"};
    static const std::set<std::string, std::less<>> kExamples = {
        "example", "examples", "demo", "demos", "sample", "samples", "tutorial", "tutorials"};
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= relative_path.size()) {
        const size_t slash = relative_path.find('/', start);
        const size_t end = slash == std::string_view::npos ? relative_path.size() : slash;
        if (end > start)
            parts.push_back(lower(relative_path.substr(start, end - start)));
        if (slash == std::string_view::npos)
            break;
        start = slash + 1;
    }
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
        if (kTests.contains(parts[i]))
            return PathRole::tests;
        if (kDocs.contains(parts[i]))
            return PathRole::docs;
        if (kExamples.contains(parts[i]))
            return PathRole::examples;
    }
    if (!parts.empty()) {
        const auto& name = parts.back();
        if (name.starts_with("test_") || name == "conftest.py" || name.ends_with("_test.py") ||
            name.ends_with(".test.js") || name.ends_with(".spec.js") ||
            name.ends_with(".test.ts") || name.ends_with(".spec.ts"))
            return PathRole::tests;
    }
    return PathRole::package;
}

std::string_view describe(PathRole role) {
    switch (role) {
        case PathRole::package:
            return "package code";
        case PathRole::tests:
            return "test code";
        case PathRole::docs:
            return "documentation";
        case PathRole::examples:
            return "example code";
    }
    return "";
}

void ObservationLog::signal(ScopeId scope, Signal signal, uint32_t line, std::string what) {
    scope_signals_.try_emplace({scope, signal}, Occurrence{line, what});
    file_signals_.try_emplace(signal, Occurrence{line, what});
    line_signals_.try_emplace({line, signal}, Occurrence{line, std::move(what)});
}

void ObservationLog::suppression_marker(uint32_t line, std::string marker) {
    markers_.try_emplace(line, std::move(marker));
}

SignalSet ObservationLog::all_signals() const {
    SignalSet set;
    for (const auto& [signal, occurrence] : file_signals_)
        set.add(signal);
    return set;
}

namespace {

Severity lowered(Severity severity, PathRole role) {
    if (role == PathRole::package || severity == Severity::info)
        return severity;
    return static_cast<Severity>(static_cast<int>(severity) - 1);
}

}  // namespace

void ObservationLog::emit(const Unit& unit, ScanContext& context) const {
    std::set<uint32_t> reported_markers;
    std::set<std::pair<std::string_view, uint32_t>> reported;
    for (const auto& observation : observations_) {
        // The same fact reached twice (a string and the expression folding
        // it) is one finding.
        if (!reported.insert({observation.rule_id, observation.line}).second)
            continue;
        const Trigger trigger = observation.trigger.value_or(unit.trigger);
        SignalSet combined = observation.own;
        std::vector<std::string> corroboration;
        if (!observation.fixed) {
            combined |= unit.inherited;
            const SignalSet own_only = combined;
            for (int i = 0; i < kSignalCount * 2; ++i) {
                // First the corroborators, then the amplifiers if any
                // corroborator met.
                const auto signal = static_cast<Signal>(i % kSignalCount);
                const bool amplifying = i >= kSignalCount;
                if (amplifying && combined.count() == own_only.count())
                    break;
                if (!(amplifying ? observation.amplifiers : observation.corroborators)
                         .has(signal) ||
                    combined.has(signal))
                    continue;
                const Occurrence* found = nullptr;
                if (observation.same_line) {
                    const auto it = line_signals_.find({observation.line, signal});
                    found = it == line_signals_.end() ? nullptr : &it->second;
                } else if (observation.file_wide) {
                    const auto it = file_signals_.find(signal);
                    found = it == file_signals_.end() ? nullptr : &it->second;
                } else {
                    const auto it = scope_signals_.find({observation.scope, signal});
                    found = it == scope_signals_.end() ? nullptr : &it->second;
                }
                if (found == nullptr)
                    continue;
                combined.add(signal);
                corroboration.push_back(fmt::format("{} nearby: {} at line {}", describe(signal),
                                                    found->what, found->line));
            }
        }

        Severity severity = observation.single;
        if (!observation.fixed && combined.count() >= 2) {
            severity = Severity::high;
            if (combined.count() >= 3 || (runs_automatically(trigger) && !observation.passive))
                severity = Severity::critical;
        }
        severity = lowered(severity, unit.role);

        Location location = unit.location;
        location.line = observation.line;
        location.column = observation.column;
        auto finding = Finding::make(
            observation.rule_id, fmt::format("{} Runs {}.", observation.message, describe(trigger)),
            location);
        finding.with_severity(severity);
        for (const auto& line : observation.evidence)
            finding.with_evidence(line);
        for (auto& line : corroboration)
            finding.with_evidence(std::move(line));
        if (unit.role != PathRole::package) {
            finding.with_evidence(
                fmt::format("in {}: reported one severity lower", describe(unit.role)));
        }
        context.report(std::move(finding));

        // Suppression markers are never obeyed; one next to a finding is
        // itself worth a look, since it hides the line from other tools.
        for (const uint32_t line : {observation.line, observation.line - 1}) {
            const auto marker = markers_.find(line);
            if (marker == markers_.end() || !reported_markers.insert(line).second)
                continue;
            Location where = unit.location;
            where.line = line;
            auto note = Finding::make(
                rules::kSuppressionMarker,
                fmt::format("A '{}' suppression marker sits next to a {} finding; hazmat does not "
                            "obey in-repo suppressions.",
                            marker->second, observation.rule_id),
                where);
            note.with_evidence(fmt::format("marker at line {}", line));
            context.report(std::move(note));
        }
    }
}

}  // namespace hazmat::code
