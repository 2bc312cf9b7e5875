#pragma once

#include "scan/code/observations.hpp"
#include "scan/code/python_module.hpp"
#include "scan/code/review.hpp"

namespace hazmat::code {

// Applies the Python rules to a parsed module, recording observations in
// `log`. Embedded shell commands, code strings and decoded payloads go back
// through `reviewer`.
void review_python_module(const PythonModule& module, const UnitSpec& spec, ObservationLog& log,
                          Reviewer& reviewer);

}  // namespace hazmat::code
