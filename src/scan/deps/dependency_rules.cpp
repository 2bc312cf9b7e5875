#include "scan/deps/dependency_rules.hpp"

#include "core/rule_registry.hpp"

namespace hazmat {

namespace {

const RuleInfo kDependencyRules[] = {
    {rules::kDepMalicious, Severity::critical, "Dependency is a known malicious package",
     "An OSV advisory with a MAL- id lists this package (at the version the project asks for) "
     "as malware: a package published to steal credentials, install a backdoor or mine "
     "cryptocurrency, usually from its install hooks, so merely installing it runs the "
     "payload.",
     "Remove the dependency and do not install the project until it is gone. If it was ever "
     "installed, treat that machine and the credentials on it as compromised.",
     506},
    {rules::kDepVulnerable, Severity::high, "Dependency version has a known vulnerability",
     "The version this project pins or locks is affected by a published advisory (OSV, with "
     "its CVE and GHSA aliases in the evidence). The finding's severity follows the "
     "advisory's own rating where it gives one, up to high (critical is kept for malware), "
     "and is high otherwise.",
     "Upgrade to a version the advisory lists as fixed, or confirm the vulnerable code is "
     "not reachable in the way the project uses the package.",
     1395},
    {rules::kDepRangeVulnerable, Severity::low, "Version range admits known-vulnerable versions",
     "The requirement does not pin one version, and the versions it admits include ones that "
     "published advisories list as affected. hazmat does not guess which version an installer "
     "would pick: the evidence gives, per advisory, the affected versions inside the range. "
     "Severity is high when even the newest version the range admits is affected (nothing "
     "the installer can pick is fixed), low when only older versions in the range are.",
     "Raise the lower bound (or pin) to a fixed version, and lock dependencies so that what is "
     "installed is what was reviewed.",
     1395},
    {rules::kDepTypo, Severity::high, "Dependency name is a typo of a popular package",
     "The name is one letter added, dropped, changed or two adjacent letters swapped away from "
     "a package in the registry's most-downloaded list, and is not on that list itself. "
     "Typosquatting packages ('colourama' for 'colorama', 'electorn' for 'electron') copy the "
     "real package and add a payload that runs at install time.",
     "Check the name against the package you meant. If it is a typo, correct it; if the "
     "package is genuine, compare its publisher and history with the popular one first.",
     1357},
    {rules::kDepLookalike, Severity::high,
     "Dependency name imitates a popular package with look-alike characters",
     "The name renders like a popular package's name but is a different package: a capital I "
     "for a lower-case l ('jeIlyfish' for 'jellyfish'), a digit for a letter, 'rn' for 'm', "
     "letters from other scripts, or only different separators ('pythondateutil', "
     "'lodash_es'). Readers and reviewers see the popular name; the installer fetches the "
     "imposter.",
     "Retype the name from the package's official documentation and compare the result.", 1007},
    {rules::kDepCombosquat, Severity::medium,
     "Dependency name is a popular package's name with an affix",
     "The name is a popular package's name with a prefix or suffix that makes it read like its "
     "Python or JavaScript flavour or a new major version ('python-requests', 'requests-py', "
     "'pyrequests', 'requestsjs', 'requests2'), or with its words reordered "
     "('dateutil-python'). Such names are registered to catch people who guess a package "
     "name.",
     "Confirm that this exact package is the one you want; most projects mean the popular "
     "package itself.",
     1357},
    {rules::kDepScopeConfusion, Severity::high, "npm scope confusion",
     "The package is a popular scoped npm package under a look-alike scope "
     "('@typescript_eslint/parser' for '@typescript-eslint/parser'), or the popular scoped "
     "package with its scope folded into an unscoped name. npm scopes belong to their owners; "
     "a look-alike scope belongs to someone else.",
     "Use the package under its real scope.", 1357},
    {rules::kDepExtraIndex, Severity::high,
     "Extra package index lets a public package replace a private one",
     "pip (and PDM, Poetry's supplemental sources, uv's unsafe index strategies) collects "
     "candidates from every configured index and installs the highest version, wherever it "
     "comes from. A package that lives only on the extra index can be registered on the "
     "public one by anyone, with a higher version, and wins: this is how the PyTorch nightly "
     "'torchtriton' package was replaced in December 2022. The evidence lists the "
     "dependencies exposed: unpinned ones, and ones whose names look internal.",
     "Use --index-url for a private index that mirrors the public one (a single index), pin "
     "exact versions with --hash, or use a tool that resolves each package from one index "
     "only (uv's default first-index strategy, Poetry explicit sources).",
     427, "https://pytorch.org/blog/compromised-nightly-dependency/"},
    {rules::kDepConfusionVersion, Severity::high,
     "Version typical of a dependency-confusion upload",
     "The dependency is pinned or locked to a very high version (for example 99.0.0 or "
     "9000.0.0) of a package that is not among the registry's popular ones. Attackers who "
     "publish a company's internal package names on public registries use such versions so "
     "that installers prefer their copy over the internal one.",
     "Check where this version came from. Internal packages should come only from the "
     "internal index, with a scope or name prefix that the public registry reserves for you.",
     427},
    {rules::kDepInternalName, Severity::medium,
     "Internal-looking package name resolved from a public registry",
     "The name looks like an organisation's internal package ('acme-internal-utils', "
     "'corp-auth'), but nothing in this file directs it to a private index, or its lockfile "
     "entry was downloaded from the public registry. If the internal index is missing on some "
     "machine (CI, a new laptop), the installer takes whatever a stranger published under "
     "that name.",
     "Serve internal packages from a private index configured as the only index, or under an "
     "npm scope you own, and pin them with hashes.",
     427},
    {rules::kDepWellKnownElsewhere, Severity::high,
     "Well-known package installed from a direct URL, Git repository or local file",
     "A package from the registry's popular list is not installed from the registry but from a "
     "URL, a Git repository or a file in the project. The archive can contain anything under "
     "the familiar name: a fake 'openai' or 'anthropic' wheel on someone's release page is "
     "imported by code that trusts the real one.",
     "Install the package from its registry, or verify that the URL belongs to the package's "
     "maintainers and pin its hash or commit.",
     494},
    {rules::kDepAlias, Severity::high, "Package installed under another package's name",
     "An npm alias ('\"lodash\": \"npm:other-package@1.0.0\"') installs one package under a "
     "different name, so code that requires the familiar name runs the other package.",
     "Depend on the package under its own name, or confirm why the alias exists.", 494},
    {rules::kDepCustomIndex, Severity::medium, "Package index or registry other than the default",
     "The project fetches packages from an index or registry other than pypi.org or "
     "registry.npmjs.org. What that server returns is outside the public registries' "
     "malware scanning and takedowns, and whoever runs it decides what is installed.",
     "Confirm who operates the index and why it is needed; prefer the public registry or your "
     "organisation's own mirror.",
     829},
    {rules::kDepInsecureIndex, Severity::high, "Package index or download without TLS verification",
     "Packages are fetched over plain HTTP (an index, a lockfile's recorded download URL, a "
     "direct archive or repository URL), or certificate checks are turned off "
     "(--trusted-host, verify_ssl = false, strict-ssl=false). Anyone on the network path can "
     "substitute what is installed.",
     "Use https:// and remove the exemption from certificate verification.", 319},
    {rules::kDepMissingHash, Severity::medium, "Entry without a hash where others have one",
     "Other entries of this file are pinned by a hash or integrity value, this one is not. An "
     "entry edited to point at a different artifact typically loses its hash; for "
     "requirements files pip refuses the whole file in hash-checking mode.",
     "Regenerate the file with hashes for every entry (pip-compile --generate-hashes, npm "
     "install) and review the change that removed this one.",
     353},
    {rules::kDepDirectSource, Severity::low,
     "Dependency from a direct URL, Git repository or local path",
     "The package does not come from a registry. Registries keep published versions "
     "immutable and scan for malware; a URL or repository can change under the same name.",
     "Pin the artifact's hash or the commit, or publish the package to your index.", 829},
    {rules::kDepUnpinned, Severity::low, "Dependency without a version",
     "The dependency names no version, so every install takes whatever is newest, including a "
     "release published by someone who took over the package.",
     "Pin versions (==) in applications, or lock them with a lockfile, and update deliberately.",
     1357},
    {rules::kDepWildcard, Severity::low, "Dependency with a wildcard version or a moving tag",
     "The version is '*', 'x', 'latest' or another dist-tag: it admits every release, "
     "including future ones.",
     "Replace it with a version range you have reviewed, and lock the result.", 1357},
    {rules::kDepGitWithoutCommit, Severity::low, "Git dependency without a commit",
     "The Git reference names a branch or tag (or nothing), which the repository's owner can "
     "move to any code at any time.",
     "Pin the full commit hash.", 829},
    {rules::kDepIncludeNotFollowed, Severity::info, "Included requirements file not examined",
     "A requirements file includes another one ('-r', '-c', 'file:') that hazmat did not read "
     "as part of it: it is outside the including file's directory, missing, a link, or inside "
     "an archive. Its dependencies and index options are checked only if it is scanned on its "
     "own.",
     "Scan the included file too, or the directory that holds both.", std::nullopt},
    {rules::kDepComputedRequirements, Severity::info, "Dependencies computed when setup.py runs",
     "setup.py is Python, and hazmat reads it without running it: literal requirement lists, "
     "and names bound to them, are checked, but a requirement list read from another file, "
     "returned by a function, taken from the environment or passed as setup(**options) is "
     "known only at build time. The dependencies it produces were not checked.",
     "Scan the file the list is read from (a requirements file is checked on its own), or "
     "declare the dependencies as literals, preferably in pyproject.toml.",
     std::nullopt},
};

}  // namespace

std::span<const RuleInfo> dependency_rules() {
    return kDependencyRules;
}

}  // namespace hazmat
