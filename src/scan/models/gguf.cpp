#include "scan/models/gguf.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cstring>
#include <optional>
#include <set>

#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"
#include "scan/models/jinja_template.hpp"

namespace hazmat::models {

namespace {

// gguf.h: GGML_MAX_DIMS; llama.cpp rejects tensors with more.
constexpr uint32_t kMaxDims = 4;
// gguf-py writes nested arrays; llama.cpp rejects them. Deeper nesting than
// this is not something any writer produces.
constexpr int kMaxArrayNesting = 4;

struct GgmlTypeSize {
    uint32_t type;
    uint64_t block;  // elements per block
    uint64_t bytes;  // bytes per block
};

// ggml.c's type_traits (blck_size, type_size) for the types a GGUF file may
// hold; removed and never-serialised types are absent.
constexpr std::array<GgmlTypeSize, 32> kGgmlTypes = {{
    {0, 1, 4},       // F32
    {1, 1, 2},       // F16
    {2, 32, 18},     // Q4_0
    {3, 32, 20},     // Q4_1
    {6, 32, 22},     // Q5_0
    {7, 32, 24},     // Q5_1
    {8, 32, 34},     // Q8_0
    {9, 32, 36},     // Q8_1
    {10, 256, 84},   // Q2_K
    {11, 256, 110},  // Q3_K
    {12, 256, 144},  // Q4_K
    {13, 256, 176},  // Q5_K
    {14, 256, 210},  // Q6_K
    {15, 256, 292},  // Q8_K
    {16, 256, 66},   // IQ2_XXS
    {17, 256, 74},   // IQ2_XS
    {18, 256, 98},   // IQ3_XXS
    {19, 256, 50},   // IQ1_S
    {20, 32, 18},    // IQ4_NL
    {21, 256, 110},  // IQ3_S
    {22, 256, 82},   // IQ2_S
    {23, 256, 136},  // IQ4_XS
    {24, 1, 1},      // I8
    {25, 1, 2},      // I16
    {26, 1, 4},      // I32
    {27, 1, 8},      // I64
    {28, 1, 8},      // F64
    {29, 256, 56},   // IQ1_M
    {30, 1, 2},      // BF16
    {34, 256, 54},   // TQ1_0
    {35, 256, 66},   // TQ2_0
    {39, 32, 17},    // MXFP4
}};

// Bytes of one scalar of a fixed-width value type, 0 for strings and arrays.
uint64_t scalar_size(GgufType type) {
    switch (type) {
        case GgufType::uint8:
        case GgufType::int8:
        case GgufType::boolean:
            return 1;
        case GgufType::uint16:
        case GgufType::int16:
            return 2;
        case GgufType::uint32:
        case GgufType::int32:
        case GgufType::float32:
            return 4;
        case GgufType::uint64:
        case GgufType::int64:
        case GgufType::float64:
            return 8;
        case GgufType::string:
        case GgufType::array:
            return 0;
    }
    return 0;
}

bool is_known_type(uint32_t type) {
    return type <= static_cast<uint32_t>(GgufType::float64);
}

class GgufReader {
  public:
    GgufReader(ByteSpan bytes, GgufParse& out) : bytes_(bytes), out_(out) {}

    bool run() {
        if (!read_header())
            return false;
        auto& file = out_.file;
        for (uint64_t i = 0; i < file.entry_count; ++i) {
            if (!read_entry())
                return false;
        }
        for (uint64_t i = 0; i < file.tensor_count; ++i) {
            if (!read_tensor())
                return false;
        }
        // The data section starts at the next multiple of the alignment.
        const uint64_t align = file.alignment;
        const uint64_t padded = (position_ + align - 1) / align * align;
        if (padded > bytes_.size() && file.tensor_count > 0)
            return fail("the tensor data section starts past the end of the file", position_);
        file.data_start = padded;
        return true;
    }

  private:
    bool fail(std::string message, uint64_t offset) {
        out_.error = std::move(message);
        out_.error_offset = offset;
        return false;
    }

    uint64_t left() const { return bytes_.size() - position_; }

    bool read_u32(uint32_t& value, std::string_view what) {
        if (left() < 4)
            return fail(fmt::format("truncated in {}", what), position_);
        std::memcpy(&value, bytes_.data() + position_, 4);
        position_ += 4;
        return true;
    }

    bool read_u64(uint64_t& value, std::string_view what) {
        if (left() < 8)
            return fail(fmt::format("truncated in {}", what), position_);
        std::memcpy(&value, bytes_.data() + position_, 8);
        position_ += 8;
        return true;
    }

