#include "scan/models/pickle_extent.hpp"

#include <fmt/format.h>

#include <map>
#include <string_view>

namespace hazmat::models {

namespace {

// How an opcode's argument is laid out (pickletools' ArgumentDescriptor).
enum class Argument {
    none,
    fixed1,
    fixed2,
    fixed4,
    fixed8,
    length1,         // 1-byte length, then data
    length4,         // unsigned 4-byte length, then data
    signed_length4,  // signed 4-byte length (negative is an error), then data
    length8,         // 8-byte length, then data
    line,            // up to and including '\n'
    two_lines,       // GLOBAL and INST: module '\n' name '\n'
};

struct Opcode {
    char code;
    Argument argument;
};

constexpr Opcode kOpcodes[] = {
    {'(', Argument::none},
    {'.', Argument::none},
    {'0', Argument::none},
    {'1', Argument::none},
    {'2', Argument::none},
    {'F', Argument::line},
    {'I', Argument::line},
    {'J', Argument::fixed4},
    {'K', Argument::fixed1},
    {'L', Argument::line},
    {'M', Argument::fixed2},
    {'N', Argument::none},
    {'P', Argument::line},
    {'Q', Argument::none},
    {'R', Argument::none},
    {'S', Argument::line},
    {'T', Argument::signed_length4},
    {'U', Argument::length1},
    {'V', Argument::line},
    {'X', Argument::length4},
    {'a', Argument::none},
    {'b', Argument::none},
    {'c', Argument::two_lines},
    {'d', Argument::none},
    {'}', Argument::none},
    {'e', Argument::none},
    {'g', Argument::line},
    {'h', Argument::fixed1},
    {'i', Argument::two_lines},
    {'j', Argument::fixed4},
    {'l', Argument::none},
    {']', Argument::none},
    {'o', Argument::none},
    {'p', Argument::line},
    {'q', Argument::fixed1},
    {'r', Argument::fixed4},
    {'s', Argument::none},
    {'t', Argument::none},
    {')', Argument::none},
    {'u', Argument::none},
    {'G', Argument::fixed8},
    {'\x80', Argument::fixed1},
    {'\x81', Argument::none},
    {'\x82', Argument::fixed1},
    {'\x83', Argument::fixed2},
    {'\x84', Argument::fixed4},
    {'\x85', Argument::none},
    {'\x86', Argument::none},
    {'\x87', Argument::none},
    {'\x88', Argument::none},
    {'\x89', Argument::none},
    {'\x8a', Argument::length1},
    {'\x8b', Argument::signed_length4},
    {'B', Argument::length4},
    {'C', Argument::length1},
    {'\x8c', Argument::length1},
    {'\x8d', Argument::length8},
    {'\x8e', Argument::length8},
    {'\x8f', Argument::none},
    {'\x90', Argument::none},
    {'\x91', Argument::none},
    {'\x92', Argument::none},
    {'\x93', Argument::none},
    {'\x94', Argument::none},
    {'\x95', Argument::fixed8},
    {'\x96', Argument::length8},
    {'\x97', Argument::none},
    {'\x98', Argument::none},
};

const Opcode* find_opcode(uint8_t byte) {
    for (const auto& opcode : kOpcodes) {
        if (static_cast<uint8_t>(opcode.code) == byte)
            return &opcode;
    }
    return nullptr;
}

uint64_t read_unsigned(ByteSpan bytes, size_t offset, size_t width) {
    uint64_t value = 0;
    for (size_t i = 0; i < width; ++i)
        value |= static_cast<uint64_t>(bytes[offset + i]) << (8 * i);
    return value;
}

std::optional<int64_t> parse_int_line(std::string_view text) {
    if (text == "01")
        return 1;  // protocol 0 spells True and False as INT "01" and "00"
    if (!text.empty() && text.back() == 'L')
        text.remove_suffix(1);
    bool negative = false;
    if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
        negative = text.front() == '-';
        text.remove_prefix(1);
    }
    if (text.empty() || text.size() > 18)
        return std::nullopt;
    int64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        value = value * 10 + (c - '0');
    }
    return negative ? -value : value;
}

