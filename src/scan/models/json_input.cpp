#include "scan/models/json_input.hpp"

#include <fmt/format.h>

#include <functional>
#include <optional>
#include <unordered_map>

#include "core/rule_ids.hpp"

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

namespace {

using Event = nlohmann::json::parse_event_t;

// One open object or array while the parser's callback runs. nlohmann calls
// the callback with the depth of the container a key or value belongs to;
// this stack mirrors its own, so an event at depth == size() belongs to the
// innermost open container.
struct Frame {
    bool object = false;
    std::string path;
    std::string key;                                 // the object's current key
    uint64_t element = 0;                            // the array's current index
    std::unordered_map<std::string, uint64_t> keys;  // key -> index of its last copy
    std::optional<size_t> capture;                   // duplicate whose shadowed value comes next
};

std::string child_path(const Frame& parent) {
    if (parent.object)
        return parent.path.empty() ? parent.key : parent.path + "." + parent.key;
    return fmt::format("{}[{}]", parent.path, parent.element);
}

struct KeyPair {
    uint64_t earlier = 0;  // index (in document order) of the key the second copy shadows
    uint64_t later = 0;
};

// First pass: which keys repeat, by their index among all keys of the text.
struct DuplicateFinder {
    std::vector<Frame> frames;
    uint64_t next_key = 0;
    std::vector<JsonDuplicateKey>& duplicates;
    std::vector<KeyPair>& pairs;

    bool operator()(int depth, Event event, nlohmann::json& parsed) {
        switch (event) {
            case Event::object_start:
            case Event::array_start: {
                Frame frame;
                frame.object = event == Event::object_start;
                if (!frames.empty())
                    frame.path = child_path(frames.back());
                frames.push_back(std::move(frame));
                break;
            }
            case Event::key: {
                auto& frame = frames.back();
                frame.key = parsed.get<std::string>();
                const uint64_t index = next_key++;
                const auto [it, inserted] = frame.keys.try_emplace(frame.key, index);
                if (!inserted) {
                    duplicates.push_back({frame.path, frame.key, 0, {}});
                    pairs.push_back({it->second, index});
                    it->second = index;
                }
                break;
            }
            case Event::object_end:
            case Event::array_end:
                frames.pop_back();
                if (!frames.empty())
                    ++frames.back().element;
                break;
            case Event::value:
                if (!frames.empty() && static_cast<size_t>(depth) == frames.size())
                    ++frames.back().element;
                break;
        }
        return true;
    }
};

// Second pass, only for documents with duplicates: copies the values that
// the later copies replace, so that callers can examine them too.
struct ShadowedCollector {
    std::vector<Frame> frames;
    uint64_t next_key = 0;
    std::unordered_map<uint64_t, size_t> wanted;  // key index -> duplicate
    std::vector<JsonDuplicateKey>& duplicates;

    void take(nlohmann::json& parsed) {
        if (frames.empty() || !frames.back().capture)
            return;
        duplicates[*frames.back().capture].shadowed = parsed;
        frames.back().capture.reset();
    }

    bool operator()(int depth, Event event, nlohmann::json& parsed) {
        switch (event) {
            case Event::object_start:
            case Event::array_start:
                frames.emplace_back();
                break;
            case Event::key:
                if (const auto it = wanted.find(next_key++); it != wanted.end())
                    frames.back().capture = it->second;
                break;
            case Event::object_end:
            case Event::array_end:
                frames.pop_back();
                take(parsed);
                break;
            case Event::value:
                if (!frames.empty() && static_cast<size_t>(depth) == frames.size())
                    take(parsed);
                break;
        }
        return true;
    }
};

// Byte offsets of the keys with the given indexes. In a text the parser
// accepted, a key is exactly a string followed by ':', so counting those
// finds the same keys in the same order as the parser's callback.
std::vector<uint64_t> key_offsets(std::string_view text, const std::vector<uint64_t>& indexes) {
    std::unordered_map<uint64_t, size_t> slot;
    for (size_t i = 0; i < indexes.size(); ++i)
        slot.emplace(indexes[i], i);
    std::vector<uint64_t> offsets(indexes.size(), 0);
    uint64_t key = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '"')
            continue;
        const size_t start = i;
        for (++i; i < text.size() && text[i] != '"'; ++i) {
            if (text[i] == '\\')
                ++i;
        }
        size_t next = i + 1;
        while (next < text.size() && (text[next] == ' ' || text[next] == '\t' ||
                                      text[next] == '\n' || text[next] == '\r'))
            ++next;
        if (next < text.size() && text[next] == ':') {
            if (const auto it = slot.find(key); it != slot.end())
                offsets[it->second] = start;
            ++key;
        }
    }
    return offsets;
}

