#pragma once

#include <cstdint>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"

namespace hazmat::deps {

// Feeds nlohmann's JSON lexer character by character and counts the
// newlines it has consumed: when the parser reports a key or a value, the
// count is the line it is on. For readers that need lines but not a DOM.
class LineCountingIterator {
  public:
    using iterator_category = std::input_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char*;
    using reference = const char&;

    LineCountingIterator(const char* position, uint32_t* line) : position_(position), line_(line) {}

    reference operator*() const { return *position_; }
    LineCountingIterator& operator++() {
        if (*position_ == '\n')
            ++*line_;
        ++position_;
        return *this;
    }
    LineCountingIterator operator++(int) {
        auto copy = *this;
        ++*this;
        return copy;
    }
    bool operator==(const LineCountingIterator& other) const {
        return position_ == other.position_;
    }
    bool operator!=(const LineCountingIterator& other) const {
        return position_ != other.position_;
    }

  private:
    const char* position_;
    uint32_t* line_;
};

// A parsed JSON document that remembers the line of every object key and
// array element, so that findings in package.json or a lockfile point at
// the line that declares the dependency.
class JsonDocument {
  public:
    struct Duplicate {
        std::string key;
        uint32_t line;
    };

    // Fails with the line of the syntax error.
    static Result<JsonDocument> parse(std::string_view text);

    const nlohmann::json& root() const { return *root_; }

    // Line of `key` in `object` (a value inside this document), 0 if absent.
    uint32_t line_of(const nlohmann::json& object, std::string_view key) const;
    // Line where element `index` of `array` starts, 0 if unknown.
    uint32_t line_of(const nlohmann::json& array, size_t index) const;

    // Keys that occur twice in one object. JSON parsers disagree on which
    // value counts (npm, like JavaScript, keeps the last; this document
    // does too), which makes a manifest say different things to different tools.
    const std::vector<Duplicate>& duplicates() const { return duplicates_; }

  private:
    friend class LocatingSax;
    std::unique_ptr<nlohmann::json> root_ = std::make_unique<nlohmann::json>();
    std::unordered_map<const void*, uint32_t> key_lines_;
    std::unordered_map<const void*, uint32_t> element_lines_;
    std::vector<Duplicate> duplicates_;
};

}  // namespace hazmat::deps
