#include "core/blob.hpp"

#include <algorithm>
#include <array>

namespace hazmat {

std::string extension_of(std::string_view name) {
    const auto slash = name.find_last_of('/');
    if (slash != std::string_view::npos)
        name.remove_prefix(slash + 1);
    const auto dot = name.find_last_of('.');
    if (dot == std::string_view::npos || dot == 0)
        return {};
    std::string ext(name.substr(dot));
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext;
}

bool name_claims_model(std::string_view name) {
    // Extensions under which frameworks save objects that may run code when
    // loaded, and the archive and compression formats models travel in.
    // Formats hazmat parses fully are still listed: if the content does not
    // match what the name claims, that mismatch needs a look (a "zip" that
    // no reader opens would otherwise pass unexamined).
    static constexpr std::array<std::string_view, 33> kModelExtensions = {
        ".pkl",  ".pickle", ".pt",   ".pth",  ".bin",    ".ckpt",        ".joblib",
        ".npy",  ".npz",    ".dill", ".sav",  ".distcp", ".safetensors", ".h5",
        ".hdf5", ".keras",  ".onnx", ".gguf", ".ggml",   ".pb",          ".tflite",
        ".mar",  ".nemo",   ".zip",  ".tar",  ".tgz",    ".gz",          ".bz2",
        ".xz",   ".zst",    ".lz4",  ".7z",   ".lzma",
    };
    const auto ext = extension_of(name);
    return std::find(kModelExtensions.begin(), kModelExtensions.end(), ext) !=
           kModelExtensions.end();
}

}  // namespace hazmat
