// package.json, package-lock.json v1 to v3, yarn.lock v1 and berry,
// pnpm-lock.yaml and .npmrc.

#include <gtest/gtest.h>

#include "deps_test_support.hpp"
#include "scan/deps/parsers.hpp"

namespace hazmat::deps {
namespace {

std::vector<std::string> summary(const Manifest& manifest) {
    std::vector<std::string> lines;
    for (const auto& d : manifest.dependencies) {
        std::string line = fmt::format("{} {} '{}'", d.line, d.name, d.requirement);
        if (!d.group.empty())
            line += " [" + d.group + "]";
        if (d.source != SourceKind::registry)
            line += fmt::format(" {}", to_string(d.source));
        if (!d.url.empty())
            line += " " + d.url;
        if (!d.alias_of.empty())
            line += " -> " + d.alias_of;
        if (!d.git_ref.empty())
            line += " @" + d.git_ref;
        if (d.pinned)
            line += " pinned " + *d.pinned;
        if (d.hashed)
            line += " hashed";
        if (!d.index.empty())
            line += " from " + d.index;
        lines.push_back(line);
    }
    std::stable_sort(lines.begin(), lines.end(), [](const std::string& a, const std::string& b) {
        return std::stoul(a) < std::stoul(b);
    });
    return lines;
}

TEST(NpmManifests, PackageJsonDependencyKinds) {
    const auto manifest = parse_package_json(R"({
  "name": "demo",
  "dependencies": {
    "react": "^18.2.0",
    "lodash": "npm:lodash-es@4.17.21",
    "left-pad": "1.3.0",
    "local-lib": "file:../local-lib",
    "forked": "github:someone/forked#v2",
    "tarball": "https://example.invalid/pkg-1.0.0.tgz",
    "next-thing": "next",
    "anything": "*",
    "@acme/ui": "workspace:*"
  },
  "devDependencies": { "typescript": "~5.3.0" },
  "peerDependencies": { "react-dom": ">=18" },
  "optionalDependencies": { "fsevents": "2.3.3" },
  "overrides": { "semver": "7.5.4", "nested": { "x": "1.0.0" } },
  "scripts": { "postinstall": "pip install colourama && npm i electorn@1.0.0" }
})");
    EXPECT_EQ(summary(manifest),
              (std::vector<std::string>{
                  "4 react '^18.2.0'",
                  "5 lodash '4.17.21' alias -> lodash-es",
                  "6 left-pad '1.3.0' pinned 1.3.0",
                  "7 local-lib 'file:../local-lib' local path file:../local-lib",
                  "8 forked 'github:someone/forked#v2' Git repository github:someone/forked#v2 @v2",
                  "9 tarball 'https://example.invalid/pkg-1.0.0.tgz' direct URL "
                  "https://example.invalid/pkg-1.0.0.tgz",
                  "10 next-thing 'next'",
                  "11 anything '*'",
                  "12 @acme/ui 'workspace:*' workspace",
                  "14 typescript '~5.3.0' [dev]",
                  "15 react-dom '>=18' [peer]",
                  "16 fsevents '2.3.3' [optional] pinned 2.3.3",
                  "17 semver '7.5.4' [override] pinned 7.5.4",
                  "18 colourama '' [script:postinstall]",
                  "18 electorn '1.0.0' [script:postinstall] pinned 1.0.0",
              }));
    EXPECT_TRUE(manifest.issues.empty());
}

TEST(NpmManifests, DuplicateKeysAreReported) {
    const auto manifest = parse_package_json(
        "{\n  \"dependencies\": {\n    \"a\": \"1.0.0\",\n    \"a\": \"2.0.0\"\n  }\n}\n");
    EXPECT_EQ(summary(manifest), std::vector<std::string>{"4 a '2.0.0' pinned 2.0.0"});
    ASSERT_EQ(manifest.issues.size(), 1u);
    EXPECT_EQ(manifest.issues[0].line, 4u);
    EXPECT_EQ(manifest.issues[0].message,
              "key 'a' appears twice; tools disagree on which entry counts");
}

TEST(NpmManifests, BrokenJsonIsAnIssueWithItsLine) {
    const auto manifest =
        parse_package_json("{\n  \"dependencies\": {\n    \"a\": 1.0.0\n  }\n}\n");
    ASSERT_EQ(manifest.issues.size(), 1u);
    EXPECT_TRUE(manifest.issues[0].message.starts_with("not valid JSON: line 3:"))
        << manifest.issues[0].message;
}

TEST(NpmManifests, PackageLockVersionOneNests) {
    const auto manifest = parse_package_lock(R"({
  "lockfileVersion": 1,
  "dependencies": {
    "lodash": {
      "version": "4.17.20",
      "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz",
      "integrity": "sha512-x",
      "dependencies": {
        "inner": {"version": "1.0.0", "resolved": "https://npm.internal.invalid/inner/-/inner-1.0.0.tgz"}
      }
    },
    "aliased": {"version": "npm:other@2.0.0"},
    "from-git": {"version": "git+https://github.com/example/x.git#0123456789abcdef0123456789abcdef01234567"}
  }
})");
    EXPECT_EQ(manifest.format, "package-lock.json v1");
    EXPECT_EQ(summary(manifest),
              (std::vector<std::string>{
                  "4 lodash '4.17.20' pinned 4.17.20 hashed from https://registry.npmjs.org",
                  "9 inner '1.0.0' pinned 1.0.0 from https://npm.internal.invalid",
                  "12 aliased '2.0.0' alias -> other pinned 2.0.0",
                  "13 from-git '' Git repository "
                  "git+https://github.com/example/x.git#0123456789abcdef0123456789abcdef01234567 "
                  "@0123456789abcdef0123456789abcdef01234567",
              }));
}