class Walker {
  public:
    explicit Walker(ByteSpan bytes) : bytes_(bytes) {}

    PickleExtentResult run() {
        PickleExtentResult result;
        while (pos_ < bytes_.size()) {
            const size_t start = pos_;
            const uint8_t code = bytes_[pos_++];
            const auto* opcode = find_opcode(code);
            if (opcode == nullptr)
                return failure(fmt::format("unknown pickle opcode 0x{:02x}", code), start);
            const auto argument = read_argument(opcode->argument);
            if (!argument)
                return failure("truncated pickle opcode argument", start);
            observe(static_cast<char>(code), *argument);
            if (code == '.') {
                result.ok = true;
                result.extent = std::move(extent_);
                result.extent.end = pos_;
                if (value_opcodes_ == 1 && integer_)
                    result.extent.integer = integer_;
                return result;
            }
        }
        return failure("pickle ends without a STOP opcode", bytes_.size());
    }

  private:
    PickleExtentResult failure(std::string message, size_t offset) const {
        PickleExtentResult result;
        result.error = std::move(message);
        result.error_offset = offset;
        return result;
    }

    std::string_view text(size_t offset, size_t length) const {
        return {reinterpret_cast<const char*>(bytes_.data() + offset), length};
    }

    // The argument's bytes (for line arguments, without the newline).
    std::optional<std::string_view> read_argument(Argument argument) {
        const size_t remaining = bytes_.size() - pos_;
        auto take = [&](uint64_t length) -> std::optional<std::string_view> {
            if (length > bytes_.size() - pos_)
                return std::nullopt;
            const auto view = text(pos_, length);
            pos_ += length;
            return view;
        };
        auto take_prefixed = [&](size_t width, bool is_signed) -> std::optional<std::string_view> {
            if (remaining < width)
                return std::nullopt;
            const uint64_t length = read_unsigned(bytes_, pos_, width);
            if (is_signed && (length & 0x80000000u))
                return std::nullopt;
            pos_ += width;
            return take(length);
        };
        auto take_line = [&]() -> std::optional<std::string_view> {
            for (size_t i = pos_; i < bytes_.size(); ++i) {
                if (bytes_[i] == '\n') {
                    const auto view = text(pos_, i - pos_);
                    pos_ = i + 1;
                    return view;
                }
            }
            return std::nullopt;
        };
        switch (argument) {
            case Argument::none:
                return std::string_view{};
            case Argument::fixed1:
                return take(1);
            case Argument::fixed2:
                return take(2);
            case Argument::fixed4:
                return take(4);
            case Argument::fixed8:
                return take(8);
            case Argument::length1:
                return take_prefixed(1, false);
            case Argument::length4:
                return take_prefixed(4, false);
            case Argument::signed_length4:
                return take_prefixed(4, true);
            case Argument::length8:
                return take_prefixed(8, false);
            case Argument::line:
                return take_line();
            case Argument::two_lines: {
                const size_t start = pos_;
                if (!take_line() || !take_line())
                    return std::nullopt;
                return text(start, pos_ - start - 1);
            }
        }
        return std::nullopt;
    }

