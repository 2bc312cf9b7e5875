#include "scan/models/numpy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "core/finding.hpp"
#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"

namespace hazmat::models {

namespace {

DtypeResult dtype_error(std::string message) {
    return {false, {}, std::move(message)};
}

DtypeResult dtype_ok(uint64_t itemsize, bool has_object) {
    return {true, {itemsize, has_object}, {}};
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && text.front() == ' ')
        text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ')
        text.remove_suffix(1);
    return text;
}

std::optional<uint64_t> checked_multiply(uint64_t a, uint64_t b) {
    uint64_t product = 0;
    if (__builtin_mul_overflow(a, b, &product))
        return std::nullopt;
    return product;
}

// Element sizes are those of numpy on 64-bit Linux, where hazmat runs.
// LIMITATION: 'l', 'L', 'g' and their named forms have other sizes on Windows
// and 32-bit builds; a file written there may be reported as truncated.
struct NamedType {
    std::string_view name;
    uint64_t itemsize;
    bool is_object;
};

constexpr NamedType kNamedTypes[] = {
    {"bool", 1, false},         {"bool_", 1, false},        {"bool8", 1, false},
    {"byte", 1, false},         {"ubyte", 1, false},        {"short", 2, false},
    {"ushort", 2, false},       {"intc", 4, false},         {"uintc", 4, false},
    {"int", 8, false},          {"int_", 8, false},         {"uint", 8, false},
    {"long", 8, false},         {"ulong", 8, false},        {"longlong", 8, false},
    {"ulonglong", 8, false},    {"intp", 8, false},         {"uintp", 8, false},
    {"int8", 1, false},         {"int16", 2, false},        {"int32", 4, false},
    {"int64", 8, false},        {"uint8", 1, false},        {"uint16", 2, false},
    {"uint32", 4, false},       {"uint64", 8, false},       {"half", 2, false},
    {"single", 4, false},       {"double", 8, false},       {"float", 8, false},
    {"float_", 8, false},       {"longdouble", 16, false},  {"longfloat", 16, false},
    {"float16", 2, false},      {"float32", 4, false},      {"float64", 8, false},
    {"float128", 16, false},    {"csingle", 8, false},      {"singlecomplex", 8, false},
    {"cdouble", 16, false},     {"cfloat", 16, false},      {"complex", 16, false},
    {"complex_", 16, false},    {"clongdouble", 32, false}, {"clongfloat", 32, false},
    {"longcomplex", 32, false}, {"complex64", 8, false},    {"complex128", 16, false},
    {"complex256", 32, false},  {"object", 8, true},        {"object_", 8, true},
    {"object0", 8, true},       {"str", 0, false},          {"str_", 0, false},
    {"unicode", 0, false},      {"bytes", 0, false},        {"bytes_", 0, false},
    {"void", 0, false},
};

// "[ns]", "[10ms]" after a datetime type; returns false if malformed.
bool skip_datetime_unit(std::string_view& rest) {
    if (rest.empty())
        return true;
    if (rest.front() != '[' || rest.back() != ']' || rest.size() < 3)
        return false;
    for (const char c : rest.substr(1, rest.size() - 2)) {
        if (!std::isalnum(static_cast<unsigned char>(c)))
            return false;
    }
    rest = {};
    return true;
}

std::optional<uint64_t> parse_decimal(std::string_view digits) {
    if (digits.empty() || digits.size() > 18)
        return std::nullopt;
    uint64_t value = 0;
    for (const char c : digits) {
        if (!std::isdigit(static_cast<unsigned char>(c)))
            return std::nullopt;
        value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    return value;
}

// A type without shape prefix or byte order: "f8", "U5", "O", "float64", "M8[ns]".
DtypeResult parse_core_type(std::string_view text) {
    for (const auto& named : kNamedTypes) {
        if (text == named.name)
            return dtype_ok(named.itemsize, named.is_object);
    }
    for (const std::string_view generic : {"datetime64", "timedelta64"}) {
        if (text.starts_with(generic)) {
            auto unit = text.substr(generic.size());
            if (skip_datetime_unit(unit))
                return dtype_ok(8, false);
        }
    }
    if (text.empty())
        return dtype_error("empty type");

    const char code = text.front();
    auto rest = text.substr(1);
    if (code == 'M' || code == 'm') {
        if (rest.starts_with("8"))
            rest.remove_prefix(1);
        if (skip_datetime_unit(rest))
            return dtype_ok(8, false);
        return dtype_error(fmt::format("unknown datetime type '{}'", text));
    }
    if (rest.empty()) {
        // One-character type codes (numpy.sctypeDict on 64-bit Linux).
        static constexpr std::string_view kCodes = "?bBhHiIlLqQpPefdgFDGOSaUVc";
        static constexpr std::array<uint64_t, 26> kSizes = {
            1, 1, 1, 2, 2, 4, 4, 8, 8, 8, 8, 8, 8, 2, 4, 8, 16, 8, 16, 32, 8, 0, 0, 0, 0, 1};
        const auto index = kCodes.find(code);
        if (index == std::string_view::npos)
            return dtype_error(fmt::format("unknown type code '{}'", text));
        return dtype_ok(kSizes[index], code == 'O');
    }
    const auto size = parse_decimal(rest);
    if (!size)
        return dtype_error(fmt::format("unknown type '{}'", text));
    auto one_of = [&](std::initializer_list<uint64_t> sizes) {
        return std::find(sizes.begin(), sizes.end(), *size) != sizes.end();
    };
    switch (code) {
        case 'b':
            if (*size == 1)
                return dtype_ok(1, false);  // "b1" is bool
            break;
        case 'i':
        case 'u':
            if (one_of({1, 2, 4, 8}))
                return dtype_ok(*size, false);
            break;
        case 'f':
            if (one_of({2, 4, 8, 16}))
                return dtype_ok(*size, false);
            break;
        case 'c':
            if (one_of({8, 16, 32}))
                return dtype_ok(*size, false);
            break;
        case 'S':
        case 'a':
        case 'V':
            return dtype_ok(*size, false);
        case 'U':
            if (auto bytes = checked_multiply(*size, 4))
                return dtype_ok(*bytes, false);
            break;
        case 'O':
            // numpy still accepts the old "O4" spelling for object on 64-bit.
            if (*size == 4 || *size == 8)
                return dtype_ok(8, true);
            break;
        default:
            break;
    }
    return dtype_error(fmt::format("unknown type '{}'", text));
}

bool is_byte_order(char c) {
    return c == '<' || c == '>' || c == '=' || c == '|';
}

// One item of a dtype string: [order] [shape] [order] type, where shape is
// "(2,3)" or a repeat count "3".
DtypeResult parse_dtype_item(std::string_view text, bool& has_shape) {
    text = trim(text);
    if (!text.empty() && is_byte_order(text.front()))
        text.remove_prefix(1);

    uint64_t repeat = 1;
    has_shape = false;
    if (!text.empty() && text.front() == '(') {
        const auto close = text.find(')');
        if (close == std::string_view::npos)
            return dtype_error("unclosed shape in dtype");
        auto dims = text.substr(1, close - 1);
        text = trim(text.substr(close + 1));
        has_shape = true;
        while (!(dims = trim(dims)).empty()) {
            const auto comma = dims.find(',');
            const auto dim = parse_decimal(trim(dims.substr(0, comma)));
            if (!dim)
                return dtype_error("malformed shape in dtype");
            const auto product = checked_multiply(repeat, *dim);
            if (!product)
                return dtype_error("dtype shape too large");
            repeat = *product;
            dims = comma == std::string_view::npos ? std::string_view{} : dims.substr(comma + 1);
        }
    } else {
        size_t digits = 0;
        while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
            ++digits;
        if (digits > 0) {
            const auto count = parse_decimal(text.substr(0, digits));
            if (!count)
                return dtype_error("malformed repeat count in dtype");
            repeat = *count;
            has_shape = true;
            text = trim(text.substr(digits));
        }
    }
    if (!text.empty() && is_byte_order(text.front()))
        text.remove_prefix(1);

    auto core = parse_core_type(text);
    if (!core.ok)
        return core;
    const auto itemsize = checked_multiply(core.dtype.itemsize, repeat);
    if (!itemsize)
        return dtype_error("dtype too large");
    return dtype_ok(*itemsize, core.dtype.has_object);
}

// Splits at commas that are not inside a "(...)" shape or a "[...]" unit.
std::vector<std::string_view> split_top_level_commas(std::string_view text) {
    std::vector<std::string_view> items;
    int depth = 0;
    size_t start = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '(' || c == '[') {
            ++depth;
        } else if (c == ')' || c == ']') {
            --depth;
        } else if (c == ',' && depth == 0) {
            items.push_back(text.substr(start, i - start));
            start = i + 1;
        }
    }
    items.push_back(text.substr(start));
    return items;
}

