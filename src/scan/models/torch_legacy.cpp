#include "scan/models/torch_legacy.hpp"

#include <fmt/format.h>

#include <cstring>
#include <string_view>

#include "core/finding.hpp"
#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"
#include "scan/models/pickle_extent.hpp"

namespace hazmat::models {

namespace {

// torch.serialization.MAGIC_NUMBER (0x1950a86a20f9469cfc6c) as LONG1 bytes.
constexpr std::string_view kMagicLong1 = "\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.";
// The same number as protocols 0 and 1 write it.
constexpr std::string_view kMagicText = "L119547037146038801333356L\n.";

bool starts_with(ByteSpan bytes, size_t offset, std::string_view expected) {
    return bytes.size() >= offset + expected.size() &&
           std::memcmp(bytes.data() + offset, expected.data(), expected.size()) == 0;
}

uint64_t read_le(ByteSpan bytes, size_t offset, size_t width) {
    uint64_t value = 0;
    for (size_t i = 0; i < width; ++i)
        value |= static_cast<uint64_t>(bytes[offset + i]) << (8 * i);
    return value;
}

// A cursor over consecutive pickles and raw records.
class RecordReader {
  public:
    explicit RecordReader(ByteSpan bytes) : bytes_(bytes) {}

    uint64_t position() const { return pos_; }
    uint64_t remaining() const { return bytes_.size() - pos_; }
    const std::vector<PickleSegment>& pickles() const { return pickles_; }

    // Measures the pickle at the cursor, records it and moves past it.
    std::optional<PickleExtent> next_pickle(const char* what) {
        const auto measured = measure_pickle(bytes_.subspan(pos_));
        if (!measured.ok) {
            fail(fmt::format("{} at byte {}: {}", what, pos_, measured.error),
                 pos_ + measured.error_offset, pos_);
            return std::nullopt;
        }
        pickles_.push_back({pos_, measured.extent.end});
        pos_ += measured.extent.end;
        return measured.extent;
    }

    std::optional<int64_t> next_count(const char* what) {
        const auto extent = next_pickle(what);
        if (!extent)
            return std::nullopt;
        if (!extent->integer || *extent->integer < 0) {
            fail(fmt::format("{} at byte {} is not a non-negative integer literal", what,
                             pickles_.back().offset),
                 pickles_.back().offset);
            return std::nullopt;
        }
        return extent->integer;
    }

    std::optional<uint64_t> read_integer(size_t width, const char* what) {
        if (remaining() < width) {
            fail(fmt::format("truncated {} at byte {}", what, pos_), bytes_.size());
            return std::nullopt;
        }
        const uint64_t value = read_le(bytes_, pos_, width);
        pos_ += width;
        return value;
    }

    bool skip(uint64_t length, const char* what) {
        if (length > remaining()) {
            fail(fmt::format("{} of {} bytes at byte {} runs past the end ({} bytes left)", what,
                             length, pos_, remaining()),
                 bytes_.size());
            return false;
        }
        pos_ += length;
        return true;
    }

    void fail(std::string message, uint64_t offset,
              std::optional<uint64_t> unparsed_pickle = std::nullopt) {
        broken_ = LayoutBreak{std::move(message), offset, unparsed_pickle};
    }

    const std::optional<LayoutBreak>& broken() const { return broken_; }

