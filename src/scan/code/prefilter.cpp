#include "scan/code/prefilter.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <unordered_set>

#include "scan/code/decoders.hpp"
#include "scan/code/indicators.hpp"

namespace hazmat::code {

namespace {

// Names whose presence alone warrants a full review: the builtins and
// modules of code execution, processes, networking, decoding, environment
// access, unpickling and the hub loaders, and the indirection used to hide
// them.
const std::unordered_set<std::string_view>& trigger_names() {
    static const std::unordered_set<std::string_view> names = {
        // indirection and code objects
        "execfile",
        "marshal",
        "CodeType",
        "__import__",
        // processes
        "system",
        "popen",
        "popen2",
        "popen3",
        "popen4",
        "spawnl",
        "spawnle",
        "spawnlp",
        "spawnlpe",
        "spawnv",
        "spawnve",
        "spawnvp",
        "spawnvpe",
        "execl",
        "execle",
        "execlp",
        "execlpe",
        "execv",
        "execve",
        "execvp",
        "execvpe",
        "posix_spawn",
        "posix_spawnp",
        "startfile",
        "subprocess",
        "pty",
        "getoutput",
        "getstatusoutput",
        "create_subprocess_shell",
        "create_subprocess_exec",
        "chmod",
        "fchmod",
        "lchmod",
        // environment
        "environ",
        "environb",
        "getenv",
        // network
        "requests",
        "urllib",
        "urllib2",
        "urllib3",
        "httpx",
        "aiohttp",
        "http",
        "httplib",
        "socket",
        "smtplib",
        "ftplib",
        "telnetlib",
        "paramiko",
        "pycurl",
        "websocket",
        "websockets",
        "wget",
        "tornado",
        "gethostbyname",
        "gethostbyname_ex",
        "getaddrinfo",
        "resolver",
        // unsafe loading
        "Unpickler",
        "read_pickle",
        "shelve",
        "allow_pickle",
        "unsafe_load",
        "safe_mode",
        "load_model",
        "trust_remote_code",
        "from_pretrained",
        "hf_hub_download",
        "snapshot_download",
        "load_dataset",
    };
    return names;
}

// Builtins that matter only when called by their bare name: `model.eval()`
// is a method, not the builtin.
bool is_bare_builtin(std::string_view name) {
    return name == "exec" || name == "eval" || name == "__import__";
}

// Names that appear as string contents in indirection
// (getattr(os, "system"), globals()["__builtins__"]).
bool is_indirect_name(std::string_view content) {
    return content == "system" || content == "popen" || content == "exec" || content == "eval" ||
           content == "__builtins__" || content == "__import__" || content == "builtins" ||
           content == "subprocess" || content == "os" || content == "Popen";
}

struct Tokens {
    bool torch = false;
    bool yaml = false;
    bool load = false;
    bool transformers = false;
    bool pipeline = false;
    bool getattr = false;
    bool risky_module = false;  // a module getattr could pull a dangerous name from
    bool pickler = false;       // pickle, dill, cloudpickle, joblib
    bool builtins = false;
    bool indirect_use = false;  // exec, eval, __import__, getattr or open alongside builtins
    bool concatenated_string = false;
};

bool identifier_start(unsigned char c) {
    return std::isalpha(c) || c == '_' || c >= 0x80;
}
bool identifier_char(unsigned char c) {
    return std::isalnum(c) || c == '_' || c >= 0x80;
}

bool string_needs_review(std::string_view content) {
    if (is_indirect_name(content))
        return true;
    if (content.size() < 4)
        return false;
    if (content.size() >= 64 && looks_encoded(content))
        return true;
    if (content.size() >= 1024 && looks_packed(content))
        return true;
    return credential_store(content) || exfil_endpoint(content) || persistence_target(content) ||
           assistant_config(content) || assistant_bypass(content) || lolbin_download(content);
}

bool name_needs_review(std::string_view name, bool attribute, std::string_view previous,
                       Tokens& tokens) {
    if (is_bare_builtin(name)) {
        if (!attribute)
            return true;
        tokens.indirect_use = true;
    } else if (name == "system" && previous == "platform") {
        // platform.system() names the operating system.
    } else if (trigger_names().contains(name)) {
        return true;
    }
    if (name == "torch")
        tokens.torch = true;
    else if (name == "yaml")
        tokens.yaml = true;
    else if (name == "load" || name == "load_all" || name == "loads")
        tokens.load = true;
    else if (name == "transformers")
        tokens.transformers = true;
    else if (name == "pipeline")
        tokens.pipeline = true;
    else if (name == "getattr")
        tokens.getattr = tokens.indirect_use = true;
    else if (name == "open")
        tokens.indirect_use = true;
    else if (name == "os" || name == "sys" || name == "importlib")
        tokens.risky_module = true;
    else if (name == "pickle" || name == "cPickle" || name == "_pickle" || name == "dill" ||
             name == "cloudpickle" || name == "joblib")
        tokens.pickler = true;
    else if (name == "builtins" || name == "__builtins__" || name == "__builtin__")
        tokens.builtins = true;
    else if (name == "chr")
        tokens.concatenated_string = true;
    return (tokens.load && (tokens.torch || tokens.yaml || tokens.pickler)) ||
           (tokens.transformers && tokens.pipeline) || (tokens.builtins && tokens.indirect_use) ||
           (tokens.getattr && tokens.risky_module && tokens.concatenated_string);
}

// The end of a string literal whose opening quote run starts at `open`.
size_t string_end(std::string_view source, size_t open, size_t& body_start, size_t& body_end) {
    const char quote = source[open];
    const bool triple =
        open + 2 < source.size() && source[open + 1] == quote && source[open + 2] == quote;
    const size_t delimiter = triple ? 3 : 1;
    body_start = open + delimiter;
    size_t i = body_start;
    while (i < source.size()) {
        const char c = source[i];
        if (c == '\\') {
            i += 2;
            continue;
        }
        if (!triple && c == '\n')
            break;
        if (c == quote && (!triple || (i + 2 < source.size() && source[i + 1] == quote &&
                                       source[i + 2] == quote))) {
            body_end = i;
            return i + delimiter;
        }
        ++i;
    }
    body_end = std::min(i, source.size());
    return body_end;
}

}  // namespace

bool python_needs_review(std::string_view source) {
    Tokens tokens;
    // Names built from pieces ("sys" + "tem", s[::-1]) only matter to the
    // getattr rule; a cheap look for the spellings is enough.
    tokens.concatenated_string = source.find("[::-1]") != std::string_view::npos ||
                                 source.find("\" + \"") != std::string_view::npos ||
                                 source.find("' + '") != std::string_view::npos ||
                                 source.find("\"+\"") != std::string_view::npos ||
                                 source.find("'+'") != std::string_view::npos;
    bool statement_start = true;
    bool after_dot = false;
    std::string_view previous_name;
    int depth = 0;
    size_t i = 0;
    while (i < source.size()) {
        const auto c = static_cast<unsigned char>(source[i]);
        if (c == '#') {
            while (i < source.size() && source[i] != '\n')
                ++i;
            continue;
        }
        if (c == '\n') {
            if (depth == 0)
                statement_start = true;
            ++i;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\\' || c == '\f') {
            ++i;
            continue;
        }
        // Identifiers, and the prefixes of string literals (rb"...", f'...').
        if (identifier_start(c)) {
            size_t end = i;
            while (end < source.size() && identifier_char(static_cast<unsigned char>(source[end])))
                ++end;
            const auto word = source.substr(i, end - i);
            const bool prefix = word.size() <= 2 && end < source.size() &&
                                (source[end] == '"' || source[end] == '\'') &&
                                word.find_first_not_of("rRbBuUfF") == std::string_view::npos;
            if (!prefix) {
                if (name_needs_review(word, after_dot, previous_name, tokens))
                    return true;
                statement_start = false;
                after_dot = false;
                previous_name = word;
                i = end;
                continue;
            }
            const bool formatted = word.find_first_of("fF") != std::string_view::npos;
            size_t body_start = 0;
            size_t body_end = 0;
            const size_t after = string_end(source, end, body_start, body_end);
            const auto body = source.substr(body_start, body_end - body_start);
            // f-strings carry code in their braces.
            if (formatted && python_needs_review(body))
                return true;
            if (!statement_start && string_needs_review(body))
                return true;
            statement_start = false;
            i = after;
            continue;
        }
        if (c == '"' || c == '\'') {
            size_t body_start = 0;
            size_t body_end = 0;
            const size_t after = string_end(source, i, body_start, body_end);
            // A string alone on its line is a docstring or a bare
            // expression: documentation, not data the code uses.
            size_t next = after;
            while (next < source.size() && (source[next] == ' ' || source[next] == '\t'))
                ++next;
            const bool alone = statement_start &&
                               (next >= source.size() || source[next] == '\n' ||
                                source[next] == '\r' || source[next] == '#' || source[next] == ';');
            if (!alone && string_needs_review(source.substr(body_start, body_end - body_start)))
                return true;
            statement_start = false;
            i = after;
            continue;
        }
        after_dot = c == '.';
        if (c != '.')
            previous_name = {};
        if (c == '(' || c == '[' || c == '{')
            ++depth;
        else if ((c == ')' || c == ']' || c == '}') && depth > 0)
            --depth;
        statement_start = false;
        ++i;
    }
    return false;
}

// LIMITATION: a substring check, looser than the Python lexer (it passes
// more files) but also blind to names built at run time without any of the
// listed spellings.
bool javascript_needs_review(std::string_view source) {
    static constexpr std::array<std::string_view, 34> kNeedles = {
        "eval",
        "Function(",
        "vm.",
        "runIn",
        "child_process",
        "execSync",
        "spawn",
        "exec(",
        "https",
        "http",
        "fetch",
        "axios",
        "request",
        "net.",
        "dgram",
        "WebSocket",
        "env",
        "atob",
        "base64",
        "fromCharCode",
        "zlib",
        "writeFile",
        "appendFile",
        "copyFile",
        "createWriteStream",
        "chmod",
        "dns",
        "homedir",
        "execa",
        "shelljs",
        "setTimeout(\"",
        "setTimeout('",
        "setInterval(\"",
        "setInterval('",
    };
    for (const auto needle : kNeedles) {
        if (source.find(needle) != std::string_view::npos)
            return true;
    }
    // Credential, exfiltration and persistence strings need no call to name.
    for (const std::string_view needle : {".ssh",
                                          ".aws",
                                          ".kube",
                                          ".docker",
                                          "npmrc",
                                          "pypirc",
                                          "netrc",
                                          "credentials",
                                          "discord",
                                          "Discord",
                                          "wallet",
                                          "bashrc",
                                          "zshrc",
                                          "profile",
                                          "crontab",
                                          ".claude",
                                          ".cursor",
                                          "mcp.json",
                                          "--dangerously",
                                          "--yolo",
                                          "--trust-all-tools",
                                          "://"}) {
        if (source.find(needle) != std::string_view::npos)
            return true;
    }
    return false;
}

}  // namespace hazmat::code
