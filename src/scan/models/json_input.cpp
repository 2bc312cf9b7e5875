#include "scan/models/json_input.hpp"

#include <fmt/format.h>

namespace hazmat::models {

size_t json_nesting_exceeded_at(std::string_view text, size_t limit) {
    size_t depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limit)
                return i;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return std::string_view::npos;
}

JsonInput parse_untrusted_json(std::string_view text, size_t max_nesting) {
    JsonInput input;
    if (const auto at = json_nesting_exceeded_at(text, max_nesting); at != std::string_view::npos) {
        input.error = fmt::format("JSON nests deeper than {} levels", max_nesting);
        input.error_offset = at;
        return input;
    }
    try {
        input.value = nlohmann::json::parse(text.begin(), text.end());
        input.ok = true;
    } catch (const nlohmann::json::parse_error& error) {
        input.error = error.what();
        input.error_offset = error.byte > 0 ? error.byte - 1 : 0;
    } catch (const nlohmann::json::exception& error) {
        // Numbers out of range and the like carry no position.
        input.error = error.what();
    }
    return input;
}

}  // namespace hazmat::models
