#include "scan/deps/json_document.hpp"

#include <fmt/format.h>

#include <iterator>

#include "scan/deps/text.hpp"

namespace hazmat::deps {

using nlohmann::json;

// Builds the DOM like nlohmann's own SAX DOM builder, recording lines on
// the way. Map nodes and array buffers do not move once parsing is done, so
// their addresses identify keys and elements afterwards.
class LocatingSax {
  public:
    LocatingSax(JsonDocument& document, const uint32_t& line) : document_(document), line_(line) {}

    bool null() { return value(nullptr); }
    bool boolean(bool v) { return value(v); }
    bool number_integer(json::number_integer_t v) { return value(v); }
    bool number_unsigned(json::number_unsigned_t v) { return value(v); }
    bool number_float(json::number_float_t v, const json::string_t&) { return value(v); }
    bool string(json::string_t& v) { return value(std::move(v)); }
    bool binary(json::binary_t& v) { return value(std::move(v)); }

    bool start_object(std::size_t) {
        stack_.push_back(place(json(json::value_t::object)));
        return true;
    }
    bool key(json::string_t& key) {
        auto& object = *stack_.back()->get_ptr<json::object_t*>();
        auto [it, inserted] = object.emplace(key, nullptr);
        if (!inserted) {
            document_.duplicates_.push_back({key, line_});
            it->second = nullptr;
        }
        document_.key_lines_[&it->first] = line_;
        pending_ = &it->second;
        return true;
    }
    bool end_object() {
        stack_.pop_back();
        return true;
    }
    bool start_array(std::size_t) {
        stack_.push_back(place(json(json::value_t::array)));
        return true;
    }
    bool end_array() {
        stack_.pop_back();
        return true;
    }
    bool parse_error(std::size_t position, const std::string&,
                     const nlohmann::detail::exception& e) {
        error_position = position;
        error = e.what();
        return false;
    }

    std::size_t error_position = 0;
    std::string error;

    // Element lines are keyed by element address only after parsing, when
    // arrays no longer grow.
    void finish() {
        for (const auto& [array, index, line] : elements_)
            document_.element_lines_[&(*array)[index]] = line;
    }

  private:
    template <typename Value>
    bool value(Value&& v) {
        place(json(std::forward<Value>(v)));
        return true;
    }

    json* place(json v) {
        if (stack_.empty()) {
            *document_.root_ = std::move(v);
            return document_.root_.get();
        }
        if (stack_.back()->is_array()) {
            auto& array = *stack_.back()->get_ptr<json::array_t*>();
            elements_.emplace_back(&array, array.size(), line_);
            array.push_back(std::move(v));
            return &array.back();
        }
        *pending_ = std::move(v);
        return pending_;
    }

    JsonDocument& document_;
    const uint32_t& line_;
    std::vector<json*> stack_;
    json* pending_ = nullptr;
    std::vector<std::tuple<json::array_t*, size_t, uint32_t>> elements_;
};

Result<JsonDocument> JsonDocument::parse(std::string_view text) {
    JsonDocument document;
    uint32_t line = 1;
    LocatingSax sax(document, line);
    const LineCountingIterator begin(text.data(), &line);
    const LineCountingIterator end(text.data() + text.size(), &line);
    if (!json::sax_parse(begin, end, &sax)) {
        return Error{
            fmt::format("line {}: {}", line_of_offset(text, sax.error_position), sax.error)};
    }
    sax.finish();
    return document;
}

uint32_t JsonDocument::line_of(const json& object, std::string_view key) const {
    if (!object.is_object())
        return 0;
    const auto it = object.find(key);
    if (it == object.end())
        return 0;
    const auto found = key_lines_.find(&it.key());
    return found == key_lines_.end() ? 0 : found->second;
}

uint32_t JsonDocument::line_of(const json& array, size_t index) const {
    if (!array.is_array() || index >= array.size())
        return 0;
    const auto found = element_lines_.find(&array[index]);
    return found == element_lines_.end() ? 0 : found->second;
}

}  // namespace hazmat::deps
