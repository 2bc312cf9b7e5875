#pragma once

#include <string_view>

#include "scan/deps/manifest.hpp"

namespace hazmat::deps {

// Where install commands are looked for, which decides what counts as a
// command line: every line of a shell script or a Dockerfile's RUN
// instructions; code blocks, inline code and prompt lines of documentation;
// "!pip"/"%pip" lines and markdown cells of a notebook.
enum class CommandSource { shell, dockerfile, markdown, notebook };

// Finds `pip install`, `python -m pip install`, `uv pip install`, `uv add`,
// `poetry add`, `pdm add`, `pipx install`, `npm install`/`i`/`add`,
// `yarn add`, `pnpm add`/`install` and `bun add` commands and returns the
// packages they install (with line numbers) and the indexes they name.
// Quoting and line continuations are handled; commands are not executed
// and variables are not expanded.
Manifest extract_install_commands(std::string_view text, CommandSource source);

}  // namespace hazmat::deps