std::optional<uint64_t> product_of_shape(const PyValue& shape) {
    if (shape.is_int_like()) {
        if (shape.as_int() < 0)
            return std::nullopt;
        return static_cast<uint64_t>(shape.as_int());
    }
    if (shape.kind != PyValue::Kind::tuple)
        return std::nullopt;
    uint64_t product = 1;
    for (const auto& dim : shape.items) {
        if (!dim.is_int_like() || dim.as_int() < 0)
            return std::nullopt;
        const auto next = checked_multiply(product, static_cast<uint64_t>(dim.as_int()));
        if (!next)
            return std::nullopt;
        product = *next;
    }
    return product;
}

// numpy.dtype((base, shape)): a sub-array of `shape` elements of `base`.
DtypeResult subarray(const PyValue& base_descr, const PyValue& shape) {
    auto base = dtype_from_descr(base_descr);
    if (!base.ok)
        return base;
    const auto count = product_of_shape(shape);
    if (!count)
        return dtype_error(fmt::format("sub-array shape {} is not a shape", to_python_repr(shape)));
    const auto itemsize = checked_multiply(base.dtype.itemsize, *count);
    if (!itemsize)
        return dtype_error("dtype too large");
    return dtype_ok(*itemsize, base.dtype.has_object);
}

DtypeResult structured(const PyValue& fields) {
    uint64_t itemsize = 0;
    bool has_object = false;
    for (const auto& field : fields.items) {
        // numpy unpacks each field as (name, descr) or (name, descr, shape).
        if (!field.is_sequence() || field.items.size() < 2 || field.items.size() > 3)
            return dtype_error(
                fmt::format("field {} is not (name, descr[, shape])", to_python_repr(field)));
        const auto& name = field.items[0];
        const bool titled = name.kind == PyValue::Kind::tuple && name.items.size() == 2;
        if (name.kind != PyValue::Kind::string && !titled)
            return dtype_error(fmt::format("field name {} is not a string", to_python_repr(name)));
        const auto type = field.items.size() == 3 ? subarray(field.items[1], field.items[2])
                                                  : dtype_from_descr(field.items[1]);
        if (!type.ok)
            return type;
        const auto total = itemsize + type.dtype.itemsize;
        if (total < itemsize)
            return dtype_error("dtype too large");
        itemsize = total;
        has_object = has_object || type.dtype.has_object;
    }
    return dtype_ok(itemsize, has_object);
}

}  // namespace

