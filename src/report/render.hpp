#pragma once

#include <string>

#include "core/report.hpp"

namespace hazmat {

struct TextOptions {
    bool color = false;
    // Show evidence chains and remediation for every finding, not only for
    // those at or above the report's fail-on level.
    bool verbose = false;
};

// Human-readable report: findings grouped by file, most severe first within
// a file, then a one-line summary.
std::string render_text(const Report& report, const TextOptions& options);

// Machine-readable report; the schema is documented in docs/report-format.md
// and versioned by its "schema_version" field.
std::string render_json(const Report& report);

inline constexpr int kJsonSchemaVersion = 1;

}  // namespace hazmat
