#include "sandbox/run_rules.hpp"

#include "core/rule_registry.hpp"

namespace hazmat {

namespace {

constexpr std::string_view kDoNotTrust =
    "Do not run this project outside the sandbox. Read the audit log (--log) for the full "
    "sequence of events, and review the code that made the attempt.";

const RuleInfo kRunRules[] = {
    {rules::kRunDecoyRead, Severity::high, "Decoy credential read",
     "The program opened one of the fake credentials hazmat plants in the sandbox's home "
     "directory (cloud keys, SSH keys, tokens of GitHub, Hugging Face, Docker, Kubernetes). "
     "Credential stealers read exactly these files first. Some libraries read them "
     "legitimately (boto3 reads ~/.aws/credentials, requests reads ~/.netrc, huggingface_hub "
     "reads its token), so check which program opened it and why; combined with a network "
     "attempt, a downloader or persistence it is treated as malicious.",
     "Find the code that reads the file. If the project has no reason to use that service, treat "
     "it as a credential stealer.",
     522},
    {rules::kRunDecoyLeak, Severity::critical, "Decoy credential value leaked",
     "A value that exists only in this run's decoy credentials appeared where the program put "
     "it: printed, written to a file, sent in a network request or a DNS query, plainly or "
     "encoded (base64, base32, hex, percent-encoding). The program read a secret and moved it; "
     "outside the sandbox the real secret would have gone the same way. Decoy values are unique "
     "per run and recorded in the run's decoys.json, so a later sighting names the run.",
     kDoNotTrust, 200},
    {rules::kRunNetworkAttempt, Severity::medium, "Network access attempted",
     "The program tried to reach an address outside the sandbox or asked for a host name. The "
     "sandbox has no network, so nothing left, but the destination shows where the program "
     "meant to connect: a model hub or package index is ordinary for ML code; an IP address, a "
     "paste site or a dynamic DNS name is not.",
     "Check the destinations. If the project needs the network, run it where the destination "
     "is allowed explicitly, and only after reviewing why it needs it.",
     200},
    {rules::kRunHostServiceProbe, Severity::medium,
     "Connection to a local service that does not exist inside the sandbox",
     "The program connected to a loopback port on which nothing listens inside the sandbox. "
     "Loopback inside the sandbox is private to it, so this can only be an attempt to reach a "
     "service on the host's own loopback (a database, a Docker or Jupyter API, a cloud "
     "metadata proxy, a debugger port).",
     "Find out which service the port belongs to on your machine and why the project wants it.",
     441},
    {rules::kRunShellSpawned, Severity::medium, "Shell started with a command string",
     "The program ran a shell with a command string (sh -c ...). Build scripts do this, but so "
     "does malware that hides its real actions in the command string.",
     "Read the command string in the evidence; make sure it does what the project claims.", 78},
    {rules::kRunDownloaderSpawned, Severity::high, "Downloader or network tool started",
     "The program started curl, wget, nc, socat, ssh or a similar tool: the usual second stage "
     "of a malicious install script, which fetches and runs a payload or opens a reverse "
     "shell.",
     kDoNotTrust, 494},
    {rules::kRunPersistence, Severity::high, "Persistence attempted",
     "The program wrote to a file that makes code run later, outside the project: shell "
     "startup files (~/.bashrc, ~/.profile), autostart entries, systemd user units, cron, SSH "
     "authorized keys, Git or Python startup configuration. In the sandbox these writes land "
     "in a throw-away home directory; on a real machine they would survive the program.",
     kDoNotTrust, 506},
    {rules::kRunOutsideWrite, Severity::medium, "Write outside the workspace attempted",
     "The program tried to create or change a file outside its workspace, home directory and "
     "temporary directories (system directories, other locations on the host). The sandbox "
     "refused; the attempt shows the program expects to modify the system it runs on.",
     "Check what the program tried to write and whether the project documents it.", 732},
    {rules::kRunSensitivePath, Severity::high, "Sensitive host location accessed",
     "The program tried to open a location that holds host secrets or controls the host and "
     "that an ML program has no reason to touch: another user's home or the invoking user's "
     "real home, /etc/shadow, SSH or GPG keys, browser profiles, wallets, the Docker socket, "
     "another process's memory.",
     kDoNotTrust, 200},
    {rules::kRunDeniedSyscalls, Severity::low, "System calls outside the allow-list",
     "The program used kernel interfaces the sandbox denies because ML workloads never need "
     "them. Kinds used in sandbox escapes and privilege escalation (namespace creation, "
     "ptrace, keyrings, BPF, kernel modules, mounts, terminal input injection) raise this to "
     "high; io_uring, performance counters or unusual socket families stay low, because some "
     "runtimes probe them and fall back.",
     "Look at the kinds in the evidence. Escape-class kinds in an ML project are a strong "
     "sign of malice.",
     250},
    {rules::kRunLimitHit, Severity::medium, "Resource limit reached",
     "The program hit a limit of the sandbox: memory (out-of-memory kills), the number of "
     "processes (a fork bomb stops here) or the size of its temporary directories. The host "
     "was not affected. A hungry but honest workload may need higher limits.",
     "If the workload is legitimately large, raise the limit (--memory, --pids, --tmp-size); "
     "if it forks without bound, treat it as hostile.",
     400},
    {rules::kRunTimedOut, Severity::high, "Run timed out",
     "The command did not finish within --timeout and was killed with everything it started. "
     "What it would have done later is unknown, so the run cannot be called clean.",
     "Run again with a longer --timeout if the workload needs it.", 400},
    {rules::kRunMonitorIncomplete, Severity::high, "Run not fully observed",
     "Part of what the program did may be missing from the record: the monitor lost events or "
     "failed, the audit log hit its size bound, or written files were too large to scan for "
     "leaked decoys completely. The verdict is inconclusive.",
     "Read the audit log; rerun with a smaller workload or higher limits.", 778},
    {rules::kRunRiskyWorkspaceChange, Severity::high,
     "Change to the workspace that runs code later",
     "The program created or changed a file in the project that tools execute on their own: Git "
     "hooks or configuration, editor task files (.vscode), direnv's .envrc, Python .pth and "
     "startup files, setup.py or package.json scripts, CI configuration. Applied to the real "
     "project, it would run the next time you use Git, open the editor or install the "
     "package. hazmat does not apply such changes unless asked.",
     "Inspect the file in the run's layer before applying anything (hazmat apply shows the "
     "changes); never apply it without reading it.",
     829},
    {rules::kRunNewExecutable, Severity::medium, "New executable file in the workspace",
     "The program left an executable file in the project directory: a dropped binary or "
     "script that would stay after the run if applied.",
     "Check what the file is before applying the workspace changes.", 506},
    {rules::kRunEscapingSymlink, Severity::high, "Symlink in the workspace leads outside it",
     "The program left a symlink in the project that points outside the project (an absolute "
     "path, or enough '..' to climb out). Tools that later write through it would write to the "
     "host: the classic trap for post-processing steps. hazmat never applies such a link.",
     "Do not copy the workspace with tools that follow symlinks; remove the link.", 59},
    {rules::kRunListening, Severity::info, "Listening socket opened",
     "The program bound or listened on a socket. Inside the sandbox only its own processes can "
     "connect; ML tools do this for training rendezvous, notebook kernels and local servers.",
     "Nothing to do unless the port or the program is unexpected.", std::nullopt},
    {rules::kRunWorkspaceChanges, Severity::info, "Files the program changed in the workspace",
     "The changes the program made to the project, kept in an overlay layer and not applied "
     "to the real directory. Apply them with 'hazmat run --apply' next time, or 'hazmat apply' "
     "for a kept layer, after reviewing them.",
     "Review the list; apply only what you expect.", std::nullopt},
    {rules::kRunCommandFailed, Severity::info, "Command did not complete normally",
     "The command could not be started, or it was killed by a signal (a crash, a seccomp kill "
     "of a foreign-architecture system call, an interrupt). What it would have done afterwards "
     "is unknown.",
     "Check the command line and the program's output.", std::nullopt},
    {rules::kRunDegraded, Severity::medium, "Sandbox ran with weaker isolation",
     "An isolation layer was missing on this host and the run was allowed anyway "
     "(--allow-degraded). The program was less contained, and without the monitor less of "
     "what it did was recorded.",
     "Run 'hazmat doctor' to see what the host lacks and how to enable it.", 693},
    {rules::kRunUserDenied, Severity::info, "Action denied at the prompt",
     "With --ask, the user denied an action the program attempted; the system call failed "
     "with EPERM.",
     "Nothing to do; the record shows what was denied.", std::nullopt},
    {rules::kRunLimitsPartlyObserved, Severity::info,
     "Resource limits enforced with rlimits: hits only partly observed",
     "No cgroup was writable for this user, so memory and the number of processes were limited "
     "with rlimits (memory per process, processes per sandbox user). The kernel counts no hits "
     "for rlimits: hazmat sampled the sandbox's processes, watched the output for the failures "
     "a refused allocation or fork leaves (ENOMEM, MemoryError, EAGAIN) and looked at how the "
     "command ended, but a hit the program handled quietly goes unseen.",
     "Run hazmat in a delegated cgroup v2 subtree (for example under 'systemd-run --user "
     "--scope -p Delegate=yes') so that limit hits are counted; 'hazmat doctor' shows what "
     "this host offers.",
     std::nullopt},
};

}  // namespace

std::span<const RuleInfo> run_rules() {
    return kRunRules;
}

}  // namespace hazmat
