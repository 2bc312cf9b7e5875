#pragma once

#include <string>
#include <string_view>

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

// `text` made safe to print on a terminal: file names, member names and
// callable names come from the files under review (or from the sandboxed
// program) and could otherwise clear the screen, set the window title or
// fake report lines. C0 controls and DEL become \n, \r, \t or \xNN, C1
// controls (U+0080 to U+009F) become \uNNNN and bytes that are not UTF-8
// become \xNN; everything else is kept. The text renderer and the log
// lines pass every string through it.
std::string terminal_safe(std::string_view text);

}  // namespace hazmat
