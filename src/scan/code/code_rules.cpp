#include "core/rule_registry.hpp"
#include "scan/code/code_rule_ids.hpp"

namespace hazmat {

namespace {

constexpr std::string_view kReadHook =
    "Read the command before installing or opening the project; install with scripts disabled "
    "(pip install --no-build-isolation from a reviewed wheel, npm install --ignore-scripts) or "
    "inside hazmat run.";
constexpr std::string_view kDoNotRun =
    "Do not install, import or run this code. Report the package to its registry if it is "
    "published.";
constexpr std::string_view kLoadSafely =
    "Load only files you produced yourself, or switch to a format that cannot carry code "
    "(safetensors, weights_only=True, JSON).";

// Severities here are the single-signal defaults. A finding whose facts are
// corroborated by a second independent signal in the same function or file
// (credential read + network, decode + exec) is raised to high, and to
// critical with a third signal or when the code runs automatically.
const RuleInfo kCodeRules[] = {
    {rules::kSetupPyCommand, Severity::low, "setup.py overrides a setup command",
     "setup.py passes its own classes in cmdclass (install, develop, egg_info, build_py ...). "
     "Their run() methods execute during pip install of a source distribution, before the user "
     "has imported anything. Typosquatting packages put their payload exactly here.",
     kReadHook, 94},
    {rules::kSetupPyTopLevel, Severity::low, "setup.py runs commands at install time",
     "setup.py starts processes or touches the network in its top-level code, which runs on "
     "every pip install from source.",
     kReadHook, 94},
    {rules::kInTreeBuildBackend, Severity::low, "pyproject.toml uses an in-tree build backend",
     "[build-system] backend-path points the build frontend at code inside the project, so "
     "pip install runs the project's own build backend rather than a published one (PEP 517).",
     kReadHook, 94},
    {rules::kPthExecutes, Severity::medium, ".pth file runs code at interpreter start",
     "Lines of a .pth file in site-packages that start with 'import' are executed by the site "
     "module every time Python starts, in every program of that environment. A package that "
     "ships one gets code execution without being imported.",
     "Remove the .pth file or read every import line; legitimate ones only adjust sys.path.", 94},
    {rules::kSiteCustomize, Severity::medium, "sitecustomize/usercustomize module",
     "sitecustomize.py and usercustomize.py are imported automatically at every interpreter "
     "start when they are on sys.path.",
     "Do not install a project that ships these modules unless you know why it needs them.", 94},
    {rules::kNpmLifecycleScript, Severity::low, "npm lifecycle script runs at install",
     "package.json declares a preinstall, install, postinstall or prepare script. npm runs it "
     "with the user's rights on npm install, including for transitive dependencies.",
     kReadHook, 94},
    {rules::kBindingGyp, Severity::low, "binding.gyp runs commands at install",
     "node-gyp evaluates binding.gyp during npm install. Command expansions (<!( ... )) and "
     "actions run arbitrary commands.",
     kReadHook, 94},
    {rules::kCondaLinkScript, Severity::low, "conda link script runs at install",
     "pre-link, post-link and pre-unlink scripts run when conda installs or removes the "
     "package.",
     kReadHook, 94},
    {rules::kEditorFolderOpenTask, Severity::medium, "Editor task runs when the folder is opened",
     ".vscode/tasks.json declares a task with runOn: folderOpen. VS Code and forks run it as "
     "soon as the folder is opened in a trusted workspace, without any further action.",
     "Open the project in restricted mode, or delete the task before trusting the workspace.", 94},
    {rules::kDevcontainerCommand, Severity::low, "Dev container lifecycle command",
     "devcontainer.json runs commands when the container is created, started or attached; "
     "initializeCommand runs on the host machine, outside the container.",
     kReadHook, 94},
    {rules::kEnvrc, Severity::low, ".envrc runs in your shell",
     "direnv executes .envrc in the user's shell when entering the directory (once allowed).",
     "Read .envrc before running direnv allow.", 94},
    {rules::kBuildFileFetches, Severity::low, "Build file fetches from the network",
     "A Makefile or CMake file downloads content while configuring or building; what it "
     "fetches is not part of the reviewed source.",
     "Pin downloads by hash, or vendor what the build needs.", 494},

    {rules::kDynamicExec, Severity::medium, "Code executes data",
     "exec, eval, compile, new Function, vm.runIn* or a shell's eval runs a value as code. When "
     "the value is decoded, decompressed, downloaded or taken from the environment, the code "
     "that runs is not the code under review.",
     kDoNotRun, 95},
    {rules::kBuiltinsIndirection, Severity::medium, "Builtins reached through indirection",
     "The code reaches exec, eval or other builtins through __import__('builtins'), getattr with "
     "a computed name or the __builtins__ mapping, a pattern used to hide calls from scanners "
     "and reviewers.",
     kDoNotRun, 95},
    {rules::kCodeObject, Severity::medium, "Code objects built from bytes",
     "marshal.loads or types.CodeType/FunctionType turn bytes into executable code objects, "
     "bypassing source review entirely.",
     kDoNotRun, 95},

    {rules::kDownloadExecute, Severity::medium, "Downloads and executes content",
     "The code fetches content from a URL and writes, marks executable or runs it. What runs is "
     "decided by the server at run time, not by the code under review.",
     kDoNotRun, 494},
    {rules::kPipeToInterpreter, Severity::medium, "Download piped into an interpreter",
     "curl or wget output is piped or substituted into sh, bash, python or another interpreter. "
     "The script that runs is whatever the server returns.",
     "Download the script, check it against a published hash, then run it.", 494},
    {rules::kLolbinDownload, Severity::medium, "Windows download utility invoked",
     "certutil -urlcache, bitsadmin /transfer or PowerShell download cradles fetch second "
     "stages on Windows.",
     kDoNotRun, 494},

    {rules::kCredentialRead, Severity::medium, "Reads a credential store",
     "The code reads SSH keys, cloud credentials (AWS, gcloud, kube, Docker), package registry "
     "tokens (.npmrc, .pypirc), .netrc, git credentials, Hugging Face tokens, browser profile "
     "stores, crypto wallets or Discord tokens. Combined with network access it is credential "
     "theft.",
     kDoNotRun, 522},
    {rules::kEnvironmentDump, Severity::medium, "Serialises the whole environment",
     "The code converts the entire process environment (API keys, tokens, cloud credentials) "
     "into a string or request body. Reading one named variable is ordinary; taking all of "
     "them is how stealers collect secrets.",
     kDoNotRun, 526},

    {rules::kExfilEndpoint, Severity::medium, "Exfiltration endpoint",
     "The code names a Discord or Slack webhook, a Telegram bot API, a paste or request-bin "
     "service, or a raw public IP address: places stolen data is commonly sent.",
     kDoNotRun, 200},
    {rules::kComputedDnsLookup, Severity::medium, "DNS lookup of a computed name",
     "The code resolves a host name built at run time. Encoding data into DNS queries "
     "exfiltrates it past HTTP proxies and firewalls.",
     kDoNotRun, 200},

    {rules::kPersistenceWrite, Severity::medium, "Writes to a persistence location",
     "The code writes shell start-up files, crontabs, systemd units, autostart entries, git "
     "hooks, SSH authorized_keys or other packages' files, so that code runs again later.",
     kDoNotRun, 506},
    {rules::kAssistantConfigWrite, Severity::medium, "Writes AI assistant configuration",
     "The code writes the configuration of an AI coding assistant or an MCP server list "
     "(~/.claude, ~/.cursor, .vscode/settings.json, mcp.json ...), which can grant tools, "
     "disable confirmations or add servers the user never approved.",
     kDoNotRun, 506},
    {rules::kAssistantBypass, Severity::medium, "Runs an AI coding assistant without safeguards",
     "The code invokes an AI coding CLI with a flag that disables its permission prompts "
     "(--dangerously-skip-permissions, --yolo, --trust-all-tools ...), turning the assistant "
     "into an agent that can read files and run commands for whoever wrote the prompt.",
     kDoNotRun, 250, "GHSA-cxm3-wv7p-598c"},

    {rules::kTorchLoadUnsafe, Severity::medium, "torch.load without weights_only=True",
     "torch.load unpickles the file. Unless weights_only=True is passed (the default only "
     "from PyTorch 2.6), loading a checkpoint runs any code it carries.",
     "Pass weights_only=True, or store weights as safetensors.", 502, "CVE-2025-32434"},
    {rules::kPickleLoad, Severity::medium, "Unpickles data",
     "pickle, dill, cloudpickle and pandas.read_pickle execute code embedded in the data they "
     "load.",
     kLoadSafely, 502},
    {rules::kJoblibLoad, Severity::medium, "joblib.load of a file",
     "joblib.load unpickles the file and runs any code it carries. Loading the project's own "
     "freshly trained model is fine; loading a downloaded one is not.",
     kLoadSafely, 502},
    {rules::kNumpyAllowPickle, Severity::medium, "numpy.load with allow_pickle=True",
     "allow_pickle=True lets numpy.load unpickle object arrays, which runs code.",
     "Keep allow_pickle=False (the default) and store plain numeric arrays.", 502, "CVE-2019-6446"},
    {rules::kYamlUnsafeLoad, Severity::medium, "yaml.load without a safe loader",
     "PyYAML's full and unsafe loaders construct arbitrary Python objects from tags such as "
     "!!python/object/apply, which runs code.",
     "Use yaml.safe_load or Loader=yaml.SafeLoader.", 502, "CVE-2017-18342"},
    {rules::kKerasUnsafeMode, Severity::medium, "Keras load_model with safe_mode=False",
     "safe_mode=False lets Keras deserialise Lambda layers, which run arbitrary Python code.",
     "Keep safe_mode=True and avoid Lambda layers in shared models.", 502, "CVE-2024-3660"},
    {rules::kTrustRemoteCode, Severity::medium, "trust_remote_code=True",
     "Transformers downloads and runs the model repository's own Python code when "
     "trust_remote_code=True.",
     "Review the repository's code and pin a revision, or use a model that needs no remote "
     "code.",
     94},
    {rules::kTorchHubLoad, Severity::medium, "torch.hub.load runs a repository's hubconf.py",
     "torch.hub.load clones a GitHub repository and imports its hubconf.py.",
     "Pin the repository to a commit and review hubconf.py, or load weights directly.", 94},
    {rules::kUnpinnedHubDownload, Severity::low, "Model or dataset download without a revision",
     "from_pretrained, hf_hub_download, snapshot_download or load_dataset fetch the latest "
     "revision of a hub repository; its owner (or whoever takes over the account) decides what "
     "is downloaded next time.",
     "Pass revision= with a commit hash.", 494},
    {rules::kUnsafeLoadFallback, Severity::high, "Safe load falls back to an unsafe load",
     "A weights_only=True load is wrapped in an exception handler that retries with a full "
     "unpickling load, so a malicious checkpoint that the safe loader rejects is loaded anyway.",
     "Let the safe load fail; never retry with weights_only=False.", 502},

    {rules::kEncodedPayload, Severity::medium, "Encoded payload",
     "A string unwraps through encodings, compression, reversal or XOR into readable code. "
     "The decoded text is scanned with the same rules; its findings are reported at the "
     "decoded location.",
     kDoNotRun, 506},
    {rules::kOffScreenCode, Severity::medium, "Code pushed off-screen",
     "A long run of spaces hides code beyond the right edge of editors and diff views.", kDoNotRun,
     506},
    {rules::kOpaqueBlob, Severity::low, "Very long line or high-entropy blob in source",
     "Source contains a very long line or a long high-entropy string, a common carrier for "
     "packed or encrypted payloads.",
     "Find out what the blob decodes to before running the code.", 506},
    {rules::kInvisibleCharacters, Severity::medium, "Invisible or bidirectional characters",
     "Bidirectional overrides and invisible characters make source display differently from "
     "how it runs (Trojan Source).",
     "Remove the characters; review the code in an editor that shows them.", 451,
     "CVE-2021-42574, CVE-2021-42694"},
    {rules::kIdentifierSoup, Severity::medium, "Obfuscated identifiers",
     "Many identifiers in the _0x1a2b or O0O0Il style: the output of an obfuscator.",
     "Do not run obfuscated code from an unknown source.", 506},
    {rules::kSuppressionMarker, Severity::low, "Suppression marker next to a finding",
     "A comment that tells other scanners to ignore the line (nosec, noqa, eslint-disable, "
     "nosemgrep ...) sits next to a finding. hazmat never obeys in-repo suppressions; the "
     "marker shows someone expected the line to be flagged.",
     "Review the flagged line as if the marker were not there.", std::nullopt},

    {rules::kDockerAddUrl, Severity::low, "Dockerfile ADD from a URL",
     "ADD with a URL downloads content at build time without verifying it, unless --checksum "
     "is given.",
     "Use ADD --checksum=sha256:..., or download and verify in a RUN step.", 494},
    {rules::kDockerSecret, Severity::medium, "Secret in a Dockerfile ENV or ARG",
     "A variable named like a secret is given a literal value in ENV or ARG; it is stored in "
     "the image metadata and history for anyone who pulls the image.",
     "Pass secrets with build secrets (RUN --mount=type=secret) or at run time.", 798},

    {rules::kYaraBundled, Severity::medium, "YARA rule matched",
     "One of hazmat's bundled YARA rules matched the content. The rule's name and description "
     "are in the finding.",
     "Read the matching content; the rule's description says what the pattern indicates.",
     std::nullopt},
    {rules::kYaraUser, Severity::medium, "User YARA rule matched",
     "A YARA rule from --yara-rules matched the content. Its severity comes from the rule's "
     "'severity' metadata when present.",
     "Follow your rule's guidance.", std::nullopt},
};

const RuleInfo kCiRules[] = {
    {rules::kCiExpressionInjection, Severity::high, "Untrusted input interpolated into a script",
     "A workflow expands an attacker-controlled value (${{ github.event.pull_request.title }}, "
     "${{ github.head_ref }}, issue or comment bodies ...) directly into a run: script or a "
     "github-script body. A branch name or title containing shell syntax runs commands with the "
     "workflow's token and secrets.",
     "Pass the value through an environment variable (env: TITLE: ${{ ... }}) and quote "
     "\"$TITLE\" in the script.",
     78},
    {rules::kCiUntrustedCheckout, Severity::high,
     "Privileged workflow checks out pull request code",
     "A pull_request_target or workflow_run workflow checks out the head of the pull request. "
     "These triggers run with secrets and a write token, so building or testing the checked-out "
     "code hands both to the pull request's author.",
     "Use the pull_request trigger for untrusted code, or never run the checked-out code in the "
     "privileged job.",
     829},
    {rules::kCiUnpinnedAction, Severity::low, "Action referenced by a tag or branch",
     "uses: owner/action@v1 follows a movable reference; whoever controls the action's "
     "repository decides what runs in the workflow next time.",
     "Pin actions to a full commit SHA (with the tag in a comment).", 829, "CVE-2025-30066"},
    {rules::kCiSecretsInherit, Severity::low, "Reusable workflow inherits all secrets",
     "secrets: inherit passes every secret of the caller to the called workflow, whatever it "
     "needs.",
     "Pass only the secrets the called workflow needs.", 250},
    {rules::kCiEnvFileInjection, Severity::high,
     "Untrusted input written to GITHUB_ENV or GITHUB_PATH",
     "A step writes to $GITHUB_ENV or $GITHUB_PATH in a workflow that handles untrusted input. "
     "A value with a newline defines arbitrary variables (LD_PRELOAD, NODE_OPTIONS) or path "
     "entries for every later step.",
     "Validate the value, or pass it to later steps as a step output instead.", 77},
    {rules::kCiCacheInRelease, Severity::medium, "Cache restored in a release workflow",
     "A workflow that publishes or releases restores a build cache. Caches are shared with "
     "less privileged workflows (pull requests), so a poisoned cache entry ends up in the "
     "release artifact.",
     "Do not use caches in release jobs; build releases from a clean state.", 349},
};

}  // namespace

std::span<const RuleInfo> code_rules() {
    return kCodeRules;
}
std::span<const RuleInfo> ci_rules() {
    return kCiRules;
}

}  // namespace hazmat
