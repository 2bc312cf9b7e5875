#include "secrets_test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/scanner.hpp"
#include "scan/analyzers.hpp"

namespace hazmat::testing {

const Dispatcher& secrets_dispatcher() {
    static const auto dispatcher = [] {
        AnalyzerOptions options{DataDir{HAZMAT_BUILD_DATA_DIR}, {}, {}, {}};
        auto built = build_dispatcher(options);
        if (!built) {
            ADD_FAILURE() << built.error().message;
            std::abort();
        }
        return std::move(*built);
    }();
    return *dispatcher;
}

std::vector<Finding> scan_text(std::string_view text, const std::string& name) {
    Report report;
    scan_bytes(secrets_dispatcher(), ScanLimits{}, bytes_from(std::string(text)), name, report);
    report.finish();
    return report.findings();
}

std::vector<Finding> reportable(const std::vector<Finding>& findings) {
    std::vector<Finding> out;
    std::copy_if(findings.begin(), findings.end(), std::back_inserter(out),
                 [](const Finding& f) { return f.severity > Severity::info; });
    return out;
}

}  // namespace hazmat::testing
