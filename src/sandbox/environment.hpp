#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "sandbox/decoys.hpp"
#include "sandbox/persona.hpp"

namespace hazmat::sandbox {

// The command's environment. hazmat's own environment is not passed
// through (it holds tokens, agent sockets, cloud profiles): only PATH (its
// entries under the system directories the sandbox shows),
// LANG, LC_*, TERM and TZ are copied, HOME, USER, LOGNAME and SHELL
// describe the persona, the decoy variables are added, and then the user's
// grants (--env NAME copies hazmat's value, --env NAME=VALUE sets one).
Result<std::vector<std::string>> sandbox_environment(const Persona& persona, const DecoySet& decoys,
                                                     const std::vector<std::string>& grants,
                                                     const std::string& working_directory,
                                                     char** host_environment);

}  // namespace hazmat::sandbox