    // Counts and lengths are 32-bit in version 1, 64-bit afterwards.
    bool read_size(uint64_t& value, std::string_view what) {
        if (out_.file.version == 1) {
            uint32_t narrow = 0;
            if (!read_u32(narrow, what))
                return false;
            value = narrow;
            return true;
        }
        return read_u64(value, what);
    }

    bool read_string(std::string_view& text, uint64_t& start, std::string_view what) {
        const uint64_t at = position_;
        uint64_t length = 0;
        if (!read_size(length, what))
            return false;
        if (length > left())
            return fail(
                fmt::format("{} declares {} bytes but only {} remain", what, length, left()), at);
        start = position_;
        text = {reinterpret_cast<const char*>(bytes_.data() + position_),
                static_cast<size_t>(length)};
        position_ += length;
        return true;
    }

    bool read_header() {
        auto& file = out_.file;
        if (bytes_.size() < 8 || std::memcmp(bytes_.data(), "GGUF", 4) != 0)
            return fail("missing GGUF magic", 0);
        position_ = 4;
        if (!read_u32(file.version, "the version"))
            return false;
        if (file.version == 0x02000000 || file.version == 0x03000000) {
            // LIMITATION: big-endian GGUF files (s390x builds) are not parsed.
            return fail("big-endian GGUF files are not supported", 4);
        }
        if (file.version < 1 || file.version > 3)
            return fail(fmt::format("unsupported GGUF version {}", file.version), 4);
        if (!read_size(file.tensor_count, "the tensor count") ||
            !read_size(file.entry_count, "the metadata count"))
            return false;
        // A key-value pair takes at least a length, a type and one byte of
        // value; a tensor info at least a name length, a dimension count, a
        // type and an offset. Counts that cannot fit are rejected before any
        // loop runs over them.
        const uint64_t min_entry = (file.version == 1 ? 4 : 8) + 4 + 1;
        const uint64_t min_tensor = (file.version == 1 ? 4 : 8) + 4 + 4 + 8;
        if (file.entry_count > left() / min_entry)
            return fail(fmt::format("{} metadata entries cannot fit in the {} bytes left",
                                    file.entry_count, left()),
                        file.version == 1 ? 12 : 16);
        if (file.tensor_count > left() / min_tensor)
            return fail(fmt::format("{} tensor infos cannot fit in the {} bytes left",
                                    file.tensor_count, left()),
                        8);
        return true;
    }

    bool read_entry() {
        GgufEntry entry;
        entry.offset = position_;
        std::string_view key;
        uint64_t key_start = 0;
        if (!read_string(key, key_start, "a metadata key"))
            return false;
        entry.key = std::string(key);
        uint32_t type = 0;
        const uint64_t type_at = position_;
        if (!read_u32(type, "a metadata value type"))
            return false;
        if (!is_known_type(type))
            return fail(fmt::format("metadata '{}' has unknown value type {}", entry.key, type),
                        type_at);
        entry.type = static_cast<GgufType>(type);
        if (!read_value(entry, entry.type, 0))
            return false;
        if (entry.key == "general.alignment") {
            if (!entry.unsigned_value || *entry.unsigned_value == 0 ||
                (*entry.unsigned_value & (*entry.unsigned_value - 1)) != 0)
                return fail("general.alignment is not a power of two", entry.offset);
            out_.file.alignment = *entry.unsigned_value;
        }
        out_.file.entries.push_back(std::move(entry));
        return true;
    }

    bool read_value(GgufEntry& entry, GgufType type, int nesting) {
        const uint64_t at = position_;
        switch (type) {
            case GgufType::string: {
                std::string_view text;
                uint64_t start = 0;
                if (!read_string(text, start,
                                 nesting == 0 ? "a string value" : "a string in an array"))
                    return false;
                if (nesting == 0) {
                    entry.text = text;
                    entry.text_offset = start;
                }
                return true;
            }
            case GgufType::array:
                return read_array(entry, nesting);
            default: {
                const uint64_t size = scalar_size(type);
                if (left() < size)
                    return fail(fmt::format("the value of '{}' is truncated", entry.key), at);
                if (nesting == 0 && (type == GgufType::uint32 || type == GgufType::uint64 ||
                                     type == GgufType::uint8 || type == GgufType::uint16)) {
                    uint64_t value = 0;
                    std::memcpy(&value, bytes_.data() + position_, size);
                    entry.unsigned_value = value;
                }
                position_ += size;
                return true;
            }
        }
    }