TEST(NpmManifests, PackageLockVersionThreeUsesPackagePaths) {
    const auto manifest = parse_package_lock(R"({
  "lockfileVersion": 3,
  "packages": {
    "": {"name": "demo"},
    "node_modules/@scope/pkg": {"version": "1.0.0", "integrity": "sha512-x",
                                "resolved": "https://registry.npmjs.org/@scope/pkg/-/pkg-1.0.0.tgz"},
    "node_modules/a/node_modules/b": {"version": "2.0.0", "dev": true},
    "node_modules/lodash": {"name": "evil-lodash", "version": "1.0.0"},
    "node_modules/evil": {"version": "1.0.0", "resolved": "https://evil.invalid/evil.tgz"},
    "packages/app": {"version": "0.0.1"},
    "node_modules/app": {"resolved": "packages/app", "link": true}
  }
})");
    EXPECT_EQ(summary(manifest),
              (std::vector<std::string>{
                  "5 @scope/pkg '1.0.0' pinned 1.0.0 hashed from https://registry.npmjs.org",
                  "7 b '2.0.0' [dev] pinned 2.0.0",
                  "8 lodash '1.0.0' alias -> evil-lodash pinned 1.0.0",
                  "9 evil '1.0.0' direct URL https://evil.invalid/evil.tgz pinned 1.0.0",
                  "11 app '' workspace packages/app",
              }));
}

TEST(NpmManifests, YarnClassicLockfile) {
    const auto manifest = parse_yarn_lock(R"(# THIS IS AN AUTOGENERATED FILE.
# yarn lockfile v1


"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
  version "7.12.13"
  resolved "https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.13.tgz#dcfc826b"
  integrity sha512-x
  dependencies:
    "@babel/highlight" "^7.12.13"

lodash@npm:lodash-es@^4.17.0:
  version "4.17.21"
  resolved "https://registry.yarnpkg.com/lodash-es/-/lodash-es-4.17.21.tgz"

mystery@^1.0.0:
  version "1.0.0"
  resolved "https://example.invalid/mystery-1.0.0.tgz"
)");
    EXPECT_EQ(
        summary(manifest),
        (std::vector<std::string>{
            "5 @babel/code-frame '7.12.13' pinned 7.12.13 hashed from https://registry.yarnpkg.com",
            "12 lodash '4.17.21' alias -> lodash-es pinned 4.17.21 from "
            "https://registry.yarnpkg.com",
            "16 mystery '1.0.0' direct URL https://example.invalid/mystery-1.0.0.tgz pinned "
            "1.0.0",
        }));
    EXPECT_TRUE(manifest.issues.empty());
}