    void observe(char code, std::string_view argument) {
        switch (code) {
            case '\x8c':  // SHORT_BINUNICODE
            case 'X':     // BINUNICODE
            case '\x8d':  // BINUNICODE8
            case 'V':     // UNICODE
            case 'U':     // SHORT_BINSTRING
            case 'T':     // BINSTRING
                recent_strings_.emplace_back(argument);
                ++value_opcodes_;
                return;
            case 'S':  // STRING: a quoted repr
                recent_strings_.emplace_back(
                    argument.size() >= 2 ? argument.substr(1, argument.size() - 2) : argument);
                ++value_opcodes_;
                return;
            case 'q':     // BINPUT
            case 'r':     // LONG_BINPUT
            case 'p':     // PUT
            case '\x94':  // MEMOIZE
                remember(code, argument);
                return;
            case 'h':  // BINGET
            case 'j':  // LONG_BINGET
            case 'g':  // GET
                recall(code, argument);
                ++value_opcodes_;
                return;
            case '\x80':  // PROTO
            case '\x95':  // FRAME
            case '.':     // STOP
                return;
            default:
                break;
        }
        note_integer(code, argument);
        if (code == 'c' || code == 'i') {
            const auto newline = argument.find('\n');
            extent_.globals.push_back(
                fmt::format("{}.{}", argument.substr(0, newline), argument.substr(newline + 1)));
        } else if (code == '\x93') {
            const size_t count = recent_strings_.size();
            if (count >= 2 && recent_strings_[count - 2] && recent_strings_[count - 1]) {
                extent_.globals.push_back(
                    fmt::format("{}.{}", *recent_strings_[count - 2], *recent_strings_[count - 1]));
            } else {
                ++extent_.unresolved_globals;
            }
        }
        recent_strings_.clear();
    }

    uint64_t memo_key(char code, std::string_view argument) const {
        switch (code) {
            case 'q':
            case 'h':
                return static_cast<uint8_t>(argument[0]);
            case 'r':
            case 'j':
                return read_unsigned(ByteSpan(reinterpret_cast<const uint8_t*>(argument.data()), 4),
                                     0, 4);
            default: {
                const auto value = parse_int_line(argument);
                return value ? static_cast<uint64_t>(*value) : UINT64_MAX;
            }
        }
    }

    void remember(char code, std::string_view argument) {
        const uint64_t key = code == '\x94' ? memo_size_++ : memo_key(code, argument);
        if (code != '\x94')
            memo_size_ = std::max(memo_size_, key + 1);
        memo_[key] = recent_strings_.empty() ? std::nullopt : recent_strings_.back();
    }

    void recall(char code, std::string_view argument) {
        const auto found = memo_.find(memo_key(code, argument));
        recent_strings_.push_back(found == memo_.end() ? std::nullopt : found->second);
    }

    void note_integer(char code, std::string_view argument) {
        ++value_opcodes_;
        const auto* data = reinterpret_cast<const uint8_t*>(argument.data());
        switch (code) {
            case 'K':
                integer_ = data[0];
                return;
            case 'M':
                integer_ = static_cast<int64_t>(read_unsigned({data, 2}, 0, 2));
                return;
            case 'J':
                integer_ = static_cast<int32_t>(read_unsigned({data, 4}, 0, 4));
                return;
            case 'I':
            case 'L':
                integer_ = parse_int_line(argument);
                return;
            case '\x8a':  // LONG1: little-endian two's complement
                if (argument.empty()) {
                    integer_ = 0;
                } else if (argument.size() <= 8) {
                    uint64_t value = read_unsigned({data, argument.size()}, 0, argument.size());
                    if (argument.size() < 8 && (data[argument.size() - 1] & 0x80))
                        value |= ~uint64_t{0} << (8 * argument.size());
                    integer_ = static_cast<int64_t>(value);
                }
                return;
            default:
                return;
        }
    }

    ByteSpan bytes_;
    size_t pos_ = 0;
    PickleExtent extent_;
    std::vector<std::optional<std::string>> recent_strings_;
    std::map<uint64_t, std::optional<std::string>> memo_;
    uint64_t memo_size_ = 0;
    uint32_t value_opcodes_ = 0;
    std::optional<int64_t> integer_;
};

}  // namespace

PickleExtentResult measure_pickle(ByteSpan bytes) {
    return Walker(bytes).run();
}

}  // namespace hazmat::models
