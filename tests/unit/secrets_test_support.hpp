#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/dispatcher.hpp"
#include "core/report.hpp"

namespace hazmat::testing {

// The dispatcher with the secrets analyzer loaded from the source tree's
// rules/secrets, built once per test binary (compiling the rules takes a
// second).
const Dispatcher& secrets_dispatcher();

// Scans `text` as a file named `name` and returns the findings in order.
std::vector<Finding> scan_text(std::string_view text, const std::string& name = "config.py");

// The findings above info.
std::vector<Finding> reportable(const std::vector<Finding>& findings);

}  // namespace hazmat::testing