    bool read_array(GgufEntry& entry, int nesting) {
        const uint64_t at = position_;
        if (nesting >= kMaxArrayNesting)
            return fail(
                fmt::format("'{}' nests arrays more than {} deep", entry.key, kMaxArrayNesting),
                at);
        uint32_t element = 0;
        uint64_t count = 0;
        if (!read_u32(element, "an array type") || !read_size(count, "an array count"))
            return false;
        if (!is_known_type(element))
            return fail(fmt::format("array '{}' has unknown element type {}", entry.key, element),
                        at);
        const auto element_type = static_cast<GgufType>(element);
        if (nesting == 0) {
            entry.element_type = element_type;
            entry.count = count;
        }
        // Every element takes at least its fixed size, or a length field for
        // strings and arrays; check the whole array before walking it.
        uint64_t min_size = scalar_size(element_type);
        if (min_size == 0)
            min_size = (out_.file.version == 1 ? 4 : 8) + (element_type == GgufType::array ? 4 : 0);
        if (count > left() / min_size)
            return fail(fmt::format("array '{}' declares {} elements, which cannot fit in the "
                                    "{} bytes left",
                                    entry.key, count, left()),
                        at);
        if (scalar_size(element_type) != 0) {
            position_ += count * min_size;
            return true;
        }
        for (uint64_t i = 0; i < count; ++i) {
            if (!read_value(entry, element_type, nesting + 1))
                return false;
        }
        return true;
    }

    bool read_tensor() {
        GgufTensor tensor;
        tensor.offset = position_;
        std::string_view name;
        uint64_t name_start = 0;
        if (!read_string(name, name_start, "a tensor name"))
            return false;
        tensor.name = std::string(name);
        uint32_t dims = 0;
        if (!read_u32(dims, "a tensor's dimension count"))
            return false;
        if (dims > kMaxDims)
            return fail(fmt::format("tensor '{}' has {} dimensions, more than {}", tensor.name,
                                    dims, kMaxDims),
                        tensor.offset);
        for (uint32_t d = 0; d < dims; ++d) {
            uint64_t extent = 0;
            if (!read_size(extent, "a tensor dimension"))
                return false;
            tensor.dims.push_back(extent);
        }
        if (!read_u32(tensor.type, "a tensor type") ||
            !read_u64(tensor.data_offset, "a tensor offset"))
            return false;
        out_.file.tensors.push_back(std::move(tensor));
        return true;
    }

