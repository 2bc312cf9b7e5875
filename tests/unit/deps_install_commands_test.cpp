// Install commands in documentation, notebooks, Dockerfiles and shell
// scripts: quoting, continuations, options that take values, and the
// places where documentation shows commands.

#include <gtest/gtest.h>

#include "deps_test_support.hpp"
#include "scan/deps/install_commands.hpp"
#include "scan/deps/shell_words.hpp"

namespace hazmat::deps {
namespace {

std::vector<std::string> summary(const Manifest& manifest) {
    std::vector<std::string> lines;
    for (const auto& d : manifest.dependencies) {
        std::string line =
            fmt::format("{} {} {} '{}'", d.line, to_string(d.ecosystem), d.name, d.requirement);
        if (d.source != SourceKind::registry)
            line += fmt::format(" {} {}", to_string(d.source), d.url);
        lines.push_back(line);
    }
    return lines;
}

std::vector<std::string> indexes(const Manifest& manifest) {
    std::vector<std::string> lines;
    for (const auto& index : manifest.indexes)
        lines.push_back(
            fmt::format("{} {}{}", index.line, index.url, index.merged ? " merged" : ""));
    return lines;
}

TEST(ShellWords, QuotesEscapesAndOperators) {
    const auto words =
        split_shell_words(R"(pip install "torch>=2.0" 'a b' c\ d torch>=1 && echo "x\"y" # note)");
    ASSERT_TRUE(words);
    std::vector<std::string> texts;
    for (const auto& word : *words)
        texts.push_back(word.is_operator ? "<" + word.text + ">" : word.text);
    EXPECT_EQ(texts, (std::vector<std::string>{"pip", "install", "torch>=2.0", "a b", "c d",
                                               "torch>=1", "<&&>", "echo", "x\"y"}));
    EXPECT_FALSE(split_shell_words("pip install 'unterminated"));
    const auto redirect = split_shell_words("pip install x > log.txt");
    ASSERT_TRUE(redirect);
    EXPECT_TRUE((*redirect)[3].is_operator);
}

TEST(InstallCommands, ShellScriptWithContinuationsAndOptions) {
    const auto manifest = extract_install_commands(
        "#!/bin/sh\n"
        "set -e\n"
        "python3 -m pip install --no-cache-dir -U \\\n"
        "    --extra-index-url https://download.pytorch.org/whl/cu118 \\\n"
        "    torch==2.0.1 'transformers[torch]>=4.30'\n"
        "pip3 -q install -r requirements.txt -c constraints.txt colourama\n"
        "pip install $EXTRA_PACKAGES . ./local-dir\n"
        "uv pip install numpy; uv add 'pandas>=2'\n"
        "poetry add requests@^2.31\n"
        "npm install --save-dev --registry https://npm.internal.invalid/ electorn@1.0.0 "
        "@types/node\n"
        "yarn add lodash && pnpm add github:someone/forked#main\n"
        "echo pip install not-a-command-argument\n",
        CommandSource::shell);
    EXPECT_EQ(summary(manifest), (std::vector<std::string>{
                                     "5 PyPI torch '==2.0.1'",
                                     "5 PyPI transformers '>=4.30'",
                                     "6 PyPI colourama ''",
                                     "8 PyPI numpy ''",
                                     "8 PyPI pandas '>=2'",
                                     "9 PyPI requests '^2.31'",
                                     "10 npm electorn '1.0.0'",
                                     "10 npm @types/node ''",
                                     "11 npm lodash ''",
                                     "11 npm forked 'github:someone/forked#main' Git repository "
                                     "github:someone/forked#main",
                                 }));
    EXPECT_EQ(indexes(manifest),
              (std::vector<std::string>{"4 https://download.pytorch.org/whl/cu118 merged",
                                        "10 https://npm.internal.invalid/"}));
    EXPECT_FALSE(manifest.documentation);
}

TEST(InstallCommands, DockerfileShellAndExecForms) {
    const auto manifest = extract_install_commands(
        "FROM python:3.11-slim\n"
        "RUN apt-get update && \\\n"
        "    # comment lines inside a continued RUN are dropped by Docker\n"
        "    pip install --no-cache-dir \\\n"
        "      flask==3.0.0\n"
        "RUN [\"pip\", \"install\", \"gunicorn==21.2.0\"]\n"
        "CMD [\"gunicorn\", \"app:app\"]\n",
        CommandSource::dockerfile);
    EXPECT_EQ(summary(manifest),
              (std::vector<std::string>{"5 PyPI flask '==3.0.0'", "6 PyPI gunicorn '==21.2.0'"}));
}

TEST(InstallCommands, MarkdownCodeBlocksInlineCodeAndPrompts) {
    const auto manifest = extract_install_commands(
        "# Demo\n"
        "\n"
        "Install the dependencies first: `pip install colourama`.\n"
        "You could pip install whatever you like in prose; that is not a command.\n"
        "\n"
        "```bash\n"
        "$ pip install \\\n"
        "    torch==1.12.0\n"
        "npm i reqeusts-js\n"
        "```\n"
        "\n"
        "    pip install indented-code-block\n"
        "> pip install quoted-prompt\n",
        CommandSource::markdown);
    EXPECT_TRUE(manifest.documentation);
    EXPECT_EQ(summary(manifest), (std::vector<std::string>{
                                     "3 PyPI colourama ''",
                                     "8 PyPI torch '==1.12.0'",
                                     "9 npm reqeusts-js ''",
                                     "12 PyPI indented-code-block ''",
                                     "13 PyPI quoted-prompt ''",
                                 }));
}

TEST(InstallCommands, NotebookCellsPointAtTheirNotebookLines) {
    const auto manifest = extract_install_commands(R"json({
 "cells": [
  {
   "cell_type": "markdown",
   "metadata": {},
   "source": [
    "Run `pip install jeIlyfish` first.\n"
   ]
  },
  {
   "cell_type": "code",
   "metadata": {},
   "source": [
    "import os\n",
    "!pip install -q torch==1.12.0\n",
    "%pip install Pillow==8.0.0\n",
    "print('pip install not-this')"
   ]
  },
  {
   "cell_type": "code",
   "source": "%%bash\npip install from-a-bash-cell\n"
  }
 ],
 "nbformat": 4
})json",
                                                   CommandSource::notebook);
    EXPECT_EQ(summary(manifest), (std::vector<std::string>{
                                     "7 PyPI jeIlyfish ''",
                                     "15 PyPI torch '==1.12.0'",
                                     "16 PyPI Pillow '==8.0.0'",
                                     "22 PyPI from-a-bash-cell ''",
                                 }));
}

}  // namespace
}  // namespace hazmat::deps
