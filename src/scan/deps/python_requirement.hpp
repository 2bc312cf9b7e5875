#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "scan/deps/manifest.hpp"

// Python requirement strings: PEP 508 ("name[extra]>=1.0; python_version<'3.9'",
// "name @ https://...") and the direct references pip also accepts in their
// place (archive URLs, VCS URLs with #egg=, local paths).
namespace hazmat::deps {

struct Pep508 {
    std::string name;
    std::vector<std::string> extras;
    std::string specifiers;  // without parentheses
    std::string url;         // after "@"
    std::string markers;     // after ";"
};

// Parses a PEP 508 requirement. Names are read leniently (non-ASCII
// letters are kept, so look-alike names can be reported rather than
// rejected); specifiers must be valid PEP 440.
Result<Pep508> parse_pep508(std::string_view text);

// What a URL or path reference points at.
struct DirectReference {
    SourceKind kind = SourceKind::url;
    std::string name;     // from "#egg=" or the archive's file name; may be empty
    std::string version;  // from the archive's file name, when it has one
    std::string git_ref;  // "@ref" of a VCS URL
};
DirectReference classify_python_reference(std::string_view reference);

// Whether text is a URL ("scheme://", "git+...") or a path rather than a requirement.
bool looks_like_url(std::string_view text);
bool looks_like_path(std::string_view text);

// A dependency from a PEP 508 string, with `requirement`, `pinned`,
// `source`, `url` and `git_ref` filled in.
Result<Dependency> python_dependency(std::string_view requirement);

// A dependency from a bare URL or path (requirements files, pip install
// arguments). The name comes from #egg= or the archive's file name.
Dependency python_reference_dependency(std::string_view reference);

// What pip makes of one requirement argument: "name @ url" and PEP 508
// strings, or a bare URL or path.
Result<Dependency> python_requirement_or_reference(std::string_view text);

// Whether `ref` names a commit rather than a branch or tag (7 to 64 hex digits).
bool is_commit_ref(std::string_view ref);

}  // namespace hazmat::deps
