// pip requirements files: the syntax pip accepts, the options that decide
// where packages come from, includes, and what pip would refuse.

#include <gtest/gtest.h>

#include <map>

#include "deps_test_support.hpp"
#include "scan/deps/requirements_file.hpp"
#include "scan/deps/text.hpp"

namespace hazmat::deps {
namespace {

// "line name requirement [source url@ref] [hashed] [file]" per dependency.
std::vector<std::string> summary(const Manifest& manifest) {
    std::vector<std::string> lines;
    for (const auto& d : manifest.dependencies) {
        std::string line = fmt::format("{} {} '{}'", d.line, d.name, d.requirement);
        if (d.source != SourceKind::registry)
            line += fmt::format(" {} {}", to_string(d.source), d.url);
        if (!d.git_ref.empty())
            line += " @" + d.git_ref;
        if (d.pinned)
            line += " pinned " + *d.pinned;
        if (d.hashed)
            line += " hashed";
        if (!d.file.empty())
            line += " in " + d.file;
        lines.push_back(line);
    }
    return lines;
}

std::vector<std::string> issues(const Manifest& manifest) {
    std::vector<std::string> lines;
    for (const auto& issue : manifest.issues)
        lines.push_back(fmt::format("{}{}: {}", issue.file.empty() ? "" : issue.file + ":",
                                    issue.line, issue.message));
    return lines;
}

TEST(RequirementsFile, ReadsRequirementsCommentsAndContinuations) {
    const auto manifest = parse_requirements(
        "# a comment\n"
        "torch==2.0.1  # pinned for CUDA 11.8\n"
        "requests[socks,security] >= 2.31 ; python_version >= '3.8'\n"
        "numpy (>=1.24,<2)\n"
        "pandas \\\n"
        "    ~=2.0.0\n"
        "certifi==2024.2.2 \\\n"
        "    --hash=sha256:0569859f95fc761b18b45ef421b1290a0f65f147e92a1e5eb3e635f9a5e4e66f \\\n"
        "    --hash=sha256:dc383c07b76109f368f6106eee2b593b04a011ea4d55f652c6ca24a754d1cdd1\n"
        "\n"
        "Flask_SQLAlchemy===3.1.1\n",
        "requirements.txt");
    EXPECT_EQ(summary(manifest), (std::vector<std::string>{
                                     "2 torch '==2.0.1' pinned 2.0.1",
                                     "3 requests '>= 2.31'",
                                     "4 numpy '>=1.24,<2'",
                                     "5 pandas '~=2.0.0'",
                                     "7 certifi '==2024.2.2' pinned 2024.2.2 hashed",
                                     "11 Flask_SQLAlchemy '===3.1.1' pinned 3.1.1",
                                 }));
    EXPECT_EQ(manifest.dependencies[5].normalized, "flask-sqlalchemy");
    EXPECT_TRUE(manifest.issues.empty());
}

TEST(RequirementsFile, CrlfAndByteOrderMarksReadLikeAnyOtherFile) {
    const std::string utf8_bom = "\xEF\xBB\xBFtorch==1.0\r\nPillow==9.0\r\n";
    const auto utf8 =
        decode_text(ByteSpan(reinterpret_cast<const uint8_t*>(utf8_bom.data()), utf8_bom.size()));
    ASSERT_TRUE(utf8);
    EXPECT_EQ(
        summary(parse_requirements(*utf8, "r.txt")),
        (std::vector<std::string>{"1 torch '==1.0' pinned 1.0", "2 Pillow '==9.0' pinned 9.0"}));
    // PowerShell's "pip freeze > requirements.txt" writes UTF-16 with a BOM.
    const uint8_t utf16[] = {0xFF, 0xFE, 't',  0, 'o',  0, 'r', 0, 'c', 0, 'h', 0, '=', 0, '=', 0,
                             '1',  0,    '\r', 0, '\n', 0, 'x', 0, '=', 0, '=', 0, '2', 0};
    const auto wide = decode_text(ByteSpan(utf16, sizeof utf16));
    ASSERT_TRUE(wide);
    EXPECT_EQ(summary(parse_requirements(*wide, "r.txt")),
              (std::vector<std::string>{"1 torch '==1' pinned 1", "2 x '==2' pinned 2"}));
    const uint8_t binary[] = {'t', 'o', 0, 'r', 'c', 'h'};
    EXPECT_FALSE(decode_text(ByteSpan(binary, sizeof binary)));
}

TEST(RequirementsFile, OptionsNameIndexesAndIncludes) {
    const auto manifest = parse_requirements(
        "-i https://mirror.example.invalid/simple\n"
        "--extra-index-url=https://pypi.internal.invalid/simple\n"
        "-f ./wheels\n"
        "--trusted-host pypi.internal.invalid\n"
        "-rbase.txt\n"
        "--constraint constraints.txt\n"
        "--pre\n"
        "--require-hashes\n",
        "requirements.txt");
    ASSERT_EQ(manifest.indexes.size(), 4u);
    EXPECT_EQ(manifest.indexes[0].role, PackageIndex::Role::primary);
    EXPECT_EQ(manifest.indexes[0].url, "https://mirror.example.invalid/simple");
    EXPECT_FALSE(manifest.indexes[0].merged);
    EXPECT_EQ(manifest.indexes[1].role, PackageIndex::Role::extra);
    EXPECT_EQ(manifest.indexes[1].url, "https://pypi.internal.invalid/simple");
    EXPECT_TRUE(manifest.indexes[1].merged);
    EXPECT_EQ(manifest.indexes[1].line, 2u);
    EXPECT_EQ(manifest.indexes[2].role, PackageIndex::Role::find_links);
    EXPECT_TRUE(manifest.indexes[2].merged);
    EXPECT_EQ(manifest.indexes[3].role, PackageIndex::Role::trusted_host);
    EXPECT_FALSE(manifest.indexes[3].verify_tls);
    ASSERT_EQ(manifest.includes.size(), 2u);
    EXPECT_EQ(manifest.includes[0].path, "base.txt");
    EXPECT_FALSE(manifest.includes[0].constraints);
    EXPECT_EQ(manifest.includes[1].path, "constraints.txt");
    EXPECT_TRUE(manifest.includes[1].constraints);
    EXPECT_FALSE(manifest.includes[1].followed);
    EXPECT_TRUE(manifest.issues.empty());
}

TEST(RequirementsFile, UrlsVcsReferencesAndPaths) {
    const auto manifest = parse_requirements(
        "git+https://github.com/example/repo.git@v1.0#egg=example-repo\n"
        "mylib @ "
        "git+ssh://git@github.com/example/mylib.git@0123456789abcdef0123456789abcdef01234567\n"
        "https://files.example.invalid/openai-1.0.0-py3-none-any.whl\n"
        "./vendor/tiny_pkg-0.1.tar.gz\n"
        "-e .\n"
        "-e git+https://github.com/example/editable.git#egg=editable\n"
        "file:///opt/wheels/anthropic-0.5.0-py3-none-any.whl\n",
        "requirements.txt");
    EXPECT_EQ(
        summary(manifest),
        (std::vector<std::string>{
            "1 example '' Git repository "
            "git+https://github.com/example/repo.git@v1.0#egg=example-repo "
            "@v1.0",
            "2 mylib '' Git repository "
            "git+ssh://git@github.com/example/mylib.git@0123456789abcdef0123456789abcdef01234567 "
            "@0123456789abcdef0123456789abcdef01234567",
            "3 openai '' direct URL https://files.example.invalid/openai-1.0.0-py3-none-any.whl "
            "pinned 1.0.0",
            "4 tiny_pkg '' local path ./vendor/tiny_pkg-0.1.tar.gz pinned 0.1",
            "5  '' local path .",
            "6 editable '' Git repository git+https://github.com/example/editable.git#egg=editable",
            "7 anthropic '' local path file:///opt/wheels/anthropic-0.5.0-py3-none-any.whl pinned "
            "0.5.0",
        }));
}

TEST(RequirementsFile, WhatPipWouldRefuseIsAnIssueWithItsLine) {
    const auto manifest = parse_requirements(
        "good==1.0\n"
        "broken>=\n"
        "--no-such-option\n"
        "also good\n"
        "${PRIVATE_PACKAGE}==1.0\n"
        "torch==2.0 --index-url https://x.invalid\n"
        "x==1.0 --hash\n",
        "requirements.txt");
    EXPECT_EQ(summary(manifest), std::vector<std::string>{"1 good '==1.0' pinned 1.0"});
    const auto found = issues(manifest);
    ASSERT_EQ(found.size(), 6u);
    EXPECT_TRUE(found[0].starts_with("2: ")) << found[0];
    EXPECT_EQ(found[1], "3: pip does not accept the option '--no-such-option' here");
    EXPECT_TRUE(found[2].starts_with("4: ")) << found[2];
    EXPECT_TRUE(
        found[3].starts_with("5: '${PRIVATE_PACKAGE}==1.0' depends on an environment "
                             "variable"))
        << found[3];
    EXPECT_EQ(found[4], "6: option '--index-url' cannot follow a requirement");
    EXPECT_EQ(found[5], "7: option '--hash' needs a value");
}

// An in-memory file tree for include tests.
class MapResolver final : public IncludeResolver {
  public:
    explicit MapResolver(std::map<std::string, std::string> files) : files_(std::move(files)) {}
    Result<ResolvedInclude> resolve(std::string_view, std::string_view path) const override {
        const auto it = files_.find(std::string(path));
        if (it == files_.end())
            return Error{"no such file"};
        return ResolvedInclude{it->first, it->first, it->second};
    }

