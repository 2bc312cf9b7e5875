#include "core/rule_ids.hpp"
#include "core/rule_registry.hpp"

namespace hazmat {

namespace {

constexpr std::string_view kUnverifiedRemedy =
    "Treat the content as untrusted: do not load it until it has been verified another way. "
    "Raise the limit on the command line if the content is legitimately large, or lower this "
    "rule's severity in your own configuration if you accept the risk.";

const RuleInfo kScanRules[] = {
    {rules::kScanLimit, Severity::high, "Scan limit reached; content not fully verified",
     "hazmat stops examining content that exceeds a limit (nesting depth, member count, "
     "decompressed size, expansion ratio, pickle opcodes, stack or memo size, time). Whatever "
     "lies beyond the limit was not examined, so the file cannot be called clean. Bombs and "
     "pathological inputs are built to hit exactly these limits.",
     kUnverifiedRemedy, 400},
    {rules::kScanUnparseable, Severity::high, "Content is truncated or cannot be parsed",
     "The content looks like a known format but breaks its rules (truncated stream, bad "
     "header, invalid opcode). A loader may still act on the part before the break, and a "
     "scanner that gives up on malformed input is a classic bypass, so this is reported "
     "instead of skipped. Findings before the break are reported separately.",
     kUnverifiedRemedy, 20},
    {rules::kScanEncrypted, Severity::high, "Encrypted content cannot be examined",
     "An archive member or stream is encrypted. hazmat does not guess passwords, so its "
     "content is unknown.",
     "Obtain the content unencrypted from a trusted source, or do not use it.", 311},
    {rules::kScanUnknownModel, Severity::high,
     "File claims a model format but its content is not recognised",
     "The name says model or serialized object (.pt, .pkl, .bin, .joblib ...) but the bytes "
     "match no format hazmat can verify. Loaders decide by content, not by name, and renaming "
     "is a common way to slip a payload past scanners that trust extensions.",
     kUnverifiedRemedy, 434},
    {rules::kScanUnreadable, Severity::high, "File or directory cannot be read",
     "hazmat could not open or read part of the target (permissions, I/O error). Its content "
     "is unknown.",
     "Fix the permissions and scan again, or scan as a user who can read the whole target.",
     std::nullopt},
    {rules::kScanSymlinkOutside, Severity::high, "Symbolic link points outside the target",
     "A link inside the project resolves outside it (for example to ~/.ssh or /etc). hazmat "
     "does not follow it, and tools that do may read or overwrite files the project does not "
     "own when they copy, archive or execute it.",
     "Remove the link, or check what it points to before running anything from the project.", 59},
    {rules::kScanSpecialFile, Severity::high, "Special file (FIFO, device or socket) not examined",
     "The target contains a FIFO, device node or socket. Reading one can block forever or "
     "touch hardware, so hazmat does not, and its role in the project is unknown.",
     "Remove the special file; ordinary projects do not ship one.", 67},
    {rules::kScanInternalError, Severity::high, "Internal error while examining content",
     "hazmat failed while examining this content (out of memory or a bug). The content was "
     "not verified. Please report the input that triggers it.",
     kUnverifiedRemedy, std::nullopt},
};

const RuleInfo kModelRules[] = {
    {rules::kArchivePathEscape, Severity::high, "Archive member path escapes the archive",
     "An archive member name is absolute or climbs out with '..'. Extracting the archive with a "
     "naive extractor writes outside the destination directory (zip slip), which can overwrite "
     "shell start-up files, SSH keys or code that runs later.",
     "Do not extract the archive with tools that do not sanitize paths; ask the publisher for "
     "a clean archive.",
     22, "CVE-2018-1002200"},
    {rules::kArchiveLink, Severity::high, "Archive member is a link",
     "An archive member is a symbolic or hard link. Extracted, it can point later members or "
     "later readers at files outside the archive (for example a model cache entry linking to "
     "~/.ssh/id_rsa).",
     "Inspect where the link points before extracting; prefer archives without links.", 59,
     "CVE-2007-4559"},
    {rules::kZipAnomaly, Severity::medium, "Zip structure that readers interpret differently",
     "The zip has a property that strict and lenient readers disagree on: a CRC mismatch, "
     "local and central names that differ, duplicate member names, unusual flag bits, or data "
     "before or between entries. PyTorch's loader reads such archives anyway, and scanners "
     "that reject them report nothing; attackers use the disagreement to hide payloads. "
     "hazmat reads the archive the way the loader does and reports the anomaly.",
     "Treat the archive as crafted. Do not load it unless the publisher explains the anomaly.",
     436},
    {rules::kTorchScriptCode, Severity::info, "TorchScript archive contains code",
     "A TorchScript archive (torch.jit.save) carries Python-like source that torch.jit.load "
     "compiles and runs. The members listed in the evidence are that code.",
     "Read the listed code members before loading the archive with torch.jit.load.", 94},
    {rules::kNumpyObjectArray, Severity::info, "NumPy array stores Python objects",
     "The array's dtype holds Python objects, so its data is a pickle that "
     "numpy.load(..., allow_pickle=True) unpickles. hazmat examines that pickle separately; "
     "this finding records that loading the array needs allow_pickle=True, which also lets any "
     "other .npy or .npz loaded the same way run code.",
     "Load the array with allow_pickle=False where possible, or convert it to a numeric dtype "
     "and save it again.",
     502},
    {rules::kDataOutsideStructure, Severity::medium, "Data outside the format's structure",
     "The file holds bytes its format does not account for: data after a NumPy array, or "
     "content between the torch.save archives of a distributed checkpoint shard. The usual "
     "loader skips them or reads them only when an index points there; another loader, or a "
     "crafted index, may read them as code. hazmat examines those bytes as content of their "
     "own and reports that they are there.",
     "Ask the publisher why the file carries extra data; regenerate it with the framework's own "
     "save function.",
     506},
    {rules::kKerasLambda, Severity::critical, "Keras Lambda layer carries Python bytecode",
     "A Lambda layer (or another serialized lambda) stores marshalled Python bytecode in the "
     "model config. Keras unmarshals and runs it while loading: Keras before 2.13 always "
     "(CVE-2024-3660), Keras 3 when safe_mode is off or switched off by the file itself "
     "(CVE-2025-9906), and the HDF5 loader regardless of safe_mode (CVE-2025-9905). The "
     "evidence lists names found in the bytecode.",
     "Do not load the model. If you need it, rebuild the architecture in your own code and load "
     "only the weights.",
     94, "CVE-2024-3660, CVE-2025-9905, CVE-2025-9906"},
    {rules::kKerasForeignCallable, Severity::critical,
     "Keras config names a callable outside Keras",
     "Keras configs name every layer, function and object by module and name. Before Keras 3.9 "
     "the loader imported any module a config named and called or instantiated what it found "
     "there, even with safe_mode on (CVE-2025-1550); tf.keras looks Lambda functions up in any "
     "imported module. A config naming os, subprocess, builtins.eval or similar is a payload.",
     "Do not load the model. Keras 3.9 and later refuse such modules, but the file was built to "
     "run code.",
     94, "CVE-2025-1550"},
    {rules::kKerasGadget, Severity::high, "Keras config makes Keras download or load files",
     "The config makes Keras itself call one of its functions that act outside the model: "
     "keras.utils.get_file downloads and extracts a URL (CVE-2025-8747), load_model loads "
     "another model (possibly with safe_mode off), TFOpLambda layers call tf.io or "
     "tf.py_function. Keras 3 before 3.11 allows this even in safe mode.",
     "Do not load the model with Keras before 3.11; find out what the named files or URLs are.",
     829, "CVE-2025-8747"},
    {rules::kKerasUnsafeSwitch, Severity::critical, "Keras config turns safe mode off",
     "The config calls keras.config.enable_unsafe_deserialization (or sets the same global) or "
     "passes safe_mode=False to a loader it makes Keras call. Everything loaded after that "
     "point, Lambda bytecode and pickled modules included, runs without the protection the user "
     "asked for (CVE-2025-9906).",
     "Do not load the model; no legitimate model needs to switch its own loader's safety off.", 693,
     "CVE-2025-9906"},
    {rules::kKerasTorchModule, Severity::high, "Keras TorchModuleWrapper carries a pickle",
     "A TorchModuleWrapper layer stores a whole PyTorch module as torch.save bytes, which Keras "
     "passes to torch.load(weights_only=False) when the model is loaded without safe mode: a "
     "pickle that can run any code. hazmat examines the embedded bytes as a PyTorch file; "
     "findings inside them are reported separately.",
     "Load the model only with safe_mode on, or rebuild the wrapped module in your own code.", 502},
    {rules::kKerasSavedModelLayer, Severity::high, "Keras TFSMLayer loads an outside SavedModel",
     "A TFSMLayer loads a TensorFlow SavedModel from a path in the config when the model is "
     "built and runs its graph on every call. Keras 3.13 does so even in safe mode "
     "(CVE-2026-1462), and the SavedModel it names is not part of the scanned file.",
     "Check the path the evidence names; scan that SavedModel too, or do not load the model.", 829,
     "CVE-2026-1462"},
    {rules::kKerasCustomObject, Severity::low, "Keras config needs custom code",
     "The config names classes Keras does not define. Loading works only after the user's "
     "code registers them (custom_objects, register_keras_serializable); when the config also "
     "names their module, Keras before 3.9 imports it, running its top-level code. That code "
     "usually comes with the project and is what to review.",
     "Review the module that defines the named classes before loading the model.", 829},
    {rules::kGraphPythonOp, Severity::high, "TensorFlow graph calls Python",
     "The graph contains PyFunc, PyFuncStateless or EagerPyFunc ops (tf.py_function, "
     "tf.numpy_function), which call a Python function when the graph runs. The function itself "
     "is not in the file: the loading program must provide it, so a model that needs it also "
     "needs code from its publisher.",
     "Find the Python code the model expects and review it; prefer models without Python ops.", 94},
    {rules::kGraphFileOp, Severity::medium, "TensorFlow graph reads or writes files",
     "The graph contains ops that read files (ReadFile, MatchingFiles, dataset readers), write "
     "them (WriteFile, dataset snapshots and exports, summary writers) or map them into memory. "
     "A SavedModel is a program: these ops run whenever the model does and can read secrets or "
     "plant files. Checkpoint save and restore ops, which every SavedModel has, are not "
     "reported.",
     "Check which paths the ops use (the evidence lists the nodes) before serving the model.", 73},
    {rules::kGraphOutputOp, Severity::medium, "TensorFlow graph prints or sends data out",
     "The graph contains ops that copy tensors out of the model: Print and PrintV2 (to standard "
     "error, a log or a file:// stream), debug ops with debug URLs (grpc:// sends tensors over "
     "the network), tf.data service and RPC ops that connect to other machines. Inputs to a "
     "served model can leak this way.",
     "Review where the ops send data; strip debug and print ops from models you serve.", 200},
    {rules::kOnnxExternalDataEscape, Severity::high,
     "ONNX external data points outside the model directory",
     "ONNX tensors can keep their bytes in other files, named by external_data location. A "
     "location that is absolute, climbs out with '..' or passes through a symbolic link makes "
     "onnx.load and ONNX Runtime read any file the user can read (SSH keys, credentials) into "
     "the model, where a served model may return it (CVE-2022-25882, CVE-2024-27318, "
     "CVE-2026-27489).",
     "Do not load the model; keep external data files next to the model and refer to them by "
     "plain relative names.",
     22, "CVE-2022-25882, CVE-2024-27318, CVE-2026-27489"},
    {rules::kOnnxCustomDomain, Severity::info, "ONNX model uses custom operators",
     "Nodes use operator domains that neither ONNX nor ONNX Runtime defines. Running the model "
     "needs a custom-op library registered by the user, native code that comes from the "
     "publisher; the evidence lists the domains and op types.",
     "Find and review the custom-op library before registering it.", 829},
    {rules::kTensorSizeMismatch, Severity::medium, "Tensor data disagrees with its declared shape",
     "A tensor declares a shape and element type whose size differs from the data it carries "
     "(raw_data, typed values or an external data length). Loaders either reject the model or "
     "read past or short of the data; a crafted size is a way to make readers disagree about "
     "what the file contains.",
     "Treat the file as crafted or corrupt; obtain it again from the publisher.", 130},
    {rules::kTemplateInjection, Severity::critical, "Jinja template escapes to Python",
     "A Jinja template in model metadata (a GGUF chat template, safetensors metadata, a "
     "tokenizer config) uses constructs that only serve to break out of templating: dunder "
     "attributes (__globals__, __builtins__, __subclasses__), traversal of the lipsum, cycler "
     "or joiner globals, the attr() filter, or names hidden with escapes and chr(). Servers "
     "that render templates without Jinja's sandbox run the resulting Python code "
     "(llama-cpp-python before 0.2.72, CVE-2024-34359; SGLang, CVE-2026-5760). Only the inside "
     "of {{ }} and {% %} is examined.",
     "Do not serve the model with this template; replace the template with a known-good one.", 1336,
     "CVE-2024-34359, CVE-2026-5760"},
    {rules::kTorchScriptCustomOp, Severity::medium, "TorchScript code calls custom operators",
     "The TorchScript code calls operators in a namespace PyTorch does not register. "
     "torch.jit.load only succeeds after a native library (torch.ops.load_library) has "
     "registered them, so using the model means running native code its publisher provides.",
     "Find the operator library the model needs and review it before loading it.", 829},
    {rules::kRemoteCode, Severity::medium, "Hugging Face config runs custom code",
     "The repository's config maps model, tokenizer or pipeline classes to Python modules "
     "(auto_map, custom_pipelines). transformers imports those modules, and every module they "
     "import relatively, when the user passes trust_remote_code=True. The evidence lists the "
     "classes and files. Code referenced from another repository ('org/repo--module') or "
     "missing here is downloaded at load time and was not reviewed.",
     "Review the listed files before using trust_remote_code=True, and pin the revision you "
     "reviewed.",
     94},
};

}  // namespace

std::span<const RuleInfo> scan_rules() {
    return kScanRules;
}
std::span<const RuleInfo> model_rules() {
    return kModelRules;
}

}  // namespace hazmat
