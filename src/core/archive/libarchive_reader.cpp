#include "core/archive/libarchive_reader.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <memory>

#include "core/archive/expansion.hpp"
#include "core/archive/member_checks.hpp"
#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"

namespace hazmat {

namespace {

struct ArchiveFree {
    void operator()(archive* handle) const { archive_read_free(handle); }
};
using ArchiveHandle = std::unique_ptr<archive, ArchiveFree>;

std::string_view format_name(LibarchiveFormat format) {
    switch (format) {
        case LibarchiveFormat::tar:
            return "tar";
        case LibarchiveFormat::sevenzip:
            return "7z";
        case LibarchiveFormat::zip_local_headers:
            return "zip";
    }
    return "archive";
}

ArchiveHandle open_reader(LibarchiveFormat format, ByteSpan bytes, std::string& error) {
    ArchiveHandle handle(archive_read_new());
    if (!handle) {
        error = "archive_read_new failed";
        return nullptr;
    }
    // Only the container format: compression layers around it were already
    // peeled off by hazmat's own decoders, under its budget.
    switch (format) {
        case LibarchiveFormat::tar:
            archive_read_support_format_tar(handle.get());
            break;
        case LibarchiveFormat::sevenzip:
            archive_read_support_format_7zip(handle.get());
            break;
        case LibarchiveFormat::zip_local_headers:
            archive_read_support_format_zip_streamable(handle.get());
            break;
    }
    if (archive_read_open_memory(handle.get(), bytes.data(), bytes.size()) != ARCHIVE_OK) {
        const char* message = archive_error_string(handle.get());
        error = message != nullptr ? message : "archive_read_open_memory failed";
        return nullptr;
    }
    return handle;
}

std::string error_text(archive* handle) {
    const char* message = archive_error_string(handle);
    return message != nullptr ? message : "the archive ends where another header was expected";
}

std::string member_name(archive_entry* entry, uint64_t index) {
    if (const char* name = archive_entry_pathname(entry))
        return name;
    if (const char* name = archive_entry_pathname_utf8(entry))
        return name;
    return fmt::format("<member {} without a readable name>", index);
}

// The member's data. libarchive usually returns tar and stored 7z data as
// pointers into the mapped archive itself; while the blocks are contiguous
// in it, the member is a view sharing the archive's mapping (a multi-GB
// tensor file inside a tar costs no copy). The first block that is not
// (decompressed 7z data, sparse files) switches to collecting a copy.
class MemberReader {
  public:
    MemberReader(const Bytes& archive_bytes, ScanContext& context, const Location& where)
        : archive_(archive_bytes), output_(context, where) {}

    // Reads all blocks; returns the libarchive error text if reading broke.
    std::optional<std::string> read(archive* handle) {
        for (;;) {
            const void* block = nullptr;
            size_t size = 0;
            la_int64_t offset = 0;
            const int rc = archive_read_data_block(handle, &block, &size, &offset);
            if (rc == ARCHIVE_EOF)
                return std::nullopt;
            if (rc < ARCHIVE_WARN)
                return error_text(handle);
            if (!accept(static_cast<const uint8_t*>(block), size, static_cast<uint64_t>(offset)))
                return std::nullopt;
        }
    }

    bool limit_reached() const { return output_.limit_reached(); }
    const std::optional<std::string>& spill_error() const { return output_.spill_error(); }

    Result<Bytes> finish() {
        if (in_place_)
            return archive_.slice(view_start_, view_length_);
        return output_.finish();
    }

  private:
    bool accept(const uint8_t* block, size_t size, uint64_t offset) {
        if (in_place_ && continues_view(block, size, offset)) {
            if (view_length_ == 0)
                view_start_ = static_cast<size_t>(block - archive_.data());
            view_length_ += size;
            return true;
        }
        if (in_place_) {
            in_place_ = false;
            const auto viewed = archive_.slice(view_start_, view_length_);
            if (!output_.append(viewed.span(), std::nullopt))
                return false;
        }
        if (offset > output_.size() && !output_.append_zeros(offset - output_.size()))
            return false;
        // LIMITATION: libarchive does not say how many compressed bytes
        // produced a 7z member, so only the file's aggregate ratio and total
        // apply to it, not the per-layer ratio.
        return output_.append(ByteSpan(block, size), std::nullopt);
    }

    bool continues_view(const uint8_t* block, size_t size, uint64_t offset) const {
        const uint8_t* begin = archive_.data();
        const uint8_t* end = begin + archive_.size();
        if (block < begin || block > end || size > static_cast<size_t>(end - block))
            return false;
        if (offset != view_length_)
            return false;
        return view_length_ == 0 || block == begin + view_start_ + view_length_;
    }