  private:
    std::map<std::string, std::string> files_;
};

TEST(RequirementsFile, IncludesAreFollowedOnceEvenInACycle) {
    const MapResolver resolver({
        {"requirements.txt", "-r base.txt\nlocal==1\n"},
        {"base.txt",
         "--extra-index-url https://pypi.internal.invalid/simple\n-r common.txt\n"
         "shared==2\n-r requirements.txt\n"},
        {"common.txt", "-r base.txt\ncommon==3\n"},
    });
    const auto manifest =
        parse_requirements("-r base.txt\nlocal==1\n", "requirements.txt", &resolver);
    EXPECT_EQ(
        summary(manifest),
        (std::vector<std::string>{"2 local '==1' pinned 1", "3 shared '==2' pinned 2 in base.txt",
                                  "2 common '==3' pinned 3 in common.txt"}));
    ASSERT_EQ(manifest.indexes.size(), 1u);
    EXPECT_EQ(manifest.indexes[0].file, "base.txt");
    for (const auto& include : manifest.includes)
        EXPECT_TRUE(include.followed) << include.path;
    EXPECT_EQ(manifest.includes.size(), 4u);
}

TEST(RequirementsFile, IncludeThatCannotBeReadSaysWhy) {
    const MapResolver resolver({});
    const auto manifest = parse_requirements("-r missing.txt\n", "requirements.txt", &resolver);
    ASSERT_EQ(manifest.includes.size(), 1u);
    EXPECT_FALSE(manifest.includes[0].followed);
    EXPECT_EQ(manifest.includes[0].not_followed_because, "no such file");
    EXPECT_EQ(manifest.includes[0].line, 1u);
}

TEST(RequirementsFile, DeepIncludeChainsStop) {
    std::map<std::string, std::string> files;
    for (int i = 0; i < 40; ++i)
        files[fmt::format("f{}.txt", i)] = fmt::format("-r f{}.txt\np{}==1\n", i + 1, i);
    const MapResolver resolver(files);
    const auto manifest = parse_requirements("-r f0.txt\n", "requirements.txt", &resolver);
    EXPECT_EQ(manifest.dependencies.size(), 15u);
    const auto stopped = std::find_if(manifest.includes.begin(), manifest.includes.end(),
                                      [](const Include& i) { return !i.followed; });
    ASSERT_NE(stopped, manifest.includes.end());
    EXPECT_EQ(stopped->not_followed_because, "includes nest deeper than 16 levels");
}

}  // namespace
}  // namespace hazmat::deps
