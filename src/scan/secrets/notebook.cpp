#include "scan/secrets/notebook.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace hazmat::secrets {

namespace {

using nlohmann::json;

// Binary payloads travel base64-encoded under these MIME types; decoded they
// are pixels or media, not text a credential hides in.
bool is_binary_mime(std::string_view mime) {
    if (mime == "image/svg+xml")
        return false;
    return mime.starts_with("image/") || mime.starts_with("audio/") || mime.starts_with("video/") ||
           mime == "application/pdf" || mime == "application/octet-stream";
}

// nbformat stores multi-line strings either whole or as a list of lines
// that keep their own newlines.
std::string multiline(const json& value) {
    if (value.is_string())
        return value.get<std::string>();
    std::string out;
    if (value.is_array()) {
        for (const auto& line : value) {
            if (line.is_string())
                out += line.get_ref<const std::string&>();
        }
    }
    return out;
}

// Every string under `value` (keys included), one per line; object values
// that are base64 media are skipped by their MIME key.
void collect_strings(const json& value, std::string& out) {
    if (value.is_string()) {
        out += value.get_ref<const std::string&>();
        out += '\n';
    } else if (value.is_object()) {
        for (const auto& [key, item] : value.items()) {
            if (is_binary_mime(key))
                continue;
            out += key;
            out += '\n';
            collect_strings(item, out);
        }
    } else if (value.is_array()) {
        for (const auto& item : value)
            collect_strings(item, out);
    }
}

std::string output_text(const json& output) {
    std::string text;
    if (const auto it = output.find("text"); it != output.end())
        text += multiline(*it);
    if (const auto it = output.find("data"); it != output.end() && it->is_object()) {
        // text/plain first: it is what the notebook shows for most values.
        if (const auto plain = it->find("text/plain"); plain != it->end())
            text += multiline(*plain) + "\n";
        for (const auto& [mime, value] : it->items()) {
            if (mime == "text/plain" || is_binary_mime(mime))
                continue;
            text += value.is_object() ? value.dump(1) : multiline(value);
            text += '\n';
        }
    }
    if (output.value("output_type", "") == "error") {
        text += output.value("ename", "") + ": " + output.value("evalue", "") + "\n";
        if (const auto it = output.find("traceback"); it != output.end() && it->is_array()) {
            for (const auto& line : *it) {
                if (line.is_string())
                    text += line.get_ref<const std::string&>() + "\n";
            }
        }
    }
    return text;
}

// Strings of an output outside the fields output_text() reads.
std::string output_extras(const json& output) {
    std::string extras;
    for (const auto& [key, value] : output.items()) {
        if (key == "text" || key == "data" || key == "traceback" || key == "ename" ||
            key == "evalue" || key == "output_type")
            continue;
        collect_strings(value, extras);
    }
    return extras;
}

void add_cell(const json& cell, size_t number, std::vector<NotebookSegment>& out) {
    if (!cell.is_object())
        return;
    const std::string name = fmt::format("cell {}", number);
    // nbformat 3 code cells keep their source under "input".
    const auto source = cell.contains("source") ? cell["source"] : cell.value("input", json());
    out.push_back({name, multiline(source)});

    std::string extras;
    if (const auto it = cell.find("outputs"); it != cell.end() && it->is_array()) {
        size_t index = 0;
        for (const auto& output : *it) {
            ++index;
            if (!output.is_object())
                continue;
            out.push_back({fmt::format("{} output {}", name, index), output_text(output)});
            extras += output_extras(output);
        }
    }
    for (const auto& [key, value] : cell.items()) {
        // Attachments are base64 images pasted into markdown cells.
        if (key == "source" || key == "input" || key == "outputs" || key == "attachments")
            continue;
        collect_strings(value, extras);
    }
    if (!extras.empty())
        out.push_back({name + " metadata", std::move(extras)});
}

}  // namespace

std::optional<std::vector<NotebookSegment>> notebook_segments(std::string_view text) {
    const auto document = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!document.is_object())
        return std::nullopt;
    std::vector<const json*> cells;
    if (const auto it = document.find("cells"); it != document.end() && it->is_array()) {
        for (const auto& cell : *it)
            cells.push_back(&cell);
    } else if (const auto sheets = document.find("worksheets");
               sheets != document.end() && sheets->is_array()) {
        for (const auto& sheet : *sheets) {
            if (const auto sheet_cells = sheet.find("cells");
                sheet_cells != sheet.end() && sheet_cells->is_array()) {
                for (const auto& cell : *sheet_cells)
                    cells.push_back(&cell);
            }
        }
    } else {
        return std::nullopt;
    }

    std::vector<NotebookSegment> segments;
    for (size_t i = 0; i < cells.size(); ++i)
        add_cell(*cells[i], i + 1, segments);
    std::string metadata;
    for (const auto& [key, value] : document.items()) {
        if (key == "cells" || key == "worksheets")
            continue;
        collect_strings(value, metadata);
    }
    if (!metadata.empty())
        segments.push_back({"notebook metadata", std::move(metadata)});
    return segments;
}

}  // namespace hazmat::secrets
