#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace hazmat::deps {

// A word of a command line after quote removal, or a control operator.
struct ShellWord {
    std::string text;
    size_t offset = 0;         // where the word starts in the input
    bool is_operator = false;  // "&&", "||", ";", "|", "&", "(", ")", "`", "$(" or a redirection
};

struct ShellSplitOptions {
    // Recognise control operators and redirections. A comparison glued to a
    // word ("torch>=2.0") stays part of the word: documentation writes
    // requirements that way, and reading it as a redirection would lose them.
    bool operators = true;
    // Treat "#" at the start of a word as the start of a comment.
    bool comments = true;
};

// Splits text into words the way a POSIX shell does for simple commands:
// single quotes, double quotes (with \", \\, \$ and \` escapes), backslash
// escapes and backslash-newline continuations. Expansions ($VAR, $(...))
// are kept as written. Fails on an unterminated quote.
Result<std::vector<ShellWord>> split_shell_words(std::string_view text,
                                                 const ShellSplitOptions& options = {});

}  // namespace hazmat::deps
