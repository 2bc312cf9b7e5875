#include "scan/models/keras_h5.hpp"

#include <fmt/format.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <mutex>

#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"
#include "scan/models/keras_config.hpp"

namespace hazmat::models {

namespace {

constexpr std::string_view kSignature = "\x89HDF\r\n\x1a\n";
// A config attribute larger than this is not something Keras writes.
constexpr size_t kMaxAttributeBytes = 256u << 20;

std::mutex& hdf5_mutex() {
    static std::mutex mutex;
    return mutex;
}

// Closes an HDF5 identifier with the matching H5*close call.
class Handle {
  public:
    Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
    ~Handle() {
        if (id_ >= 0)
            close_(id_);
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    hid_t get() const { return id_; }
    bool valid() const { return id_ >= 0; }

  private:
    hid_t id_;
    herr_t (*close_)(hid_t);
};

// Reads a scalar (or one-element) string attribute, fixed or variable length.
Result<std::optional<std::string>> read_string_attribute(hid_t file, const char* name) {
    const htri_t exists = H5Aexists(file, name);
    if (exists < 0)
        return Error{fmt::format("cannot look up attribute '{}'", name)};
    if (exists == 0)
        return std::optional<std::string>();
    const Handle attribute(H5Aopen(file, name, H5P_DEFAULT), H5Aclose);
    if (!attribute.valid())
        return Error{fmt::format("cannot open attribute '{}'", name)};
    const Handle type(H5Aget_type(attribute.get()), H5Tclose);
    const Handle space(H5Aget_space(attribute.get()), H5Sclose);
    if (!type.valid() || !space.valid())
        return Error{fmt::format("cannot read the type of attribute '{}'", name)};
    if (H5Tget_class(type.get()) != H5T_STRING)
        return Error{fmt::format("attribute '{}' is not a string", name)};
    if (H5Sget_simple_extent_npoints(space.get()) != 1)
        return Error{fmt::format("attribute '{}' is not a single string", name)};

    const htri_t variable = H5Tis_variable_str(type.get());
    if (variable < 0)
        return Error{fmt::format("cannot read the type of attribute '{}'", name)};
    if (variable > 0) {
        const Handle memory_type(H5Tcopy(H5T_C_S1), H5Tclose);
        if (!memory_type.valid() || H5Tset_size(memory_type.get(), H5T_VARIABLE) < 0 ||
            H5Tset_cset(memory_type.get(), H5Tget_cset(type.get())) < 0)
            return Error{"cannot create a string type"};
        char* text = nullptr;
        if (H5Aread(attribute.get(), memory_type.get(), &text) < 0 || text == nullptr)
            return Error{fmt::format("cannot read attribute '{}'", name)};
        std::string value(text);
        H5free_memory(text);
        return std::optional<std::string>(std::move(value));
    }
    const size_t size = H5Tget_size(type.get());
    if (size == 0 || size > kMaxAttributeBytes)
        return Error{fmt::format("attribute '{}' declares {} bytes", name, size)};
    std::string value(size, '\0');
    if (H5Aread(attribute.get(), type.get(), value.data()) < 0)
        return Error{fmt::format("cannot read attribute '{}'", name)};
    // Fixed-length strings are NUL- or space-padded.
    value.resize(std::strlen(value.c_str()));
    return std::optional<std::string>(std::move(value));
}

Result<KerasH5Attributes> read_attributes(hid_t file) {
    KerasH5Attributes attributes;
    auto model_config = read_string_attribute(file, "model_config");
    if (!model_config)
        return model_config.error();
    attributes.model_config = std::move(*model_config);
    auto training_config = read_string_attribute(file, "training_config");
    if (!training_config)
        return training_config.error();
    attributes.training_config = std::move(*training_config);
    // Informational only: a malformed version string does not stop the scan.
    if (auto version = read_string_attribute(file, "keras_version"); version && *version)
        attributes.keras_version = **version;
    if (auto backend = read_string_attribute(file, "backend"); backend && *backend)
        attributes.backend = **backend;
    return attributes;
}

}  // namespace

bool has_hdf5_signature(ByteSpan bytes) {
    for (uint64_t offset = 0; offset + kSignature.size() <= bytes.size();
         offset = offset == 0 ? 512 : offset * 2) {
        if (std::memcmp(bytes.data() + offset, kSignature.data(), kSignature.size()) == 0)
            return true;
    }
    return false;
}

Result<KerasH5Attributes> read_keras_h5_attributes(ByteSpan bytes) {
    const std::lock_guard lock(hdf5_mutex());
    // libhdf5 prints its error stack to stderr by default; analyzers never print.
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    // DONT_COPY | DONT_RELEASE: libhdf5 reads the mapped bytes in place and
    // never frees them; without OPEN_RW the image is opened read-only, so
    // the const_cast below never leads to a write.
    const Handle file(H5LTopen_file_image(const_cast<uint8_t*>(bytes.data()), bytes.size(),
                                          H5LT_FILE_IMAGE_DONT_COPY | H5LT_FILE_IMAGE_DONT_RELEASE),
                      H5Fclose);
    if (!file.valid())
        return Error{"libhdf5 cannot open the file"};
    return read_attributes(file.get());
}

bool KerasH5Analyzer::accepts(const Blob& blob, Format sniffed) const {
    if (sniffed == Format::hdf5)
        return true;
    return sniffed == Format::unknown && has_hdf5_signature(blob.bytes.span());
}

void KerasH5Analyzer::analyze(const Blob& blob, Format, ScanContext& context) const {
    const auto attributes = read_keras_h5_attributes(blob.bytes.span());
    if (!attributes) {
        context.count_format("hdf5");
        context.report(Finding::make(rules::kScanUnparseable,
                                     fmt::format("HDF5 file cannot be read: {}. A Keras model "
                                                 "config in it was not verified.",
                                                 attributes.error().message),
                                     blob.location));
        return;
    }
    if (!attributes->model_config && !attributes->training_config) {
        context.count_format("hdf5");
        return;
    }
    context.count_format("keras-h5");
    spdlog::debug("{}: Keras HDF5 model, version '{}', backend '{}'", blob.location.to_display(),
                  attributes->keras_version, attributes->backend);
    for (const auto& [name, text] : {std::pair{"model_config", &attributes->model_config},
                                     std::pair{"training_config", &attributes->training_config}}) {
        if (!*text)
            continue;
        const auto where =
            blob.location.child(LocationPart::Kind::embedded, fmt::format("attribute {}", name));
        analyze_keras_config_text(**text, KerasConfigOrigin::legacy_h5, blob, where,
                                  attributes->keras_version, context);
        // The configs are the only text in the file; hand them back for the
        // analyzers that read text.
        Blob child;
        child.bytes = bytes_from(std::string(**text));
        child.location = where;
        child.name = name;
        child.depth = blob.depth + 1;
        context.scan(child);
    }
}

}  // namespace hazmat::models