DtypeResult parse_dtype_string(std::string_view text) {
    const auto items = split_top_level_commas(text);
    if (items.size() == 1) {
        bool has_shape = false;
        return parse_dtype_item(items.front(), has_shape);
    }
    // "i4,f8" is a structured dtype with one field per item; a trailing comma
    // leaves an empty last item, which numpy ignores.
    uint64_t itemsize = 0;
    bool has_object = false;
    for (size_t i = 0; i < items.size(); ++i) {
        if (i + 1 == items.size() && trim(items[i]).empty())
            break;
        bool has_shape = false;
        const auto item = parse_dtype_item(items[i], has_shape);
        if (!item.ok)
            return item;
        itemsize += item.dtype.itemsize;
        if (itemsize < item.dtype.itemsize)
            return dtype_error("dtype too large");
        has_object = has_object || item.dtype.has_object;
    }
    return dtype_ok(itemsize, has_object);
}

DtypeResult dtype_from_descr(const PyValue& descr) {
    switch (descr.kind) {
        case PyValue::Kind::string:
            return parse_dtype_string(descr.text);
        case PyValue::Kind::tuple:
            if (descr.items.size() < 2)
                return dtype_error("a tuple descr needs (descr, shape)");
            return subarray(descr.items[0], descr.items[1]);
        case PyValue::Kind::list:
            return structured(descr);
        default:
            return dtype_error(
                fmt::format("descr {} is not a dtype description", to_python_repr(descr)));
    }
}