// Parses with a callback that notes repeated keys; the second pass, for the
// values those keys replace, runs only when there are any.
nlohmann::json parse_noting_duplicates(std::string_view text, JsonInput& input) {
    std::vector<KeyPair> pairs;
    DuplicateFinder finder{{}, 0, input.duplicates, pairs};
    auto value = nlohmann::json::parse(text.begin(), text.end(), std::ref(finder));
    if (input.duplicates.empty())
        return value;

    std::vector<uint64_t> later;
    ShadowedCollector collector{{}, 0, {}, input.duplicates};
    for (size_t i = 0; i < pairs.size(); ++i) {
        later.push_back(pairs[i].later);
        collector.wanted.emplace(pairs[i].earlier, i);
    }
    // The document itself is the first pass's; this one is read for the copies.
    const auto reparsed = nlohmann::json::parse(text.begin(), text.end(), std::ref(collector));
    const auto offsets = key_offsets(text, later);
    for (size_t i = 0; i < offsets.size(); ++i)
        input.duplicates[i].offset = offsets[i];
    return value;
}

}  // namespace

JsonInput parse_untrusted_json(std::string_view text, size_t max_nesting) {
    JsonInput input;
    if (const auto at = json_nesting_exceeded_at(text, max_nesting); at != std::string_view::npos) {
        input.error = fmt::format("JSON nests deeper than {} levels", max_nesting);
        input.error_offset = at;
        return input;
    }
    try {
        input.value = parse_noting_duplicates(text, input);
        input.ok = true;
    } catch (const nlohmann::json::parse_error& error) {
        input.duplicates.clear();
        input.error = error.what();
        input.error_offset = error.byte > 0 ? error.byte - 1 : 0;
    } catch (const nlohmann::json::exception& error) {
        // Numbers out of range and the like carry no position.
        input.duplicates.clear();
        input.error = error.what();
    }
    return input;
}

std::string describe_duplicate_key(const JsonDuplicateKey& duplicate, uint64_t base_offset) {
    return fmt::format("key '{}' appears more than once in {} (again at byte {})", duplicate.key,
                       duplicate.path.empty() ? std::string("the top-level object")
                                              : fmt::format("'{}'", duplicate.path),
                       base_offset + duplicate.offset);
}

std::optional<Finding> duplicate_key_finding(const JsonInput& input, std::string_view what,
                                             std::string_view consequence, const Location& where,
                                             uint64_t base_offset) {
    if (input.duplicates.empty())
        return std::nullopt;
    const auto& first = input.duplicates.front();
    auto finding = Finding::make(
        rules::kScanUnparseable,
        fmt::format("{} repeats a key: {}{}. Readers disagree on which copy counts (Python keeps "
                    "the last, others the first), so the file has no single meaning; {}",
                    what, describe_duplicate_key(first, base_offset),
                    input.duplicates.size() > 1
                        ? fmt::format(", and {} more keys repeat", input.duplicates.size() - 1)
                        : std::string(),
                    consequence),
        where);
    finding.at_offset(base_offset + first.offset);
    return finding;
}

}  // namespace hazmat::models
