#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hazmat::code {

// Matchers for what a string names, shared by every language: the same
// "~/.ssh/id_rsa" is a credential read in Python, JavaScript and shell.
// Each returns a short description of what matched ("SSH keys"), or nullopt.

// Credential stores: SSH, cloud and cluster credentials, registry tokens,
// browser profiles, crypto wallets, Discord token stores, Hugging Face tokens.
std::optional<std::string> credential_store(std::string_view text);

// Places where written code runs again later: shell start-up files, cron,
// systemd, autostart, git hooks, SSH authorized_keys, other packages' files.
std::optional<std::string> persistence_target(std::string_view text);

// Configuration of AI coding assistants and MCP server lists.
std::optional<std::string> assistant_config(std::string_view text);

// Endpoints stolen data is sent to: Discord/Slack webhooks, Telegram bot
// API, paste and request-bin services, tunnels, raw public IP addresses.
// Recognised by URL shape as well as host, so mirrors and proxies of a
// webhook API match too.
std::optional<std::string> exfil_endpoint(std::string_view text);

// A command line (or one of its words) that runs an AI coding CLI with its
// permission checks disabled.
std::optional<std::string> assistant_bypass(std::string_view text);

// Windows download cradles: certutil -urlcache, bitsadmin /transfer,
// PowerShell DownloadString / Invoke-WebRequest piped to IEX.
std::optional<std::string> lolbin_download(std::string_view text);

// Suppression comments of other tools (nosec, noqa, eslint-disable ...)
// on one line of source; returns the marker.
std::optional<std::string> suppression_marker(std::string_view line);

// Whether a host is an IPv4 literal outside loopback, private, link-local
// and shared ranges.
bool is_public_ipv4(std::string_view host);

}  // namespace hazmat::code
