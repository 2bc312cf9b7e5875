#pragma once

#include <string>
#include <string_view>

namespace hazmat::pickle {

// A global as find_class sees it, after the renames the unpickler applies:
// `module` is what gets imported, `attribute` the (possibly dotted) path
// looked up on it.
struct GlobalName {
    std::string module;
    std::string attribute;

    // "module.attribute", the spelling used by the policy and in findings.
    std::string qualified() const { return module + "." + attribute; }
};

// Mirrors find_class's name handling for the pickle's current protocol:
//  - protocols 0-2 apply fix_imports (Lib/_compat_pickle.py NAME_MAPPING,
//    then IMPORT_MAPPING), exactly as CPython does by default, so that
//    `__builtin__ eval` is builtins.eval;
//  - C accelerator modules that only re-export the public module's objects
//    are folded into it (posix and nt are os, _operator is operator, ...),
//    so a deny entry for os.system also covers `posix system`, which is how
//    pickle itself spells os.system on Linux.
GlobalName normalize_global(std::string_view module, std::string_view attribute, int protocol);

// The canonical spelling of a module name (aliases folded), without the
// protocol-dependent Python 2 renames.
std::string canonical_module(std::string_view module);

// Whether `text` is a dotted Python identifier path ("a.b_c.D"). Names that
// are not cannot be imported; they still get resolved and reported.
bool is_dotted_identifier(std::string_view text);

}  // namespace hazmat::pickle