namespace {

NpyHeaderResult header_error(std::string message, uint64_t offset, uint64_t data_offset = 0) {
    NpyHeaderResult result;
    result.error = std::move(message);
    result.error_offset = offset;
    result.data_offset = data_offset;
    return result;
}

uint32_t read_le(ByteSpan bytes, size_t offset, size_t width) {
    uint32_t value = 0;
    for (size_t i = 0; i < width; ++i)
        value |= static_cast<uint32_t>(bytes[offset + i]) << (8 * i);
    return value;
}

std::string latin1_to_utf8(ByteSpan bytes) {
    std::string out;
    out.reserve(bytes.size());
    for (const uint8_t byte : bytes) {
        if (byte < 0x80) {
            out += static_cast<char>(byte);
        } else {
            out += static_cast<char>(0xC0 | (byte >> 6));
            out += static_cast<char>(0x80 | (byte & 0x3F));
        }
    }
    return out;
}

// Index of the first byte that breaks UTF-8, or npos.
size_t invalid_utf8_at(ByteSpan bytes) {
    size_t i = 0;
    while (i < bytes.size()) {
        const uint8_t lead = bytes[i];
        size_t length = lead < 0x80           ? 1
                        : (lead >> 5) == 0x6  ? 2
                        : (lead >> 4) == 0xE  ? 3
                        : (lead >> 3) == 0x1E ? 4
                                              : 0;
        if (length == 0 || i + length > bytes.size())
            return i;
        for (size_t k = 1; k < length; ++k) {
            if ((bytes[i + k] & 0xC0) != 0x80)
                return i;
        }
        i += length;
    }
    return std::string_view::npos;
}

constexpr std::string_view kNpyMagic = "\x93NUMPY";

}  // namespace

NpyHeaderResult parse_npy_header(ByteSpan bytes) {
    if (bytes.size() < 8 || std::memcmp(bytes.data(), kNpyMagic.data(), kNpyMagic.size()) != 0)
        return header_error("not an .npy file (missing \\x93NUMPY magic)", 0);
    const uint8_t major = bytes[6];
    const uint8_t minor = bytes[7];
    if (minor != 0 || major < 1 || major > 3)
        return header_error(fmt::format("unsupported .npy format version {}.{}", major, minor), 6);

    // numpy.lib.format._header_size_info: 1.0 uses a 16-bit length and latin-1,
    // 2.0 a 32-bit length and latin-1, 3.0 a 32-bit length and UTF-8.
    const size_t length_width = major == 1 ? 2 : 4;
    const size_t header_start = 8 + length_width;
    if (bytes.size() < header_start)
        return header_error("truncated before the header length", 8);
    const uint64_t header_length = read_le(bytes, 8, length_width);
    const uint64_t data_offset = header_start + header_length;
    if (data_offset > bytes.size()) {
        return header_error(fmt::format("header declares {} bytes but the file ends after {}",
                                        header_length, bytes.size() - header_start),
                            bytes.size());
    }

    const auto raw_header = bytes.subspan(header_start, header_length);
    std::string text;
    if (major == 3) {
        if (const auto bad = invalid_utf8_at(raw_header); bad != std::string_view::npos)
            return header_error("header is not valid UTF-8", header_start + bad, data_offset);
        text.assign(reinterpret_cast<const char*>(raw_header.data()), raw_header.size());
    } else {
        text = latin1_to_utf8(raw_header);
    }

    LiteralOptions options;
    options.allow_long_suffix = major <= 2;
    const auto literal = parse_python_literal(text, options);
    if (!literal.ok) {
        // LIMITATION: for latin-1 headers with non-ASCII bytes the offset is
        // that of the UTF-8 re-encoding, a few bytes past the real one.
        return header_error(
            fmt::format("header is not a Python literal: {}", literal.error.message),
            header_start + literal.error.offset, data_offset);
    }
    const auto& dict = literal.value;
    if (dict.kind != PyValue::Kind::dict)
        return header_error("header is not a dictionary", header_start, data_offset);
    const auto* descr = dict.find("descr");
    const auto* fortran_order = dict.find("fortran_order");
    const auto* shape = dict.find("shape");
    if (dict.entries.size() != 3 || !descr || !fortran_order || !shape) {
        return header_error(fmt::format("header keys are not exactly 'descr', 'fortran_order', "
                                        "'shape': {}",
                                        to_python_repr(dict)),
                            header_start, data_offset);
    }

    NpyHeader header;
    header.major = major;
    header.minor = minor;
    header.header_offset = header_start;
    header.data_offset = data_offset;
    if (shape->kind != PyValue::Kind::tuple)
        return header_error("shape is not a tuple", header_start, data_offset);
    for (const auto& dim : shape->items) {
        if (!dim.is_int_like())
            return header_error(
                fmt::format("shape {} is not a tuple of integers", to_python_repr(*shape)),
                header_start, data_offset);
        header.shape.push_back(dim.as_int());
    }
    if (fortran_order->kind != PyValue::Kind::boolean)
        return header_error("fortran_order is not a bool", header_start, data_offset);
    header.fortran_order = fortran_order->boolean;

    const auto dtype = dtype_from_descr(*descr);
    header.descr_text = to_python_repr(*descr);
    if (!dtype.ok)
        return header_error(fmt::format("descr {}: {}", header.descr_text, dtype.error),
                            header_start, data_offset);
    header.dtype = dtype.dtype;

    NpyHeaderResult result;
    result.ok = true;
    result.header = std::move(header);
    result.data_offset = data_offset;
    return result;
}

