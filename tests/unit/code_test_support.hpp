#pragma once

// Shared by the code analysis tests: scanning fixture projects and source
// snippets through the archive and code analyzers exactly as the CLI does.

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "core/archive/archive_analyzers.hpp"
#include "core/dispatcher.hpp"
#include "core/report.hpp"
#include "core/scanner.hpp"
#include "scan/code/code_analyzer.hpp"

namespace hazmat {

inline void PrintTo(const Finding& finding, std::ostream* out) {
    *out << finding.rule_id << " " << to_string(finding.severity) << " "
         << finding.location.to_display() << ":" << finding.location.line.value_or(0) << " "
         << finding.message;
}

}  // namespace hazmat

namespace hazmat::testing {

inline std::string code_fixture(const std::string& name) {
    return std::string(HAZMAT_FIXTURES_DIR) + "/code/" + name;
}

inline std::unique_ptr<Dispatcher> code_dispatcher(const std::vector<std::string>& roots) {
    auto analyzers = archive_analyzers();
    for (auto& analyzer : code::code_analyzers(roots))
        analyzers.push_back(std::move(analyzer));
    return std::make_unique<Dispatcher>(std::move(analyzers));
}

struct CodeScan {
    std::vector<Finding> findings;

    // Findings of `rule` whose file ends with `file_suffix`.
    std::vector<Finding> of(std::string_view rule, std::string_view file_suffix = "") const {
        std::vector<Finding> matching;
        for (const auto& finding : findings) {
            if (finding.rule_id == rule && finding.location.file().ends_with(file_suffix))
                matching.push_back(finding);
        }
        return matching;
    }
    std::vector<std::string> rules_in(std::string_view file_suffix) const {
        std::vector<std::string> rules;
        for (const auto& finding : findings) {
            if (finding.location.file().ends_with(file_suffix))
                rules.push_back(finding.rule_id);
        }
        std::sort(rules.begin(), rules.end());
        rules.erase(std::unique(rules.begin(), rules.end()), rules.end());
        return rules;
    }
    std::optional<Severity> max_severity() const {
        std::optional<Severity> highest;
        for (const auto& finding : findings)
            highest = std::max(highest.value_or(Severity::info), finding.severity);
        return highest;
    }
};

// Scans a fixture directory (or file) as the CLI would with it as target.
inline CodeScan scan_code_fixture(const std::string& name) {
    const auto target = code_fixture(name);
    const auto dispatcher = code_dispatcher({target});
    Scanner scanner(*dispatcher, ScanLimits{}, 1);
    Report report;
    scanner.scan(target, report);
    report.finish();
    return {report.findings()};
}

// Scans `source` as a file called `name` (a path relative to the target).
inline CodeScan scan_source(const std::string& name, std::string source) {
    const auto dispatcher = code_dispatcher({});
    Report report;
    scan_bytes(*dispatcher, ScanLimits{}, bytes_from(std::move(source)), name, report);
    report.finish();
    return {report.findings()};
}

}  // namespace hazmat::testing
