#include "scan/code/indicators.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <span>

namespace hazmat::code {

namespace {

struct Pattern {
    std::string_view needle;  // lower case, '/' separators
    std::string_view what;
};

std::string normalized(std::string_view text) {
    std::string out(text);
    for (auto& c : out) {
        if (c == '\\')
            c = '/';
        else
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

// `needle` as a path segment sequence: starts at the beginning or after a
// separator ('/', '~', quote, space), so ".ssh" does not match "foo.ssh".
bool contains_segment(std::string_view haystack, std::string_view needle) {
    for (size_t pos = haystack.find(needle); pos != std::string_view::npos;
         pos = haystack.find(needle, pos + 1)) {
        const bool starts = pos == 0 || std::string_view("/~ \"'=$:\x1a").find(haystack[pos - 1]) !=
                                            std::string_view::npos;
        const size_t end = pos + needle.size();
        const bool ends =
            end == haystack.size() || needle.back() == '/' ||
            std::string_view("/ \"';,)\x1a").find(haystack[end]) != std::string_view::npos;
        if (starts && ends)
            return true;
    }
    return false;
}

// Every credential, persistence and assistant pattern has a separator or a
// dot in it, or is one of a few words; text without any is skipped cheaply.
bool may_name_a_path(std::string_view text) {
    return text.find_first_of("./_\\ ") != std::string_view::npos ||
           text.find("authorized_keys") != std::string_view::npos;
}

std::optional<std::string> match_segments(std::string_view text,
                                          std::span<const Pattern> patterns) {
    if (text.size() > 4096)
        text = text.substr(0, 4096);
    if (!may_name_a_path(text))
        return std::nullopt;
    const auto lowered = normalized(text);
    for (const auto& pattern : patterns) {
        if (contains_segment(lowered, pattern.needle))
            return std::string(pattern.what);
    }
    return std::nullopt;
}

constexpr Pattern kCredentialStores[] = {
    {".ssh", "SSH keys"},
    {".ssh/id_rsa", "SSH keys"},
    {"id_rsa", "SSH keys"},
    {"id_ed25519", "SSH keys"},
    {".aws/credentials", "AWS credentials"},
    {".aws", "AWS credentials"},
    {".config/gcloud", "Google Cloud credentials"},
    {"application_default_credentials.json", "Google Cloud credentials"},
    {".azure", "Azure credentials"},
    {".kube/config", "Kubernetes credentials"},
    {".kube", "Kubernetes credentials"},
    {".docker/config.json", "Docker registry credentials"},
    {".npmrc", "npm token"},
    {".pypirc", "PyPI token"},
    {".netrc", "netrc passwords"},
    {"_netrc", "netrc passwords"},
    {".git-credentials", "git credentials"},
    {".config/gh/hosts.yml", "GitHub CLI token"},
    {".gnupg", "GnuPG keys"},
    {".cache/huggingface/token", "Hugging Face token"},
    {".huggingface/token", "Hugging Face token"},
    {"huggingface/stored_tokens", "Hugging Face token"},
    {"login data", "browser saved passwords"},
    {"logins.json", "browser saved passwords"},
    {"key4.db", "browser saved passwords"},
    {"google/chrome/user data", "browser profile"},
    {".config/google-chrome", "browser profile"},
    {".mozilla/firefox", "browser profile"},
    {"bravesoftware/brave-browser", "browser profile"},
    {"wallet.dat", "crypto wallet"},
    {"exodus/exodus.wallet", "crypto wallet"},
    {"electrum/wallets", "crypto wallet"},
    {".electrum", "crypto wallet"},
    {"ethereum/keystore", "crypto wallet"},
    {".config/solana/id.json", "crypto wallet"},
    {"nkbihfbeogaeaoehlefnkodbefgpgknn", "crypto wallet (MetaMask)"},
    {"discord/local storage/leveldb", "Discord tokens"},
    {"discordcanary/local storage", "Discord tokens"},
    {"discordptb/local storage", "Discord tokens"},
};

constexpr Pattern kPersistenceTargets[] = {
    {".bashrc", "shell start-up file"},
    {".bash_profile", "shell start-up file"},
    {".bash_login", "shell start-up file"},
    {".profile", "shell start-up file"},
    {".zshrc", "shell start-up file"},
    {".zprofile", "shell start-up file"},
    {".zshenv", "shell start-up file"},
    {".config/fish/config.fish", "shell start-up file"},
    {"/etc/profile", "shell start-up file"},
    {"/etc/bash.bashrc", "shell start-up file"},
    {"/etc/profile.d/", "shell start-up file"},
    {"/etc/crontab", "crontab"},
    {"/etc/cron.d/", "crontab"},
    {"/var/spool/cron", "crontab"},
    {".config/systemd/user", "systemd unit"},
    {"/etc/systemd/system", "systemd unit"},
    {"/lib/systemd/system", "systemd unit"},
    {".config/autostart", "desktop autostart entry"},
    {"library/launchagents", "launchd agent"},
    {"library/launchdaemons", "launchd daemon"},
    {".git/hooks/", "git hook"},
    {"authorized_keys", "SSH authorized_keys"},
    {"/etc/rc.local", "boot script"},
    {"/etc/ld.so.preload", "dynamic loader preload"},
    {"site-packages/", "another package's files"},
    {"dist-packages/", "another package's files"},
    {"sitecustomize.py", "interpreter start-up hook"},
    {"usercustomize.py", "interpreter start-up hook"},
    {"start menu/programs/startup", "Windows startup folder"},
    {"currentversion/run", "Windows Run key"},
};

constexpr Pattern kAssistantConfigs[] = {
    {".claude/", "Claude Code configuration"},
    {".claude.json", "Claude Code configuration"},
    {"claude_desktop_config.json", "Claude Desktop MCP configuration"},
    {".cursor/", "Cursor configuration"},
    {".vscode/settings.json", "VS Code workspace settings"},
    {".vscode/mcp.json", "VS Code MCP configuration"},
    {"mcp.json", "MCP server configuration"},
    {".gemini/settings.json", "Gemini CLI configuration"},
    {".codex/config.toml", "Codex CLI configuration"},
    {".codeium/windsurf", "Windsurf configuration"},
    {".continue/config", "Continue configuration"},
};

constexpr std::string_view kExfilHosts[] = {
    "pastebin.com",
    "paste.ee",
    "hastebin.com",
    "ghostbin.",
    "dpaste.",
    "rentry.co",
    "termbin.com",
    "transfer.sh",
    "file.io",
    "0x0.st",
    "webhook.site",
    "requestbin.",
    "pipedream.net",
    "requestcatcher.com",
    "beeceptor.com",
    "hookbin.com",
    "interact.sh",
    "oast.fun",
    "oast.pro",
    "oast.live",
    "oast.site",
    "oast.online",
    "oast.me",
    "burpcollaborator.net",
    "ngrok.io",
    "ngrok-free.app",
    "trycloudflare.com",
    "canarytokens.com",
    "api.telegram.org",
    "hooks.slack.com",
    "discord.com/api/webhooks",
    "discordapp.com/api/webhooks",
};

bool all_digits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The host and path of the first URL in `text`, lower-cased.
struct UrlParts {
    std::string host;
    std::string path;
};

std::optional<UrlParts> first_url(std::string_view lowered, size_t from, size_t& next) {
    const size_t scheme = lowered.find("://", from);
    if (scheme == std::string_view::npos)
        return std::nullopt;
    next = scheme + 3;
    const size_t host_start = scheme + 3;
    size_t host_end = host_start;
    while (host_end < lowered.size() &&
           std::string_view("/?#\"' \x1a\n").find(lowered[host_end]) == std::string_view::npos)
        ++host_end;
    UrlParts parts;
    parts.host = std::string(lowered.substr(host_start, host_end - host_start));
    if (const auto at = parts.host.rfind('@'); at != std::string::npos)
        parts.host = parts.host.substr(at + 1);
    if (const auto colon = parts.host.rfind(':'); colon != std::string::npos)
        parts.host = parts.host.substr(0, colon);
    size_t path_end = host_end;
    while (path_end < lowered.size() &&
           std::string_view("\"' \n").find(lowered[path_end]) == std::string_view::npos)
        ++path_end;
    parts.path = std::string(lowered.substr(host_end, path_end - host_end));
    return parts;
}

bool telegram_bot_path(std::string_view path) {
    const size_t bot = path.find("/bot");
    if (bot == std::string_view::npos)
        return false;
    const size_t colon = path.find(':', bot);
    return colon != std::string_view::npos && all_digits(path.substr(bot + 4, colon - bot - 4));
}

bool discord_webhook_path(std::string_view path) {
    const size_t hook = path.find("/api/webhooks/");
    if (hook == std::string_view::npos)
        return false;
    const auto rest = path.substr(hook + 14);
    return all_digits(rest.substr(0, rest.find('/'))) || rest.starts_with('\x1a');
}

}  // namespace

bool is_public_ipv4(std::string_view host) {
    std::array<int, 4> octets{};
    size_t index = 0;
    size_t start = 0;
    for (size_t i = 0; i <= host.size(); ++i) {
        if (i < host.size() && host[i] != '.')
            continue;
        if (index >= 4 || i == start || i - start > 3)
            return false;
        int value = 0;
        const auto [end, error] = std::from_chars(host.data() + start, host.data() + i, value);
        if (error != std::errc() || end != host.data() + i || value > 255)
            return false;
        octets[index++] = value;
        start = i + 1;
    }
    if (index != 4)
        return false;
    const int a = octets[0];
    const int b = octets[1];
    if (a == 0 || a == 10 || a == 127 || a >= 224)
        return false;
    if (a == 169 && b == 254)
        return false;
    if (a == 172 && b >= 16 && b <= 31)
        return false;
    if (a == 192 && b == 168)
        return false;
    if (a == 100 && b >= 64 && b <= 127)
        return false;
    return true;
}

std::optional<std::string> credential_store(std::string_view text) {
    return match_segments(text, kCredentialStores);
}

std::optional<std::string> persistence_target(std::string_view text) {
    return match_segments(text, kPersistenceTargets);
}

std::optional<std::string> assistant_config(std::string_view text) {
    return match_segments(text, kAssistantConfigs);
}

std::optional<std::string> exfil_endpoint(std::string_view text) {
    if (text.size() > 8192)
        text = text.substr(0, 8192);
    if (text.find("://") == std::string_view::npos)
        return std::nullopt;
    const auto lowered = normalized(text);
    size_t from = 0;
    while (true) {
        size_t next = 0;
        auto url = first_url(lowered, from, next);
        if (!url)
            return std::nullopt;
        from = next;
        if (discord_webhook_path(url->path))
            return "Discord webhook";
        if (url->host == "hooks.slack.com" || url->path.starts_with("/services/t"))
            return "Slack webhook";
        if (telegram_bot_path(url->path))
            return "Telegram bot API";
        for (const auto host : kExfilHosts) {
            const auto joined = url->host + url->path;
            if (joined.starts_with(host) ||
                joined.find("." + std::string(host)) != std::string::npos)
                return "paste, request-bin or tunnel service (" + std::string(host) + ")";
        }
        if (is_public_ipv4(url->host))
            return "raw IP address " + url->host;
    }
}

std::optional<std::string> assistant_bypass(std::string_view text) {
    if (text.size() > 8192)
        text = text.substr(0, 8192);
    if (text.find("--") == std::string_view::npos)
        return std::nullopt;
    const auto lowered = normalized(text);
    if (lowered.find("--dangerously-skip-permissions") != std::string::npos)
        return "claude --dangerously-skip-permissions";
    if (lowered.find("--dangerously-bypass-approvals-and-sandbox") != std::string::npos)
        return "codex --dangerously-bypass-approvals-and-sandbox";
    if (lowered.find("--trust-all-tools") != std::string::npos)
        return "q chat --trust-all-tools";
    if (lowered.find("--yolo") != std::string::npos &&
        (lowered.find("gemini") != std::string::npos ||
         lowered.find("codex") != std::string::npos || lowered.find("qwen") != std::string::npos))
        return "--yolo";
    if (lowered.find("cursor-agent") != std::string::npos &&
        lowered.find("--force") != std::string::npos)
        return "cursor-agent --force";
    return std::nullopt;
}

std::optional<std::string> lolbin_download(std::string_view text) {
    if (text.size() > 8192)
        text = text.substr(0, 8192);
    if (text.size() < 8 || text.find_first_of("/-") == std::string_view::npos)
        return std::nullopt;
    const auto lowered = normalized(text);
    const auto has = [&](std::string_view needle) {
        return lowered.find(needle) != std::string::npos;
    };
    if (has("certutil") && has("-urlcache"))
        return "certutil -urlcache";
    if (has("bitsadmin") && has("/transfer"))
        return "bitsadmin /transfer";
    if ((has("downloadstring") || has("downloadfile")) && has("net.webclient"))
        return "PowerShell Net.WebClient download";
    if ((has("invoke-webrequest") || has("iwr ")) && (has("iex") || has("invoke-expression")))
        return "PowerShell Invoke-WebRequest piped to Invoke-Expression";
    return std::nullopt;
}

std::optional<std::string> suppression_marker(std::string_view line) {
    // Only look inside what follows a comment introducer.
    size_t comment = line.find('#');
    const size_t slashes = line.find("//");
    if (slashes != std::string_view::npos &&
        (comment == std::string_view::npos || slashes < comment))
        comment = slashes;
    const size_t block = line.find("/*");
    if (block != std::string_view::npos && (comment == std::string_view::npos || block < comment))
        comment = block;
    if (comment == std::string_view::npos)
        return std::nullopt;
    const auto lowered = normalized(line.substr(comment));
    static constexpr std::string_view kMarkers[] = {
        "nosec",
        "noqa",
        "nosemgrep",
        "eslint-disable",
        "pylint: disable",
        "pylint:disable",
        "nosonar",
        "noinspection",
        "hazmat: ignore",
        "hazmat-ignore",
        "gitleaks:allow",
        "trufflehog:ignore",
        "pragma: allowlist secret",
        "checkov:skip",
        "devskim: ignore",
        "snyk:ignore",
        "codeql[",
        "lgtm[",
    };
    for (const auto marker : kMarkers) {
        if (lowered.find(marker) != std::string::npos)
            return std::string(marker);
    }
    return std::nullopt;
}

}  // namespace hazmat::code
