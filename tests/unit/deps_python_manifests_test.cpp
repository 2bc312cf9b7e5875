// pyproject.toml (PEP 621, PEP 735, Poetry, PDM, Hatch, uv), setup.cfg,
// Pipfile, the Python lockfiles, conda environments and pip.conf.

#include <gtest/gtest.h>

#include "deps_test_support.hpp"
#include "scan/deps/parsers.hpp"

namespace hazmat::deps {
namespace {

// "line name 'requirement' group [source url] [@ref] [pinned] [hashed] [index]".
std::vector<std::string> summary(const Manifest& manifest) {
    std::vector<std::string> lines;
    for (const auto& d : manifest.dependencies) {
        std::string line = fmt::format("{} {} '{}'", d.line, d.name, d.requirement);
        if (!d.group.empty())
            line += " [" + d.group + "]";
        if (d.source != SourceKind::registry)
            line += fmt::format(" {} {}", to_string(d.source), d.url);
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
    // TOML tables iterate in key order; compare in line order.
    std::stable_sort(lines.begin(), lines.end(), [](const std::string& a, const std::string& b) {
        return std::stoul(a) < std::stoul(b);
    });
    return lines;
}

std::vector<std::string> indexes(const Manifest& manifest) {
    std::vector<std::string> lines;
    for (const auto& index : manifest.indexes) {
        const auto role = index.role == PackageIndex::Role::primary      ? "primary"
                          : index.role == PackageIndex::Role::extra      ? "extra"
                          : index.role == PackageIndex::Role::find_links ? "find-links"
                          : index.role == PackageIndex::Role::scoped     ? "scoped"
                          : index.role == PackageIndex::Role::channel    ? "channel"
                                                                         : "trusted-host";
        lines.push_back(fmt::format("{} {} {}{}{}", index.line, role, index.url,
                                    index.merged ? " merged" : "",
                                    index.verify_tls ? "" : " no-tls"));
    }
    return lines;
}

TEST(PythonManifests, PyprojectStandardTables) {
    const auto manifest = parse_pyproject(R"([build-system]
requires = ["setuptools>=61", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "demo"
dependencies = [
  "torch==2.1.0",
  "transformers>=4.30",
]

[project.optional-dependencies]
gpu = ["nvidia-ml-py"]

[dependency-groups]
test = ["pytest>=8", {include-group = "lint"}]
lint = ["ruff"]
)");
    EXPECT_EQ(summary(manifest), (std::vector<std::string>{
                                     "2 setuptools '>=61' [build-system]",
                                     "2 wheel '' [build-system]",
                                     "8 torch '==2.1.0' pinned 2.1.0",
                                     "9 transformers '>=4.30'",
                                     "13 nvidia-ml-py '' [optional:gpu]",
                                     "16 pytest '>=8' [group:test]",
                                     "17 ruff '' [group:lint]",
                                 }));
    EXPECT_TRUE(manifest.issues.empty());
}

TEST(PythonManifests, PyprojectPoetryTablesAndSources) {
    const auto manifest = parse_pyproject(R"([tool.poetry.dependencies]
python = "^3.10"
requests = "^2.31"
numpy = "1.26.4"
mylib = { git = "https://github.com/example/mylib.git", branch = "main" }
private-sdk = { version = "^1.0", source = "internal" }

[tool.poetry.group.dev.dependencies]
pytest = "*"

[[tool.poetry.source]]
name = "internal"
url = "https://pypi.internal.invalid/simple"
priority = "supplemental"
)");
    EXPECT_EQ(summary(manifest),
              (std::vector<std::string>{
                  "3 requests '^2.31'", "4 numpy '1.26.4' pinned 1.26.4",
                  "5 mylib '' Git repository https://github.com/example/mylib.git @main",
                  "6 private-sdk '^1.0' from internal", "9 pytest '*' [group:dev]"}));
    EXPECT_EQ(indexes(manifest),
              std::vector<std::string>{"11 extra https://pypi.internal.invalid/simple merged"});
}

TEST(PythonManifests, PoetryConstraintsBecomePep440) {
    EXPECT_EQ(poetry_constraint_as_pep440("^1.2.3"), ">=1.2.3,<2");
    EXPECT_EQ(poetry_constraint_as_pep440("^0.2.3"), ">=0.2.3,<0.3");
    EXPECT_EQ(poetry_constraint_as_pep440("^0.0.3"), ">=0.0.3,<0.0.4");
    EXPECT_EQ(poetry_constraint_as_pep440("~1.2.3"), ">=1.2.3,<1.3");
    EXPECT_EQ(poetry_constraint_as_pep440("~1"), ">=1,<2");
    EXPECT_EQ(poetry_constraint_as_pep440("1.2.3"), "==1.2.3");
    EXPECT_EQ(poetry_constraint_as_pep440(">=1.0 <2.0"), ">=1.0,<2.0");
    EXPECT_EQ(poetry_constraint_as_pep440("*"), "");
    EXPECT_EQ(poetry_constraint_as_pep440("^1.0 || ^2.0"), std::nullopt);
}

TEST(PythonManifests, PyprojectPdmHatchAndUv) {
    const auto manifest = parse_pyproject(R"([project]
dependencies = ["torch", "acme-internal-auth"]

[tool.pdm.dev-dependencies]
test = ["pytest"]

[[tool.pdm.source]]
name = "private"
url = "https://pypi.internal.invalid/simple"
verify_ssl = false

[tool.hatch.envs.docs]
dependencies = ["mkdocs"]

[tool.uv]
dev-dependencies = ["ruff"]
index-strategy = "unsafe-best-match"

[[tool.uv.index]]
name = "pytorch"
url = "https://download.pytorch.org/whl/cu121"

[tool.uv.sources]
torch = { index = "pytorch" }
acme-internal-auth = { git = "https://git.internal.invalid/auth.git", tag = "v2" }
)");
    EXPECT_EQ(
        summary(manifest),
        (std::vector<std::string>{
            "2 torch '' from pytorch",
            "2 acme-internal-auth '' Git repository https://git.internal.invalid/auth.git @v2",
            "5 pytest '' [dev:test]", "13 mkdocs '' [hatch:docs]", "16 ruff '' [dev]"}));
    EXPECT_EQ(indexes(manifest), (std::vector<std::string>{
                                     "7 extra https://pypi.internal.invalid/simple merged no-tls",
                                     "19 extra https://download.pytorch.org/whl/cu121 merged"}));
    ASSERT_EQ(manifest.merge_settings.size(), 1u);
    EXPECT_EQ(manifest.merge_settings[0],
              (std::pair<uint32_t, std::string>{17, "index-strategy = \"unsafe-best-match\""}));
}

TEST(PythonManifests, BrokenTomlIsAnIssueWithItsLine) {
    const auto manifest = parse_pyproject("[project]\ndependencies = [\"a\",\n\"b\"\nname = 1\n");
    ASSERT_EQ(manifest.issues.size(), 1u);
    EXPECT_EQ(manifest.issues[0].line, 4u);
    EXPECT_TRUE(manifest.dependencies.empty());
    const auto bad_entry = parse_pyproject("[project]\ndependencies = [\"ok\", 3, \"bad>=\"]\n");
    EXPECT_EQ(summary(bad_entry), std::vector<std::string>{"2 ok ''"});
    EXPECT_EQ(bad_entry.issues.size(), 2u);
}

TEST(PythonManifests, SetupCfgRequirementLists) {
    const auto manifest = parse_setup_cfg(R"([metadata]
name = demo

[options]
install_requires =
    requests>=2.0
    # a comment inside the list
    importlib-metadata; python_version < "3.8"
setup_requires = setuptools_scm; wheel
dependency_links = https://wheels.internal.invalid/

[options.extras_require]
gpu =
    cupy-cuda12x
)");
    EXPECT_EQ(summary(manifest), (std::vector<std::string>{
                                     "6 requests '>=2.0'",
                                     "8 importlib-metadata ''",
                                     "9 setuptools_scm '' [setup]",
                                     "9 wheel '' [setup]",
                                     "14 cupy-cuda12x '' [optional:gpu]",
                                 }));
    EXPECT_EQ(indexes(manifest),
              std::vector<std::string>{"10 find-links https://wheels.internal.invalid/ merged"});
}

TEST(PythonManifests, PipfileAndItsLock) {
    const auto pipfile = parse_pipfile(R"([[source]]
name = "pypi"
url = "https://pypi.org/simple"
verify_ssl = true

[[source]]
name = "internal"
url = "http://pypi.internal.invalid/simple"
verify_ssl = false

[packages]
requests = "*"
flask = "==3.0.0"
internal-sdk = { version = ">=1", index = "internal" }
tool = { git = "https://github.com/example/tool.git", ref = "main" }

[dev-packages]
pytest = ">=8"
)");
    EXPECT_EQ(summary(pipfile),
              (std::vector<std::string>{
                  "12 requests '*'", "13 flask '==3.0.0' pinned 3.0.0",
                  "14 internal-sdk '>=1' from internal",
                  "15 tool '' Git repository https://github.com/example/tool.git @main",
                  "18 pytest '>=8' [dev]"}));
    EXPECT_EQ(indexes(pipfile),
              (std::vector<std::string>{"1 primary https://pypi.org/simple",
                                        "6 scoped http://pypi.internal.invalid/simple no-tls"}));

    const auto lock = parse_pipfile_lock(R"({
    "_meta": {"sources": [{"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": true}]},
    "default": {
        "requests": {"hashes": ["sha256:aa"], "index": "pypi", "version": "==2.31.0"},
        "tool": {"git": "https://github.com/example/tool.git", "ref": "0123456789abcdef0123456789abcdef01234567"}
    },
    "develop": {
        "pytest": {"hashes": [], "version": "==8.0.0"}
    }
})");
    EXPECT_TRUE(lock.lockfile);
    EXPECT_EQ(summary(lock),
              (std::vector<std::string>{
                  "4 requests '==2.31.0' pinned 2.31.0 hashed from https://pypi.org/simple",
                  "5 tool '' Git repository https://github.com/example/tool.git "
                  "@0123456789abcdef0123456789abcdef01234567",
                  "8 pytest '==8.0.0' [dev] pinned 8.0.0"}));
}

TEST(PythonManifests, PoetryPdmAndUvLockfiles) {
    const auto poetry = parse_poetry_lock(R"([[package]]
name = "requests"
version = "2.31.0"
files = [{file = "requests-2.31.0.tar.gz", hash = "sha256:aa"}]

[[package]]
name = "mylib"
version = "0.1.0"
[package.source]
type = "git"
url = "https://github.com/example/mylib.git"
reference = "main"
resolved_reference = "0123456789abcdef0123456789abcdef01234567"
)");
    EXPECT_EQ(summary(poetry),
              (std::vector<std::string>{
                  "2 requests '==2.31.0' pinned 2.31.0 hashed",
                  "7 mylib '==0.1.0' Git repository https://github.com/example/mylib.git "
                  "@0123456789abcdef0123456789abcdef01234567 pinned 0.1.0"}));

    const auto pdm = parse_pdm_lock(R"([[package]]
name = "torch"
version = "2.1.0"
files = [{url = "https://download.pytorch.org/whl/torch-2.1.0.whl", hash = "sha256:bb"}]
)");
    EXPECT_EQ(summary(pdm), std::vector<std::string>{"2 torch '==2.1.0' pinned 2.1.0 hashed"});

    const auto uv = parse_uv_lock(R"(version = 1

[[package]]
name = "demo"
version = "0.1.0"
source = { editable = "." }

[[package]]
name = "numpy"
version = "1.26.4"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/numpy-1.26.4.tar.gz", hash = "sha256:cc" }

[[package]]
name = "tool"
version = "0.2.0"
source = { git = "https://github.com/example/tool?rev=main#0123456789abcdef0123456789abcdef01234567" }
)");
    EXPECT_EQ(
        summary(uv),
        (std::vector<std::string>{
            "4 demo '==0.1.0' workspace . pinned 0.1.0",
            "9 numpy '==1.26.4' pinned 1.26.4 hashed from https://pypi.org/simple",
            "15 tool '==0.2.0' Git repository "
            "https://github.com/example/tool?rev=main#0123456789abcdef0123456789abcdef01234567 "
            "@0123456789abcdef0123456789abcdef01234567 pinned 0.2.0"}));
}

TEST(PythonManifests, CondaEnvironmentPipSection) {
    const auto manifest = parse_conda_environment(R"(name: demo
channels:
  - pytorch
  - someone-else
dependencies:
  - python=3.11
  - numpy>=1.24
  - pip:
      - --extra-index-url https://pypi.internal.invalid/simple
      - transformers==4.30.0
      - "colourama"
)");
    EXPECT_EQ(
        summary(manifest),
        (std::vector<std::string>{"10 transformers '==4.30.0' pinned 4.30.0", "11 colourama ''"}));
    EXPECT_EQ(indexes(manifest),
              (std::vector<std::string>{"3 channel pytorch", "4 channel someone-else",
                                        "9 extra https://pypi.internal.invalid/simple merged"}));
}

TEST(PythonManifests, PipConfiguration) {
    const auto manifest = parse_pip_conf(R"([global]
index-url = https://mirror.example.invalid/simple
extra-index-url =
    https://a.internal.invalid/simple
    https://b.internal.invalid/simple
trusted-host = a.internal.invalid
)");
    EXPECT_EQ(indexes(manifest),
              (std::vector<std::string>{"2 primary https://mirror.example.invalid/simple",
                                        "3 extra https://a.internal.invalid/simple merged",
                                        "3 extra https://b.internal.invalid/simple merged",
                                        "6 trusted-host a.internal.invalid no-tls"}));
}

TEST(PythonManifests, SetupPyHookTakesExtractedRequirements) {
    const std::vector<ExtractedRequirement> extracted = {
        {"requests>=2", 12, ""}, {"jeIlyfish==0.6", 13, ""}, {"not a requirement >", 14, ""}};
    const auto manifest = setup_py_manifest(extracted);
    EXPECT_EQ(summary(manifest),
              (std::vector<std::string>{"12 requests '>=2'", "13 jeIlyfish '==0.6' pinned 0.6"}));
    ASSERT_EQ(manifest.issues.size(), 1u);
    EXPECT_EQ(manifest.issues[0].line, 14u);
}

}  // namespace
}  // namespace hazmat::deps