  private:
    ByteSpan bytes_;
    uint64_t pos_ = 0;
    std::vector<PickleSegment> pickles_;
    std::optional<LayoutBreak> broken_;
};

// Element size of a legacy typed storage class, by class name.
std::optional<uint64_t> storage_element_size(std::string_view qualified_name) {
    const auto dot = qualified_name.rfind('.');
    const auto name =
        dot == std::string_view::npos ? qualified_name : qualified_name.substr(dot + 1);
    struct Entry {
        std::string_view name;
        uint64_t size;
    };
    static constexpr Entry kSizes[] = {
        {"DoubleStorage", 8},   {"FloatStorage", 4},          {"HalfStorage", 2},
        {"BFloat16Storage", 2}, {"LongStorage", 8},           {"IntStorage", 4},
        {"ShortStorage", 2},    {"CharStorage", 1},           {"ByteStorage", 1},
        {"BoolStorage", 1},     {"ComplexDoubleStorage", 16}, {"ComplexFloatStorage", 8},
        {"QUInt8Storage", 1},   {"QInt8Storage", 1},          {"QInt32Storage", 4},
        {"QUInt4x2Storage", 1}, {"QUInt2x4Storage", 1},
    };
    for (const auto& entry : kSizes) {
        if (entry.name == name)
            return entry.size;
    }
    return std::nullopt;
}

// The storage type named by a (key, location, storage type) pickle. Exactly
// one class whose name ends in "Storage" must appear; anything else leaves the
// record size unknown, and guessing it would let a crafted file steer hazmat
// past a pickle torch reads.
std::optional<uint64_t> element_size_of(const PickleExtent& args, std::string& error) {
    std::optional<uint64_t> size;
    for (const auto& name : args.globals) {
        if (!name.ends_with("Storage"))
            continue;
        const auto found = storage_element_size(name);
        if (!found) {
            error = fmt::format("unknown storage type {}", name);
            return std::nullopt;
        }
        if (size) {
            error = "more than one storage type in one record";
            return std::nullopt;
        }
        size = found;
    }
    if (!size)
        error = args.unresolved_globals > 0 ? "the storage type is computed, not named"
                                            : "no storage type in the record";
    return size;
}

}  // namespace

bool is_torch_legacy_checkpoint(ByteSpan bytes) {
    if (starts_with(bytes, 0, kMagicText))
        return true;
    if (bytes.size() < 2 || bytes[0] != 0x80)
        return false;
    if (starts_with(bytes, 2, kMagicLong1))
        return true;
    // Protocol 4 and later wrap the number in a FRAME.
    return bytes.size() > 2 && bytes[2] == 0x95 && starts_with(bytes, 11, kMagicLong1);
}

LegacyLayout split_torch_legacy(ByteSpan bytes) {
    static constexpr const char* kNames[] = {"magic number pickle", "protocol version pickle",
                                             "system info pickle", "object pickle",
                                             "storage key pickle"};
    RecordReader reader(bytes);
    for (const char* name : kNames) {
        if (!reader.next_pickle(name))
            break;
    }
    return {reader.pickles(), reader.position(), reader.broken()};
}

TarRecordLayout split_torch_tar_storages(ByteSpan bytes) {
    RecordReader reader(bytes);
    const auto count = reader.next_count("storage count pickle");
    for (int64_t i = 0; count && i < *count; ++i) {
        const auto args = reader.next_pickle("storage record pickle");
        if (!args)
            break;
        std::string error;
        const auto element_size = element_size_of(*args, error);
        if (!element_size) {
            reader.fail(fmt::format("storage record pickle at byte {}: {}",
                                    reader.pickles().back().offset, error),
                        reader.pickles().back().offset);
            break;
        }
        const auto elements = reader.read_integer(8, "storage element count");
        if (!elements)
            break;
        uint64_t length = 0;
        if (*elements >> 63 || __builtin_mul_overflow(*elements, *element_size, &length)) {
            reader.fail(fmt::format("storage element count {} at byte {} is not a size",
                                    static_cast<int64_t>(*elements), reader.position() - 8),
                        reader.position() - 8);
            break;
        }
        if (!reader.skip(length, "storage data"))
            break;
    }
    if (count && !reader.broken())
        reader.next_pickle("storage view pickle");
    return {reader.pickles(), reader.position(), reader.broken()};
}

TarRecordLayout split_torch_tar_tensors(ByteSpan bytes) {
    RecordReader reader(bytes);
    const auto count = reader.next_count("tensor count pickle");
    for (int64_t i = 0; count && i < *count; ++i) {
        if (!reader.next_pickle("tensor record pickle"))
            break;
        const auto dimensions = reader.read_integer(4, "tensor dimension count");
        if (!dimensions)
            break;
        if (*dimensions & 0x80000000u) {
            reader.fail(
                fmt::format("negative tensor dimension count at byte {}", reader.position() - 4),
                reader.position() - 4);
            break;
        }
        // 4 unused bytes, sizes and strides (8 bytes per dimension each), offset.
        if (!reader.skip(4 + 16 * *dimensions + 8, "tensor geometry"))
            break;
    }
    return {reader.pickles(), reader.position(), reader.broken()};
}

std::optional<TorchTarRecord> torch_tar_record_kind(const Blob& blob) {
    if (blob.location.chain.empty() || blob.bytes.empty())
        return std::nullopt;
    const auto& last = blob.location.chain.back();
    if (last.kind != LocationPart::Kind::member)
        return std::nullopt;
    // A pickle starts with PROTO (protocol 2 and later) or, in protocols 0
    // and 1, directly with the count's integer opcode.
    const uint8_t first = blob.bytes.data()[0];
    if (std::string_view("\x80KMJIL\x8a").find(static_cast<char>(first)) == std::string_view::npos)
        return std::nullopt;
    if (last.name == "storages")
        return TorchTarRecord::storages;
    if (last.name == "tensors")
        return TorchTarRecord::tensors;
    return std::nullopt;
}

bool torch_legacy_splits_pickles(const Blob& blob, Format sniffed) {
    if (sniffed == Format::pickle)
        return false;
    return is_torch_legacy_checkpoint(blob.bytes.span()) || torch_tar_record_kind(blob);
}

namespace {

Blob pickle_child(const Blob& parent, uint64_t offset, uint64_t length, size_t number) {
    Blob child;
    child.bytes = parent.bytes.slice(offset, length);
    child.name = fmt::format("pickle {}", number);
    child.location = parent.location.child(LocationPart::Kind::stream, child.name);
    child.depth = parent.depth + 1;
    return child;
}

// Dispatches each pickle, then reports a broken layout. A pickle cut by the
// break is still handed over from its start: torch unpickles it up to there.
void dispatch_pickles(const Blob& blob, const std::vector<PickleSegment>& pickles,
                      const std::optional<LayoutBreak>& broken, std::string_view format,
                      ScanContext& context) {
    size_t number = 0;
    for (const auto& segment : pickles)
        context.scan(pickle_child(blob, segment.offset, segment.length, ++number), Format::pickle);
    if (!broken)
        return;
    context.report(Finding::make(rules::kScanUnparseable,
                                 fmt::format("{} layout is broken: {}.", format, broken->message),
                                 blob.location)
                       .at_offset(broken->offset));
    if (broken->unparsed_pickle_offset)
        context.scan(pickle_child(blob, *broken->unparsed_pickle_offset, UINT64_MAX, ++number),
                     Format::pickle);
}

}  // namespace

bool TorchLegacyAnalyzer::accepts(const Blob& blob, Format sniffed) const {
    return sniffed != Format::pickle && is_torch_legacy_checkpoint(blob.bytes.span());
}

void TorchLegacyAnalyzer::analyze(const Blob& blob, Format, ScanContext& context) const {
    context.count_format("pytorch-legacy");
    // LIMITATION: the raw storage data after the fifth pickle is not checked
    // against the storage sizes (they live in the object pickle's persistent
    // ids), so bytes appended after it are neither reported nor examined.
    // torch.load never unpickles that region.
    const auto layout = split_torch_legacy(blob.bytes.span());
    dispatch_pickles(blob, layout.pickles, layout.broken, "Legacy PyTorch checkpoint", context);
}

bool TorchTarRecordAnalyzer::accepts(const Blob& blob, Format sniffed) const {
    return sniffed != Format::pickle && torch_tar_record_kind(blob).has_value();
}

void TorchTarRecordAnalyzer::analyze(const Blob& blob, Format, ScanContext& context) const {
    const auto kind = *torch_tar_record_kind(blob);
    if (kind == TorchTarRecord::storages)
        context.count_format("pytorch-tar");
    const auto layout = kind == TorchTarRecord::storages
                            ? split_torch_tar_storages(blob.bytes.span())
                            : split_torch_tar_tensors(blob.bytes.span());
    const auto* record = kind == TorchTarRecord::storages ? "PyTorch tar 'storages' record"
                                                          : "PyTorch tar 'tensors' record";
    dispatch_pickles(blob, layout.pickles, layout.broken, record, context);
    if (layout.broken || layout.end >= blob.bytes.size())
        return;

    // torch reads exactly the records it counted; anything after them is
    // never read by it, and is examined here as content of its own.
    const uint64_t extra = blob.bytes.size() - layout.end;
    context.report(Finding::make(rules::kDataOutsideStructure,
                                 fmt::format("{} bytes follow the last record torch reads.", extra),
                                 blob.location)
                       .at_offset(layout.end));
    Blob tail;
    tail.bytes = blob.bytes.slice(layout.end);
    tail.name = "data after the records";
    tail.location = blob.location.child(LocationPart::Kind::embedded, tail.name);
    tail.depth = blob.depth + 1;
    context.scan(tail);
}

}  // namespace hazmat::models