std::optional<uint64_t> npy_data_size(const NpyHeader& header) {
    uint64_t count = 1;
    for (const int64_t dim : header.shape) {
        if (dim < 0)
            return std::nullopt;
        const auto next = checked_multiply(count, static_cast<uint64_t>(dim));
        if (!next)
            return std::nullopt;
        count = *next;
    }
    return checked_multiply(count, header.dtype.itemsize);
}

bool NumpyAnalyzer::accepts(const Blob&, Format sniffed) const {
    return sniffed == Format::npy;
}

namespace {

Blob child_blob(const Blob& parent, Bytes bytes, std::string name) {
    Blob child;
    child.bytes = std::move(bytes);
    child.location = parent.location.child(LocationPart::Kind::embedded, name);
    child.name = std::move(name);
    child.depth = parent.depth + 1;
    return child;
}

void report_unparseable(const Blob& blob, const NpyHeaderResult& parsed, ScanContext& context) {
    context.report(Finding::make(rules::kScanUnparseable,
                                 fmt::format("NumPy header cannot be parsed: {}.", parsed.error),
                                 blob.location)
                       .at_offset(parsed.error_offset));
    // Nobody can say how a loader reads what follows a header hazmat cannot
    // verify; if it is a pickle, numpy may unpickle it, so examine it as one.
    const auto data_offset = parsed.data_offset;
    if (data_offset > 0 && data_offset < blob.bytes.size() &&
        blob.bytes.data()[data_offset] == 0x80)
        context.scan(child_blob(blob, blob.bytes.slice(data_offset), "data after the header"),
                     Format::pickle);
}

void analyze_object_array(const Blob& blob, const NpyHeader& header, ScanContext& context) {
    context.report(
        Finding::make(rules::kNumpyObjectArray,
                      fmt::format("Array of dtype {} stores Python objects as a pickle that "
                                  "numpy.load(allow_pickle=True) unpickles.",
                                  header.descr_text),
                      blob.location)
            .at_offset(header.data_offset)
            .with_evidence(fmt::format("the header at byte {} declares descr {}",
                                       header.header_offset, header.descr_text))
            .with_evidence(fmt::format("the pickle starts at byte {}", header.data_offset)));
    context.scan(child_blob(blob, blob.bytes.slice(header.data_offset), "object array pickle"),
                 Format::pickle);
}

void check_data_size(const Blob& blob, const NpyHeader& header, ScanContext& context) {
    const auto expected = npy_data_size(header);
    const uint64_t available = blob.bytes.size() - header.data_offset;
    if (!expected) {
        context.report(Finding::make(rules::kScanUnparseable,
                                     "NumPy header declares a shape whose size cannot be "
                                     "computed (negative or overflowing dimensions).",
                                     blob.location)
                           .at_offset(header.header_offset));
        return;
    }
    if (available < *expected) {
        context.report(
            Finding::make(rules::kScanUnparseable,
                          fmt::format("NumPy array data is truncated: the header declares {} "
                                      "bytes, the file holds {}.",
                                      *expected, available),
                          blob.location)
                .at_offset(blob.bytes.size()));
        return;
    }
    if (available == *expected)
        return;

    // numpy.load reads exactly the declared bytes and ignores the rest, which
    // makes the tail a place to carry a second payload for another reader.
    const uint64_t tail_offset = header.data_offset + *expected;
    context.report(
        Finding::make(rules::kDataOutsideStructure,
                      fmt::format("{} bytes follow the array data the header declares; "
                                  "numpy.load never reads them.",
                                  available - *expected),
                      blob.location)
            .at_offset(tail_offset)
            .with_evidence(fmt::format("descr {}, {} bytes of data from byte {}", header.descr_text,
                                       *expected, header.data_offset)));
    context.scan(child_blob(blob, blob.bytes.slice(tail_offset), "data after the array"));
}

}  // namespace

void NumpyAnalyzer::analyze(const Blob& blob, Format, ScanContext& context) const {
    context.count_format("numpy");
    const auto parsed = parse_npy_header(blob.bytes.span());
    if (!parsed.ok) {
        report_unparseable(blob, parsed, context);
        return;
    }
    if (parsed.header.dtype.has_object) {
        analyze_object_array(blob, parsed.header, context);
        return;
    }
    check_data_size(blob, parsed.header, context);
}

}  // namespace hazmat::models