    const Bytes& archive_;
    BoundedOutput output_;
    bool in_place_ = true;
    size_t view_start_ = 0;
    size_t view_length_ = 0;
};

void report_unparseable(const Location& where, std::string message, ScanContext& context) {
    context.report(Finding::make(rules::kScanUnparseable, std::move(message), where));
}

// A member that is not a regular file: reported for what it is, never read.
bool handle_special_member(archive_entry* entry, const std::string& name, const Location& where,
                           ScanContext& context) {
    if (const char* target = archive_entry_hardlink(entry)) {
        report_link_member(LinkKind::hard, target, where, context);
        return true;
    }
    const auto type = archive_entry_filetype(entry);
    if (type == AE_IFLNK) {
        const char* target = archive_entry_symlink(entry);
        report_link_member(LinkKind::symbolic, target != nullptr ? target : "", where, context);
        return true;
    }
    if (type == AE_IFDIR)
        return true;
    if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFIFO || type == AE_IFSOCK) {
        context.report(Finding::make(
            rules::kScanSpecialFile,
            fmt::format("Member '{}' is a device, FIFO or socket; extracting it creates one.",
                        name),
            where));
        return true;
    }
    return false;
}

// Returns false when the member's data broke off: the archive cannot go on.
bool scan_member(const Blob& blob, archive* handle, const std::string& name, const Location& where,
                 ScanContext& context) {
    MemberReader reader(blob.bytes, context, where);
    const auto read_error = reader.read(handle);
    if (read_error)
        report_unparseable(where,
                           fmt::format("Member '{}' could not be read to its end: {}. The part "
                                       "before the break was examined.",
                                       name, *read_error),
                           context);
    if (reader.spill_error())
        context.report(Finding::make(rules::kScanInternalError, *reader.spill_error(), where));
    auto bytes = reader.finish();
    if (!bytes) {
        context.report(Finding::make(rules::kScanInternalError, bytes.error().message, where));
        return !read_error;
    }
    Blob child;
    child.bytes = std::move(bytes).value();
    child.location = where;
    child.name = name;
    child.depth = blob.depth + 1;
    context.scan(child);
    return !read_error;
}

// A break at a header. In a zip read from its local headers because the
// directory is missing, running out of input where the directory should be
// is the damage already reported, not a second one.
void report_header_break(const Blob& blob, LibarchiveFormat format, archive* handle,
                         uint64_t members_read, ScanContext& context) {
    const char* message = archive_error_string(handle);
    if (format == LibarchiveFormat::zip_local_headers && message == nullptr)
        return;
    // An archive whose headers are encrypted (7z -mhe) fails before its first member.
    const bool encrypted = members_read == 0 && archive_read_has_encrypted_entries(handle) > 0;
    context.report(Finding::make(
        encrypted ? rules::kScanEncrypted : rules::kScanUnparseable,
        fmt::format("The {} archive breaks after {} members: {}. Members before the break were "
                    "examined.",
                    format_name(format), members_read, error_text(handle)),
        blob.location));
}

}  // namespace

void scan_with_libarchive(const Blob& blob, LibarchiveFormat format, ScanContext& context) {
    std::string open_error;
    const auto handle = open_reader(format, blob.bytes.span(), open_error);
    if (!handle) {
        report_unparseable(
            blob.location,
            fmt::format("The {} archive could not be opened: {}", format_name(format), open_error),
            context);
        return;
    }

    for (uint64_t index = 0;; ++index) {
        archive_entry* entry = nullptr;
        const int rc = archive_read_next_header(handle.get(), &entry);
        if (rc == ARCHIVE_EOF)
            break;
        if (rc < ARCHIVE_WARN) {
            report_header_break(blob, format, handle.get(), index, context);
            break;
        }
        const std::string name = member_name(entry, index);
        const Location where = blob.location.child(LocationPart::Kind::member, name);
        if (!context.charge_member(where) || context.expired(where))
            break;
        check_member_name(name, where, context);
        if (handle_special_member(entry, name, where, context))
            continue;
        if (archive_entry_is_encrypted(entry)) {
            context.report(Finding::make(
                rules::kScanEncrypted,
                fmt::format("Member '{}' is encrypted; its content was not examined.", name),
                where));
            continue;
        }
        if (!scan_member(blob, handle.get(), name, where, context))
            break;
        if (context.expansion_exhausted())
            break;
    }
}

}  // namespace hazmat
