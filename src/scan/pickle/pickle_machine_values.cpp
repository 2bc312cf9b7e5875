// Reading and rendering the pickle machine's symbolic values.

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "scan/pickle/callable_names.hpp"
#include "scan/pickle/pickle_machine_impl.hpp"
#include "scan/pickle/pickle_opcodes.hpp"
#include "scan/pickle/pickle_rule_ids.hpp"
#include "scan/pickle/pickle_text.hpp"

namespace hazmat::pickle {

using namespace detail;

// ---------------------------------------------------------------------------
// Values

ByteSpan PickleMachine::Impl::raw_span(const Value& value) const {
    if (value.flags & kDecoded) {
        const auto& buffer = *buffers_[value.b >> kDecodedOffsetBits];
        const uint64_t offset = value.b & ((uint64_t{1} << kDecodedOffsetBits) - 1);
        return ByteSpan(buffer).subspan(offset, value.a);
    }
    if (value.b > size_ || value.a > size_ - value.b)
        return {};
    return ByteSpan(data_ + value.b, value.a);
}

std::optional<Bytes> PickleMachine::Impl::materialize(const Value& value) const {
    if (!value.is_text() && !value.is_binary())
        return std::nullopt;
    const ByteSpan raw = raw_span(value);
    if (value.flags & kDecoded) {
        const auto& owner = buffers_[value.b >> kDecodedOffsetBits];
        return Bytes(raw, owner);
    }
    switch (static_cast<TextForm>(value.form)) {
        case TextForm::raw:
            return input_.slice(value.b, value.a);
        case TextForm::string_escape:
            return bytes_from(decode_string_escape(raw));
        case TextForm::raw_unicode_escape:
            return bytes_from(decode_raw_unicode_escape(raw));
        case TextForm::latin1_of_utf8: {
            auto latin1 = utf8_to_latin1(raw);
            if (!latin1)
                return std::nullopt;
            return bytes_from(std::move(*latin1));
        }
    }
    return std::nullopt;
}

std::optional<std::string> PickleMachine::Impl::text_of(const Value& value,
                                                        size_t max_length) const {
    if (!value.is_text() && !value.is_binary())
        return std::nullopt;
    if (value.a > max_length * 4 + 16)
        return std::nullopt;
    const ByteSpan raw = raw_span(value);
    std::vector<uint8_t> decoded;
    switch (static_cast<TextForm>(value.form)) {
        case TextForm::raw:
            decoded.assign(raw.begin(), raw.end());
            break;
        case TextForm::latin1_of_utf8:
            if (auto latin1 = utf8_to_latin1(raw))
                decoded = std::move(*latin1);
            else
                decoded.assign(raw.begin(), raw.end());
            break;
        case TextForm::string_escape:
            decoded = decode_string_escape(raw);
            break;
        case TextForm::raw_unicode_escape:
            decoded = decode_raw_unicode_escape(raw);
            break;
    }
    if (decoded.size() > max_length)
        return std::nullopt;
    return std::string(decoded.begin(), decoded.end());
}

std::optional<int64_t> PickleMachine::Impl::integer_of(const Value& value) const {
    if (value.kind == ValueKind::integer)
        return value.as_int();
    if (value.kind == ValueKind::boolean)
        return value.a;
    return std::nullopt;
}

std::span<const Value> PickleMachine::Impl::items_of(const Value& value) const {
    if (!is_object(value.kind) || value.kind == ValueKind::instance)
        return {};
    return arena_.items(value.a);
}

std::string PickleMachine::Impl::name_of(const Value& value) const {
    if (value.kind != ValueKind::global)
        return {};
    return names_[value.a].qualified;
}

bool PickleMachine::Impl::integer_equals(const Value& value, ByteSpan expected) const {
    if (value.kind == ValueKind::integer) {
        if (expected.size() > 8)
            return false;
        uint64_t v = 0;
        for (size_t i = 0; i < expected.size(); ++i)
            v |= static_cast<uint64_t>(expected[i]) << (8 * i);
        return static_cast<uint64_t>(value.as_int()) == v;
    }
    if (value.kind != ValueKind::big_integer)
        return false;
    const ByteSpan raw = raw_span(value);
    if (static_cast<IntegerForm>(value.form) == IntegerForm::little_endian) {
        // Trailing sign-extension bytes do not change the value.
        size_t n = raw.size();
        while (n > expected.size() && raw[n - 1] == 0)
            --n;
        return n == expected.size() && std::equal(expected.begin(), expected.end(), raw.begin());
    }
    return decimal_equals_le(
        std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()), expected);
}

std::string PickleMachine::Impl::render(const Value& value, int depth) const {
    switch (value.kind) {
        case ValueKind::absent:
            return "?";
        case ValueKind::none:
            return "None";
        case ValueKind::boolean:
            return value.a ? "True" : "False";
        case ValueKind::integer:
            return fmt::format("{}", value.as_int());
        case ValueKind::big_integer:
            return "<large int>";
        case ValueKind::floating:
            return "<float>";
        case ValueKind::str:
        case ValueKind::bytes:
        case ValueKind::bytearray: {
            const bool binary = value.kind != ValueKind::str;
            // Only the start is shown, so only the start is decoded.
            Value prefix = value;
            prefix.a = std::min<uint32_t>(value.a, 256);
            const auto text = text_of(prefix, 1024);
            if (!text)
                return fmt::format("<{} of {} bytes>", binary ? "bytes" : "str", value.a);
            std::string out = binary ? "b'" : "'";
            out += escape_for_display(*text, 80);
            if (value.a > prefix.a && text->size() <= 80)
                out += "...";
            out += "'";
            if (value.kind == ValueKind::bytearray)
                out = "bytearray(" + out + ")";
            return out;
        }
        case ValueKind::tuple:
        case ValueKind::list:
        case ValueKind::dict:
        case ValueKind::set:
        case ValueKind::frozenset: {
            const auto& object = arena_.object(value.a);
            const char* open = value.kind == ValueKind::tuple  ? "("
                               : value.kind == ValueKind::list ? "["
                                                               : "{";
            const char* close = value.kind == ValueKind::tuple  ? ")"
                                : value.kind == ValueKind::list ? "]"
                                                                : "}";
            if (depth >= 3)
                return fmt::format("{}...{}", open, close);
            std::string out = open;
            const auto items = arena_.items(value.a);
            const size_t step = value.kind == ValueKind::dict ? 2 : 1;
            size_t shown = 0;
            for (size_t i = 0; i + step - 1 < items.size() && shown < 6; i += step, ++shown) {
                if (shown > 0)
                    out += ", ";
                out += render(items[i], depth + 1);
                if (step == 2)
                    out += ": " + render(items[i + 1], depth + 1);
            }
            if (object.length > shown)
                out += fmt::format("{}... {} more", shown > 0 ? ", " : "", object.length - shown);
            else if (value.kind == ValueKind::tuple && object.length == 1)
                out += ",";
            out += close;
            return out;
        }
        case ValueKind::instance:
            return fmt::format("<{}>", callee_text(value));
        case ValueKind::global:
            return names_[value.a].qualified;
        case ValueKind::persistent:
            return "<persistent object>";
        case ValueKind::opaque:
            return "<object>";
    }
    return "?";
}

std::string PickleMachine::Impl::render_args(const Value& args) const {
    if (args.kind == ValueKind::tuple)
        return render(args);
    return fmt::format("arguments {}", render(args));
}

}  // namespace hazmat::pickle