    ByteSpan bytes_;
    GgufParse& out_;
    uint64_t position_ = 0;
};

}  // namespace

std::optional<uint64_t> ggml_tensor_bytes(uint32_t type, const std::vector<uint64_t>& dims) {
    const GgmlTypeSize* traits = nullptr;
    for (const auto& candidate : kGgmlTypes) {
        if (candidate.type == type)
            traits = &candidate;
    }
    if (traits == nullptr)
        return std::nullopt;
    uint64_t elements = 1;
    for (const uint64_t extent : dims) {
        if (__builtin_mul_overflow(elements, extent, &elements))
            return std::nullopt;
    }
    // ggml stores rows of whole blocks.
    if (!dims.empty() && dims.front() % traits->block != 0)
        return std::nullopt;
    uint64_t bytes = 0;
    if (__builtin_mul_overflow(elements / traits->block, traits->bytes, &bytes))
        return std::nullopt;
    return bytes;
}

GgufParse parse_gguf(ByteSpan bytes) {
    GgufParse parse;
    parse.ok = GgufReader(bytes, parse).run();
    return parse;
}

bool GgufAnalyzer::accepts(const Blob&, Format sniffed) const {
    return sniffed == Format::gguf;
}

namespace {

bool is_chat_template_key(std::string_view key) {
    return key == "tokenizer.chat_template" || key.starts_with("tokenizer.chat_template.");
}

void check_templates(const Blob& blob, const GgufFile& file, ScanContext& context) {
    for (const auto& entry : file.entries) {
        if (entry.type != GgufType::string)
            continue;
        if (!is_chat_template_key(entry.key) && !looks_like_jinja_template(entry.text))
            continue;
        const auto escapes = find_template_escapes(entry.text);
        auto finding =
            template_escape_finding(escapes, fmt::format("GGUF metadata '{}'", entry.key),
                                    blob.location, entry.text_offset);
        if (finding)
            context.report(std::move(*finding));
    }
}

// The string metadata as "key: value" lines, for the analyzers that read
// text (credentials in a model card, a URL with a token).
void hand_back_metadata(const Blob& blob, const GgufFile& file, ScanContext& context) {
    std::string text;
    for (const auto& entry : file.entries) {
        if (entry.type == GgufType::string)
            text += fmt::format("{}: {}\n", entry.key, entry.text);
    }
    if (text.empty())
        return;
    Blob child;
    child.bytes = bytes_from(std::move(text));
    child.location = blob.location.child(LocationPart::Kind::embedded, "metadata");
    child.name = "metadata";
    child.depth = blob.depth + 1;
    context.scan(child);
}

void report_unparseable(const Blob& blob, std::string message, uint64_t offset,
                        ScanContext& context) {
    context.report(Finding::make(rules::kScanUnparseable, std::move(message), blob.location)
                       .at_offset(offset));
}

// llama.cpp refuses a file that repeats a metadata key or a tensor name;
// readers that accept one disagree on which copy counts. Every copy's
// template is checked regardless, but the file has no single meaning.
std::optional<std::pair<std::string, uint64_t>> first_repeat(const GgufFile& file) {
    std::set<std::string_view> keys;
    for (const auto& entry : file.entries) {
        if (!keys.insert(entry.key).second)
            return std::pair(fmt::format("metadata key '{}'", entry.key), entry.offset);
    }
    std::set<std::string_view> names;
    for (const auto& tensor : file.tensors) {
        if (!names.insert(tensor.name).second)
            return std::pair(fmt::format("tensor name '{}'", tensor.name), tensor.offset);
    }
    return std::nullopt;
}

// llama.cpp's gguf reader requires every tensor's data to start where the
// previous one ended, rounded up to the alignment; anything else is either
// refused or, in other readers, a way to overlap tensors or reach past the
// file. Bytes after the last tensor are read by nobody.
void check_tensor_data(const Blob& blob, const GgufFile& file, ScanContext& context) {
    const uint64_t size = blob.bytes.size();
    uint64_t expected = 0;
    std::vector<uint32_t> unknown_types;
    for (const auto& tensor : file.tensors) {
        const auto bytes = ggml_tensor_bytes(tensor.type, tensor.dims);
        if (!bytes) {
            unknown_types.push_back(tensor.type);
            continue;
        }
        if (tensor.data_offset != expected) {
            report_unparseable(
                blob,
                fmt::format("Tensor '{}' starts at data offset {}, but the tensors before it end "
                            "at {}; llama.cpp refuses such files and other readers may overlap "
                            "or skip data.",
                            tensor.name, tensor.data_offset, expected),
                tensor.offset, context);
            return;
        }
        const uint64_t end = file.data_start + tensor.data_offset + *bytes;
        if (end < file.data_start || end > size) {
            report_unparseable(
                blob,
                fmt::format("Tensor '{}' ({} bytes at data offset {}) runs past the end of the "
                            "file.",
                            tensor.name, *bytes, tensor.data_offset),
                tensor.offset, context);
            return;
        }
        expected =
            (tensor.data_offset + *bytes + file.alignment - 1) / file.alignment * file.alignment;
    }
    if (!unknown_types.empty()) {
        report_unparseable(blob,
                           fmt::format("{} tensor(s) use ggml types hazmat does not know (first: "
                                       "{}); where their data lies was not verified.",
                                       unknown_types.size(), unknown_types.front()),
                           file.data_start, context);
        return;
    }
    const uint64_t data_end = file.tensors.empty() ? file.data_start : file.data_start + expected;
    if (file.tensors.empty() || size <= data_end)
        return;
    context.report(
        Finding::make(rules::kDataOutsideStructure,
                      fmt::format("{} bytes follow the last tensor's data; GGUF readers never "
                                  "read them.",
                                  size - data_end),
                      blob.location)
            .at_offset(data_end));
    Blob tail;
    tail.bytes = blob.bytes.slice(data_end);
    tail.location = blob.location.child(LocationPart::Kind::embedded, "data after the tensors");
    tail.name = "data after the tensors";
    tail.depth = blob.depth + 1;
    context.scan(tail);
}

}  // namespace

void GgufAnalyzer::analyze(const Blob& blob, Format, ScanContext& context) const {
    context.count_format("gguf");
    const auto parsed = parse_gguf(blob.bytes.span());
    spdlog::debug("{}: GGUF v{}, {} metadata entries, {} tensors", blob.location.to_display(),
                  parsed.file.version, parsed.file.entries.size(), parsed.file.tensors.size());
    // What was read before an error is still examined: a loader that stops
    // at the same place may have used it.
    check_templates(blob, parsed.file, context);
    hand_back_metadata(blob, parsed.file, context);
    if (!parsed.ok) {
        report_unparseable(blob, fmt::format("GGUF header cannot be parsed: {}.", parsed.error),
                           parsed.error_offset, context);
        return;
    }
    if (const auto repeat = first_repeat(parsed.file)) {
        report_unparseable(blob,
                           fmt::format("The {} appears more than once; llama.cpp refuses the "
                                       "file and other readers disagree on which copy counts.",
                                       repeat->first),
                           repeat->second, context);
        return;
    }
    check_tensor_data(blob, parsed.file, context);
}

}  // namespace hazmat::models