TEST(NpmManifests, YarnBerryLockfile) {
    const auto manifest = parse_yarn_lock(R"(__metadata:
  version: 6
  cacheKey: 8

"lodash@npm:^4.17.0, lodash@npm:^4.17.4":
  version: 4.17.21
  resolution: "lodash@npm:4.17.21"
  checksum: 1234abcd
  languageName: node
  linkType: hard

"tool@https://github.com/example/tool.git#commit=0123456789abcdef0123456789abcdef01234567":
  version: 0.1.0
  resolution: "tool@https://github.com/example/tool.git#commit=0123456789abcdef0123456789abcdef01234567"

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
)");
    EXPECT_EQ(manifest.format, "yarn.lock (berry)");
    EXPECT_EQ(
        summary(manifest),
        (std::vector<std::string>{
            "5 lodash '4.17.21' pinned 4.17.21 hashed",
            "12 tool '0.1.0' Git repository "
            "https://github.com/example/tool.git#commit=0123456789abcdef0123456789abcdef01234567 "
            "@0123456789abcdef0123456789abcdef01234567 pinned 0.1.0",
            "16 app '0.0.0-use.local' workspace pinned 0.0.0-use.local",
        }));
}

TEST(NpmManifests, PnpmLockfilesOfEveryKeyStyle) {
    const auto manifest = parse_pnpm_lock(R"(lockfileVersion: '6.0'

packages:

  /@babel/core/7.22.0:
    resolution: {integrity: sha512-x}
    dev: true

  /lodash@4.17.20(peer@1.0.0):
    resolution: {integrity: sha512-y}

  react@18.2.0:
    resolution: {integrity: sha512-z}

  /from-tarball@1.0.0:
    resolution: {tarball: https://example.invalid/from-tarball-1.0.0.tgz}
)");
    EXPECT_EQ(
        summary(manifest),
        (std::vector<std::string>{
            "5 @babel/core '7.22.0' [dev] pinned 7.22.0 hashed",
            "9 lodash '4.17.20' pinned 4.17.20 hashed",
            "12 react '18.2.0' pinned 18.2.0 hashed",
            "15 from-tarball '1.0.0' direct URL https://example.invalid/from-tarball-1.0.0.tgz "
            "pinned 1.0.0",
        }));
}

TEST(NpmManifests, NpmrcRegistries) {
    const auto manifest = parse_npmrc(R"(# project registry settings
registry=https://npm.internal.invalid/
@acme:registry = https://npm.acme.invalid/
//npm.acme.invalid/:_authToken=${NPM_TOKEN}
strict-ssl=false
)");
    ASSERT_EQ(manifest.indexes.size(), 3u);
    EXPECT_EQ(manifest.indexes[0].role, PackageIndex::Role::primary);
    EXPECT_EQ(manifest.indexes[0].url, "https://npm.internal.invalid/");
    EXPECT_EQ(manifest.indexes[0].line, 2u);
    EXPECT_EQ(manifest.indexes[1].role, PackageIndex::Role::scoped);
    EXPECT_EQ(manifest.indexes[1].name, "@acme");
    EXPECT_EQ(manifest.indexes[2].role, PackageIndex::Role::trusted_host);
    EXPECT_FALSE(manifest.indexes[2].verify_tls);
    EXPECT_EQ(manifest.indexes[2].line, 5u);
}

}  // namespace
}  // namespace hazmat::deps
