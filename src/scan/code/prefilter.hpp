#pragma once

#include <string_view>

namespace hazmat::code {

// Whether Python source contains anything the syntax-tree rules could act
// on. A lexical pass (identifiers outside strings and comments, and the
// content of non-docstring string literals) looks for the names every rule
// depends on: a call to pickle.load needs the token "pickle" somewhere, an
// os.system call needs "system" (even `from os import system as s` spells
// it), a credential read needs a string naming the store. Files with none
// are not parsed, which is most library code; the text checks still run on
// them. Keep in step with python_rules.cpp: every rule's trigger names are
// listed in prefilter.cpp, and the fixture tests check that each malicious
// fixture passes the filter.
bool python_needs_review(std::string_view source);

// The same for JavaScript, by substring: module and global names the
// JavaScript rules depend on, and string indicators.
bool javascript_needs_review(std::string_view source);

}  // namespace hazmat::code
