#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "scan/deps/manifest.hpp"

namespace hazmat::deps {

// An included requirements file, found by an IncludeResolver.
struct ResolvedInclude {
    std::string identity;  // the same file always has the same identity (cycle detection)
    std::string display;   // how findings name it
    std::string text;
};

// Finds the files a requirements file includes ("-r", "-c"). The parser
// itself never touches the file system; the caller decides what may be read.
class IncludeResolver {
  public:
    virtual ~IncludeResolver() = default;
    // `from` is the display name of the including file; `path` as written.
    // The error explains why the include is not followed.
    virtual Result<ResolvedInclude> resolve(std::string_view from, std::string_view path) const = 0;
    // The identity of the file the parse starts from, so that an include
    // leading back to it is recognised as a cycle.
    virtual std::string identity(std::string_view display) const { return std::string(display); }
};

// Parses a pip requirements or constraints file the way pip reads it:
// backslash continuations, "#" comments, per-line options (--hash, ...),
// global options (-i, --extra-index-url, -f, --trusted-host, -r, -c, -e,
// ...), PEP 508 requirements, URLs and paths. Includes are followed through
// `resolver` (when given), each file at most once, at most 16 levels deep.
// Lines that pip would refuse, or that hazmat cannot read, become issues.
Manifest parse_requirements(std::string_view text, std::string_view display,
                            const IncludeResolver* resolver = nullptr);

// Reads one requirements-style line ("torch==2.0 --hash=sha256:..."),
// as pip accepts it on its command line or in a conda environment's pip
// section; `manifest` receives the dependency, index or issue.
void parse_requirements_line(std::string_view line, uint32_t line_number, Manifest& manifest);

}  // namespace hazmat::deps
