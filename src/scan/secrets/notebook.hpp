#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hazmat::secrets {

// A piece of a Jupyter notebook as the user sees it: a cell's source or one
// output's text, with JSON escapes decoded, so that line numbers and context
// ("within 3 lines") mean what they mean in the notebook's editor.
struct NotebookSegment {
    std::string name;  // "cell 3", "cell 3 output 1", "cell 3 metadata", "notebook metadata"
    std::string text;
};

// Splits a notebook (nbformat 4, or 3 with worksheets) into segments. Cells
// are numbered from 1 in file order. Base64 payloads (images, PDFs, audio,
// video, attachments) are skipped; every other string in the document ends up
// in some segment, so nothing outside the known fields escapes the scan.
// nullopt when the bytes are not a JSON object with cells.
std::optional<std::vector<NotebookSegment>> notebook_segments(std::string_view json);

}  // namespace hazmat::secrets
