#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scan/deps/ecosystem.hpp"

// What the manifest and lockfile parsers produce: the dependencies a
// project declares, where it says to fetch them from, and what could not be
// read. Parsers never execute anything and never touch the network.
namespace hazmat::deps {

enum class SourceKind {
    registry,   // resolved by name from a package index or registry
    url,        // a direct archive URL ("name @ https://.../x.whl", npm tarball URL)
    git,        // a Git repository
    path,       // a local file or directory
    alias,      // npm "npm:other-package@range": installed under another name
    workspace,  // a package of the same monorepo ("workspace:*")
};

std::string_view to_string(SourceKind kind);

struct Dependency {
    Ecosystem ecosystem = Ecosystem::pypi;
    std::string name;        // as written
    std::string normalized;  // as the registry compares names
    // The version requirement as written ("==1.2.3", ">=2,<3", "^4.17.0",
    // "*"); empty when none is given.
    std::string requirement;
    // The exact version when a lockfile resolves one or the requirement pins one.
    std::optional<std::string> pinned;
    SourceKind source = SourceKind::registry;
    std::string url;       // direct URL, repository URL or path, as written
    std::string git_ref;   // the branch, tag or commit a Git reference names, if any
    std::string alias_of;  // npm alias: the package actually installed
    bool hashed = false;   // a hash or integrity value pins the artifact
    // The index or registry this one entry comes from, when the manifest
    // says so (a lockfile's resolved URL host, a uv/Poetry/Pipfile source).
    std::string index;
    std::string group;  // "dev", "optional:gpu", "build-system", "peer", ...
    uint32_t line = 0;
    uint32_t column = 0;
    // Set when the entry was read from a file that this one includes.
    std::string file;
    // A lockfile entry: resolved by a tool rather than written by a person.
    bool locked = false;
};

struct PackageIndex {
    enum class Role {
        primary,       // replaces the public default
        extra,         // consulted in addition to the others
        find_links,    // a page or directory of archives
        scoped,        // npm: serves one @scope only
        channel,       // conda channel
        trusted_host,  // pip --trusted-host: TLS errors for this host are ignored
    };
    Ecosystem ecosystem = Ecosystem::pypi;
    Role role = Role::primary;
    std::string url;
    std::string name;  // Poetry/PDM/uv/Pipfile source name, npm scope
    // The installer merges versions from this index with the others' and
    // takes the highest, so a public package can shadow a private one.
    bool merged = false;
    bool verify_tls = true;
    uint32_t line = 0;
    std::string file;  // set when read from an included file
    // Read from an included file that is reported on its own: it still
    // widens where this file's packages come from, but is not reported again.
    bool inherited = false;
};

// A line or field that could not be read: the dependencies it declares
// are unknown, so it becomes an "unverified" finding.
struct ManifestIssue {
    uint32_t line = 0;
    std::string message;
    std::string file;
};

// A requirements file naming another ("-r base.txt", "-c constraints.txt").
struct Include {
    std::string path;
    uint32_t line = 0;
    bool constraints = false;
    bool followed = false;
    std::string not_followed_because;
    std::string file;  // the including file when it is itself included
};

struct Manifest {
    std::string format;  // "requirements file", "package-lock.json v3", ...
    bool lockfile = false;
    // Install commands found in documentation (READMEs, notebooks): what
    // a reader is told to run, not a build the project pins.
    bool documentation = false;
    std::vector<Dependency> dependencies;
    std::vector<PackageIndex> indexes;
    std::vector<Include> includes;
    std::vector<ManifestIssue> issues;
    // Values the file computes when it runs (setup.py's install_requires
    // read from another file or returned by a function): well-formed, but
    // what they declare is known only by running it.
    std::vector<ManifestIssue> computed;
    // Settings that widen where packages come from (uv's index-strategy
    // "unsafe-best-match"): line and text.
    std::vector<std::pair<uint32_t, std::string>> merge_settings;
};

}  // namespace hazmat::deps
