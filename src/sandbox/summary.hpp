#pragma once

#include <string>
#include <string_view>

#include "core/report.hpp"
#include "sandbox/sandbox.hpp"

namespace hazmat::sandbox {

// Turns a run's record into HZ-RUN findings, the verdict, the command's
// status and the notes (isolation, limits, workspace changes) of `report`.
// Verdicts:
//   malicious    a decoy value leaked (critical), or a decoy credential was
//                read and the program also reached for the network, started
//                a downloader or tried to persist;
//   suspicious   any other finding about the program at or above the
//                report's --fail-on;
//   inconclusive the run was cut short (timeout, crash, not started) or not
//                fully observed (monitor unavailable or lost events, files
//                too large to scan): findings about the run itself count
//                here, not as suspicious;
//   clean        none of the above.
void summarize_run(const RunRecord& record, Report& report);

// The kind of program an execve started, judged from argv[0] and the path:
// "shell", "downloader", "scheduler" or empty. Exposed for tests.
std::string_view program_kind(std::string_view path, std::string_view argv0);

}  // namespace hazmat::sandbox
