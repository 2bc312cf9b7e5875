#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/finding.hpp"
#include "core/severity.hpp"

namespace hazmat::models {

// One construct in a Jinja template that only makes sense for escaping to
// Python: template rendering engines without Jinja's sandbox (llama-cpp-python
// before 0.2.72, CVE-2024-34359; SGLang's reranker, CVE-2026-5760) run it.
struct TemplateEscape {
    uint64_t offset = 0;  // byte offset into the template text
    Severity severity = Severity::high;
    std::string what;     // "reads the dunder attribute __globals__"
    std::string excerpt;  // the tag it sits in, shortened
};

// Whether the text is (or contains) Jinja markup: "{{" or "{%".
bool looks_like_jinja_template(std::string_view text);

// Escapes inside `{{ }}` and `{% %}` only: prose, `{# #}` comments and
// `{% raw %}` blocks are text to Jinja and are not examined. Looks for
// dunder and private attributes (by dot, subscript or attr()), traversal of
// the lipsum/cycler/joiner globals, the attr() filter, and names hidden with
// escapes, chr() or "%c" formatting. Never renders the template.
std::vector<TemplateEscape> find_template_escapes(std::string_view text);

// One HZ-MDL-020 finding for the escapes of one template, at the first
// escape (`text_offset` is where the template text starts inside the
// location's innermost part), with every escape as evidence; nullopt when
// there are none. `source` names the template ("GGUF metadata
// 'tokenizer.chat_template'").
std::optional<Finding> template_escape_finding(const std::vector<TemplateEscape>& escapes,
                                               std::string_view source, const Location& where,
                                               uint64_t text_offset);

}  // namespace hazmat::models
