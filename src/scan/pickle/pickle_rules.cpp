#include "core/rule_registry.hpp"
#include "scan/pickle/pickle_rule_ids.hpp"

namespace hazmat {

namespace {

constexpr std::string_view kDoNotLoad =
    "Do not load the file with pickle, torch.load, joblib.load or any loader that unpickles. "
    "Ask the publisher for a format that cannot run code (safetensors, ONNX, plain arrays), or "
    "load it only inside a disposable sandbox (hazmat run) if you must inspect it.";

const RuleInfo kPickleRules[] = {
    {rules::kPickleRunsCode, Severity::critical, "Pickle runs arbitrary code when loaded",
     "The pickle reaches a callable that evaluates or compiles code (eval, exec, compile, code "
     "and function objects, marshal, runpy, timeit, profilers and debuggers that run code "
     "strings). Unpickling it runs whatever code the author chose, with the rights of the user "
     "who loads it.",
     kDoNotLoad, 502, "GHSA-v7x6-rv5q-mhwc"},
    {rules::kPickleRunsProcess, Severity::critical,
     "Pickle runs a shell command or starts a process",
     "The pickle reaches a callable that starts a process or a shell: os.system, the subprocess "
     "and pty modules, pip and ensurepip installs, or standard-library helpers that hide a "
     "shell call under a harmless-looking name (pagers, command-output helpers, asyncio "
     "subprocess transports). Deny-lists that miss one of these are the most common scanner "
     "bypass.",
     kDoNotLoad, 502, "CVE-2025-1716, GHSA-xp4f-hrf8-rxw7, CVE-2025-10157, CVE-2026-56315"},
    {rules::kPickleChangesFiles, Severity::critical, "Pickle writes, deletes or changes files",
     "The pickle reaches a callable that opens, writes, moves, deletes or changes the mode of "
     "files (builtins.open, shutil, os file functions, logging file handlers, io.FileIO). A "
     "model file that does this can plant start-up scripts, overwrite code or destroy data.",
     kDoNotLoad, 502, "CVE-2026-56304"},
    {rules::kPickleNetwork, Severity::critical, "Pickle opens network connections",
     "The pickle reaches a callable that talks to the network (socket, urllib, http.client, "
     "requests, smtplib, ftplib, webbrowser). Loading it can leak data or download a second "
     "stage.",
     kDoNotLoad, 502, "GHSA-hgrh-qx5j-jfwx"},
    {rules::kPickleNestedLoad, Severity::critical, "Pickle loads further serialized data",
     "The pickle passes data to another loader (pickle.loads, torch.load, numpy.load, "
     "joblib.load, marshal.loads, dill, shelve). The inner payload runs with the same rights "
     "and is invisible to tools that only read the outer stream. hazmat decodes constant "
     "payloads (base64, hex, zlib, bz2, lzma, gzip layers) and examines them as nested pickles; "
     "their own findings carry an 'embedded' location.",
     kDoNotLoad, 502, "GHSA-84r2-jw7c-4r5q"},
    {rules::kPickleIndirectCallable, Severity::critical, "Pickle resolves callables indirectly",
     "The pickle reaches a trampoline that turns data into an arbitrary callable: getattr, "
     "setattr, __import__, importlib, pkgutil.resolve_name, operator.attrgetter/methodcaller, "
     "functools.partial, globals()/vars(), sys.modules. With one of these, any allow-list or "
     "deny-list check on the names in the stream can be sidestepped. When hazmat can work out "
     "the final target from constant arguments, it reports that target as well.",
     kDoNotLoad, 502, "GHSA-m273-6v24-x4m4, GHSA-955r-x9j8-7rhh"},
    {rules::kPickleUnknownCallable, Severity::high,
     "Pickle imports or calls a callable that is not on the allow-list",
     "Unpickling imports the named module (running its top-level code) and may call the "
     "callable with arguments from the file. hazmat allows only callables that benign "
     "checkpoints are known to use; everything else is reported, because deny-lists of "
     "dangerous names are never complete. The callable may be harmless: check what it does.",
     "Look up the callable in the evidence. If it is a class or function of a library you "
     "trust and it only rebuilds data, add it to your own allow-list (--allow-callables, see "
     "docs/pickle-policy.md). Otherwise treat the file as hostile.",
     502, "CVE-2025-1716, CVE-2026-56315"},
    {rules::kPickleTampering, Severity::critical,
     "Pickle tampers with the interpreter or the scanner",
     "The pickle changes global interpreter state: trace or profile hooks, atexit or signal "
     "handlers, copyreg registrations, environment variables, attributes of imported modules "
     "or classes (a BUILD applied to a module or class). Such changes let later, innocent-"
     "looking names or later loads run attacker code, and can blind scanners that run in the "
     "same process.",
     kDoNotLoad, 502},
    {rules::kPickleHiddenContent, Severity::medium, "Pickle stream has hidden or trailing content",
     "The bytes hold more than one pickle stream where one is expected, bytes between streams, "
     "or data after the final STOP that no known format explains. Loaders that read several "
     "streams, or call pickle.load again on the same file, run code that single-stream "
     "scanners never see. hazmat examines every stream it can find and reports the extra "
     "content.",
     "Find out why the file carries extra content. A legitimate exporter writes exactly one "
     "stream (or a documented layout such as legacy torch.save or joblib).",
     506},
    {rules::kPickleLoaderDifferential, Severity::medium,
     "Pickle is built to be read differently by different unpicklers",
     "The stream uses protocol-4 framing in a way that CPython's C unpickler and the pure-"
     "Python unpickler (used by joblib and pickle._loads) disagree on: opcodes straddling a "
     "frame boundary, a new frame before the current one is used up, a frame longer than the "
     "remaining data, or array data read from a different place than the opcodes around it. "
     "Exporters never write this; it is a way to show one stream to a scanner and another to "
     "the loader. hazmat follows each reading and reports what any of them reaches.",
     "Treat the file as crafted. Do not load it.", 436},
    {rules::kPickleUserAllowed, Severity::info,
     "Callable denied by default is allowed by your own allow-list",
     "The pickle reaches a callable that hazmat's deny-list grades as dangerous, but an "
     "allow-list you passed with --allow-callables allows it. hazmat follows your "
     "configuration and reports it here so that the decision stays visible.",
     "Make sure the allow-list entry named in the evidence is intended.", std::nullopt},
};

}  // namespace

std::span<const RuleInfo> pickle_rules() {
    return kPickleRules;
}

}  // namespace hazmat
