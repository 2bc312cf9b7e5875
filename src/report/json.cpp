#include <fmt/chrono.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/exit_code.hpp"
#include "report/render.hpp"

namespace hazmat {

namespace {

using nlohmann::json;

json location_json(const Location& location) {
    json chain = json::array();
    for (const auto& part : location.chain) {
        chain.push_back({{"kind", to_string(part.kind)}, {"name", part.name}});
    }
    json out = {{"display", location.to_display()}, {"chain", std::move(chain)}};
    out["file"] = location.file();
    if (location.offset)
        out["offset"] = *location.offset;
    if (location.line)
        out["line"] = *location.line;
    if (location.column)
        out["column"] = *location.column;
    return out;
}

json finding_json(const Finding& finding) {
    json out = {
        {"rule_id", finding.rule_id},
        {"severity", to_string(finding.severity)},
        {"title", finding.title},
        {"message", finding.message},
        {"location", location_json(finding.location)},
        {"evidence", finding.evidence},
        {"remediation", finding.remediation},
    };
    out["cwe"] = finding.cwe ? json(*finding.cwe) : json(nullptr);
    if (!finding.fingerprint.empty())
        out["fingerprint"] = finding.fingerprint;
    return out;
}

json summary_json(const Report& report) {
    json counts = json::object();
    for (const auto severity :
         {Severity::critical, Severity::high, Severity::medium, Severity::low, Severity::info}) {
        counts[std::string(to_string(severity))] = 0;
    }
    for (const auto& finding : report.findings()) {
        counts[std::string(to_string(finding.severity))] =
            counts[std::string(to_string(finding.severity))].get<int>() + 1;
    }
    const auto& stats = report.stats();
    json formats = json::object();
    for (const auto& [name, count] : stats.formats)
        formats[name] = count;
    json outcomes = json::object();
    for (const auto& [name, outcome] : stats.outcomes)
        outcomes[name] = {{"objects", outcome.objects},
                          {"clean", outcome.clean},
                          {"with_findings", outcome.with_findings},
                          {"unverified", outcome.unverified}};
    const auto max = report.max_severity();
    json summary = {
        {"files", stats.files},
        {"blobs", stats.blobs},
        {"bytes", stats.bytes},
        {"skipped", stats.skipped},
        {"formats", formats},
        {"findings", counts},
        {"max_severity", max ? json(to_string(*max)) : json(nullptr)},
    };
    summary["outcomes"] = std::move(outcomes);
    return summary;
}

}  // namespace

std::string render_json(const Report& report) {
    json findings = json::array();
    for (const auto& finding : report.findings())
        findings.push_back(finding_json(finding));
    json out = {
        {"schema_version", kJsonSchemaVersion},
        {"tool",
         {{"name", "hazmat"},
          {"version", report.hazmat_version},
          {"rules_version", report.rules_version},
          {"data_version", report.data_version}}},
        {"command", report.command},
        {"target", report.target},
        {"started", fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                                fmt::gmtime(std::chrono::system_clock::to_time_t(report.started)))},
        {"duration_ms", report.duration.count()},
        {"fail_on", to_string(report.fail_on)},
        {"exit_code", exit_code_for(report)},
        {"summary", summary_json(report)},
        {"findings", std::move(findings)},
    };
    if (!report.verdict.empty())
        out["verdict"] = report.verdict;
    if (report.command_status) {
        const auto& status = *report.command_status;
        out["command_status"] = {{"state", to_string(status.state)},
                                 {"exit_code", status.exit_code},
                                 {"signal", status.signal},
                                 {"shell_status", status.shell_status()}};
    }
    if (!report.notes.empty()) {
        json notes = json::object();
        for (const auto& note : report.notes)
            notes[note.title] = note.lines;
        out["notes"] = std::move(notes);
    }
    return out.dump(2) + "\n";
}

}  // namespace hazmat
