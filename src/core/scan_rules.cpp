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
};

}  // namespace

std::span<const RuleInfo> scan_rules() {
    return kScanRules;
}
std::span<const RuleInfo> model_rules() {
    return kModelRules;
}

}  // namespace hazmat
