#pragma once

#include "core/report.hpp"

namespace hazmat {

// Exit codes shared by every command (see DESIGN.md).
inline constexpr int kExitClean = 0;     // nothing at or above --fail-on
inline constexpr int kExitFindings = 1;  // findings at or above --fail-on, unverified included
inline constexpr int kExitUsage = 2;     // the job could not start (arguments, missing target)

// A finding always outranks an internal error: problems while examining
// content are themselves HZ-SCAN findings, so the report alone decides.
// A job that executed a command passes the command's status on when no
// finding trips.
inline int exit_code_for(const Report& report) {
    if (report.count_at_least(report.fail_on) > 0)
        return kExitFindings;
    if (report.command_status)
        return report.command_status->shell_status();
    return kExitClean;
}

}  // namespace hazmat
