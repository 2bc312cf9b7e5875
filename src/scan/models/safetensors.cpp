#include "scan/models/safetensors.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"
#include "scan/models/jinja_template.hpp"
#include "scan/models/json_input.hpp"

namespace hazmat::models {

namespace {

// safetensors' MAX_HEADER_SIZE: the reference loader refuses larger headers.
constexpr uint64_t kMaxHeaderLength = 100'000'000;
constexpr uint64_t kPrefixLength = 8;

struct DtypeBits {
    std::string_view name;
    uint64_t bits;
};

// safetensors' Dtype enum and bit sizes.
constexpr DtypeBits kDtypes[] = {
    {"BOOL", 8}, {"F4", 4},      {"F6_E2M3", 6}, {"F6_E3M2", 6}, {"U8", 8},
    {"I8", 8},   {"F8_E5M2", 8}, {"F8_E4M3", 8}, {"F8_E8M0", 8}, {"I16", 16},
    {"U16", 16}, {"F16", 16},    {"BF16", 16},   {"I32", 32},    {"U32", 32},
    {"F32", 32}, {"F64", 64},    {"I64", 64},    {"U64", 64},    {"C64", 64},
};

SafetensorsCheck failure(SafetensorsCheck check, std::string message, uint64_t offset) {
    check.ok = false;
    check.error = std::move(message);
    check.error_offset = offset;
    return check;
}

// Reads one tensor entry: {"dtype": str, "shape": [uint...], "data_offsets": [uint, uint]}.
std::optional<std::string> read_tensor(const std::string& name, const nlohmann::json& value,
                                       SafetensorsTensor& tensor) {
    if (!value.is_object())
        return fmt::format("tensor '{}' is not an object", name);
    const auto dtype = value.find("dtype");
    const auto shape = value.find("shape");
    const auto offsets = value.find("data_offsets");
    if (dtype == value.end() || shape == value.end() || offsets == value.end())
        return fmt::format("tensor '{}' lacks dtype, shape or data_offsets", name);
    if (!dtype->is_string())
        return fmt::format("tensor '{}' has a dtype that is not a string", name);
    tensor.name = name;
    tensor.dtype = dtype->get<std::string>();
    if (!shape->is_array())
        return fmt::format("tensor '{}' has a shape that is not a list", name);
    for (const auto& extent : *shape) {
        if (!extent.is_number_unsigned())
            return fmt::format("tensor '{}' has a shape entry that is not a non-negative integer",
                               name);
        tensor.shape.push_back(extent.get<uint64_t>());
    }
    if (!offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
        !(*offsets)[1].is_number_unsigned())
        return fmt::format("tensor '{}' has data_offsets that are not two non-negative integers",
                           name);
    tensor.begin = (*offsets)[0].get<uint64_t>();
    tensor.end = (*offsets)[1].get<uint64_t>();
    return std::nullopt;
}

std::optional<std::string> tensor_size_error(const SafetensorsTensor& tensor) {
    const auto bits = safetensors_dtype_bits(tensor.dtype);
    if (!bits)
        return fmt::format("tensor '{}' has unknown dtype '{}'", tensor.name, tensor.dtype);
    uint64_t total = *bits;
    for (const uint64_t extent : tensor.shape) {
        if (__builtin_mul_overflow(total, extent, &total))
            return fmt::format("tensor '{}' has a shape whose size overflows", tensor.name);
    }
    if (total % 8 != 0)
        return fmt::format("tensor '{}' does not fill whole bytes", tensor.name);
    if (tensor.end < tensor.begin)
        return fmt::format("tensor '{}' ends (at {}) before it begins (at {})", tensor.name,
                           tensor.end, tensor.begin);
    if (total / 8 != tensor.end - tensor.begin)
        return fmt::format(
            "tensor '{}' of dtype {} and shape [{}] needs {} bytes but its "
            "data_offsets span {}",
            tensor.name, tensor.dtype, fmt::join(tensor.shape, ", "), total / 8,
            tensor.end - tensor.begin);
    return std::nullopt;
}

}  // namespace

std::optional<uint64_t> safetensors_dtype_bits(std::string_view dtype) {
    for (const auto& known : kDtypes) {
        if (known.name == dtype)
            return known.bits;
    }
    return std::nullopt;
}

SafetensorsCheck check_safetensors(ByteSpan bytes) {
    SafetensorsCheck check;
    if (bytes.size() < kPrefixLength)
        return failure(std::move(check), "shorter than the 8-byte header length", 0);
    uint64_t length = 0;
    for (size_t i = 0; i < kPrefixLength; ++i)
        length |= static_cast<uint64_t>(bytes[i]) << (8 * i);
    check.header.header_length = length;
    if (length > kMaxHeaderLength)
        return failure(std::move(check),
                       fmt::format("header length {} exceeds the 100 MB the reference loader "
                                   "accepts",
                                   length),
                       0);
    if (length > bytes.size() - kPrefixLength)
        return failure(std::move(check),
                       fmt::format("header length {} runs past the end of the file ({} bytes "
                                   "follow the length)",
                                   length, bytes.size() - kPrefixLength),
                       0);

    const std::string_view text(reinterpret_cast<const char*>(bytes.data() + kPrefixLength),
                                length);
    auto json = parse_untrusted_json(text);
    if (!json.ok)
        return failure(std::move(check), fmt::format("header is not JSON: {}", json.error),
                       kPrefixLength + json.error_offset);
    if (!json.value.is_object())
        return failure(std::move(check), "header is not a JSON object", kPrefixLength);

    // The metadata of every copy is collected before a duplicate key fails
    // the check, so that the analyzer examines the copy other readers keep.
    for (const auto& duplicate : json.duplicates) {
        if (!duplicate.path.empty() || duplicate.key != "__metadata__" ||
            !duplicate.shadowed.is_object())
            continue;
        for (const auto& [key, entry] : duplicate.shadowed.items()) {
            if (entry.is_string())
                check.header.shadowed_metadata.emplace_back(key, entry.get<std::string>());
        }
    }
    if (!json.duplicates.empty()) {
        if (const auto metadata = json.value.find("__metadata__");
            metadata != json.value.end() && metadata->is_object()) {
            for (const auto& [key, entry] : metadata->items()) {
                if (entry.is_string())
                    check.header.metadata.emplace(key, entry.get<std::string>());
            }
        }
        return failure(std::move(check),
                       fmt::format("{}; readers disagree on which copy counts",
                                   describe_duplicate_key(json.duplicates.front(), kPrefixLength)),
                       kPrefixLength + json.duplicates.front().offset);
    }

    for (const auto& [name, value] : json.value.items()) {
        if (name == "__metadata__") {
            if (!value.is_object())
                return failure(std::move(check), "__metadata__ is not an object", kPrefixLength);
            for (const auto& [key, entry] : value.items()) {
                if (!entry.is_string())
                    return failure(std::move(check),
                                   fmt::format("__metadata__ value '{}' is not a string", key),
                                   kPrefixLength);
                check.header.metadata.emplace(key, entry.get<std::string>());
            }
            continue;
        }
        SafetensorsTensor tensor;
        if (const auto error = read_tensor(name, value, tensor))
            return failure(std::move(check), *error, kPrefixLength);
        check.header.tensors.push_back(std::move(tensor));
    }

    // Metadata::validate sorts by offsets and demands that each tensor
    // starts where the previous one ended, so nothing overlaps and nothing
    // hides between tensors.
    auto& tensors = check.header.tensors;
    std::sort(tensors.begin(), tensors.end(), [](const auto& a, const auto& b) {
        return std::pair(a.begin, a.end) < std::pair(b.begin, b.end);
    });
    uint64_t expected = 0;
    for (const auto& tensor : tensors) {
        if (tensor.begin != expected)
            return failure(std::move(check),
                           fmt::format("tensor '{}' starts at data offset {}, expected {} "
                                       "(tensors overlap or leave a gap)",
                                       tensor.name, tensor.begin, expected),
                           kPrefixLength);
        if (const auto error = tensor_size_error(tensor))
            return failure(std::move(check), *error, kPrefixLength);
        expected = tensor.end;
    }
    check.header.data_length = expected;
    const uint64_t available = bytes.size() - kPrefixLength - length;
    if (expected > available)
        return failure(std::move(check),
                       fmt::format("the tensors need {} bytes of data but the file holds {}",
                                   expected, available),
                       bytes.size());
    check.trailing_bytes = available - expected;
    check.ok = true;
    return check;
}

bool SafetensorsAnalyzer::accepts(const Blob&, Format sniffed) const {
    return sniffed == Format::safetensors;
}

namespace {

Blob embedded_child(const Blob& parent, Bytes bytes, std::string name) {
    Blob child;
    child.bytes = std::move(bytes);
    child.location = parent.location.child(LocationPart::Kind::embedded, name);
    child.name = std::move(name);
    child.depth = parent.depth + 1;
    return child;
}

void check_metadata_template(const Blob& blob, std::string_view key, const std::string& value,
                             std::string_view copy, ScanContext& context) {
    if (!looks_like_jinja_template(value))
        return;
    // nlohmann keeps no positions; the offset is that of the header.
    auto finding = template_escape_finding(find_template_escapes(value),
                                           fmt::format("safetensors metadata '{}'{}", key, copy),
                                           blob.location, 0);
    if (finding) {
        finding->location.offset = kPrefixLength;
        context.report(std::move(*finding));
    }
}

void check_metadata_templates(const Blob& blob, const SafetensorsHeader& header,
                              ScanContext& context) {
    for (const auto& [key, value] : header.metadata)
        check_metadata_template(blob, key, value, "", context);
    for (const auto& [key, value] : header.shadowed_metadata)
        check_metadata_template(blob, key, value, " (in an earlier, duplicate __metadata__)",
                                context);
}

}  // namespace

void SafetensorsAnalyzer::analyze(const Blob& blob, Format, ScanContext& context) const {
    context.count_format("safetensors");
    const auto check = check_safetensors(blob.bytes.span());
    const uint64_t header_end = kPrefixLength + check.header.header_length;
    if (header_end <= blob.bytes.size())
        context.scan(embedded_child(
            blob, blob.bytes.slice(kPrefixLength, check.header.header_length), "header"));
    if (!check.ok) {
        context.report(Finding::make(rules::kScanUnparseable,
                                     fmt::format("Not a valid safetensors file: {}. Its content "
                                                 "was not verified.",
                                                 check.error),
                                     blob.location)
                           .at_offset(check.error_offset));
        check_metadata_templates(blob, check.header, context);
        return;
    }
    spdlog::debug("{}: safetensors with {} tensors, {} data bytes", blob.location.to_display(),
                  check.header.tensors.size(), check.header.data_length);
    check_metadata_templates(blob, check.header, context);
    if (check.trailing_bytes == 0)
        return;
    const uint64_t tail_offset = header_end + check.header.data_length;
    context.report(
        Finding::make(rules::kDataOutsideStructure,
                      fmt::format("{} bytes follow the last tensor. The safetensors loader "
                                  "refuses the file; other readers ignore the bytes, which "
                                  "makes them a place to carry a second payload.",
                                  check.trailing_bytes),
                      blob.location)
            .at_offset(tail_offset));
    context.scan(embedded_child(blob, blob.bytes.slice(tail_offset), "data after the tensors"));
}

}  // namespace hazmat::models
