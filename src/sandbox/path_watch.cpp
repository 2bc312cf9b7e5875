#include "sandbox/path_watch.hpp"

#include <algorithm>
#include <array>

namespace hazmat::sandbox {

namespace {

// Host locations a program has no business opening: other users' homes,
// the system's secrets and the sockets that control the host.
constexpr std::array kSensitiveAbsolute = std::to_array<std::string_view>({
    "/root",
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/sudoers",
    "/etc/sudoers.d",
    "/etc/ssh",
    "/etc/ssl/private",
    "/etc/krb5.keytab",
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/run/containerd",
    "/run/podman",
    "/var/lib/docker",
    "/run/user",
    "/run/dbus",
    "/var/run/dbus",
    "/var/log",
    "/boot",
    "/dev/mem",
    "/dev/kmem",
    "/dev/port",
    "/proc/kcore",
    "/proc/kallsyms",
    "/sys/firmware",
    "/sys/kernel",
});

// Credential stores in a home directory that the sandbox does not plant
// decoys for: an attempt to open one is the search itself.
constexpr std::array kSensitiveInHome = std::to_array<std::string_view>({
    ".ssh/",
    ".gnupg/",
    ".password-store/",
    ".local/share/keyrings/",
    ".config/gcloud/",
    ".azure/",
    ".pypirc",
    ".npmrc",
    ".mozilla/",
    ".config/google-chrome/",
    ".config/chromium/",
    ".config/BraveSoftware/",
    ".electrum/",
    ".bitcoin/",
    ".ethereum/",
    ".config/Exodus/",
    ".config/solana/",
    ".bash_history",
    ".zsh_history",
    ".config/hub",
    ".vault-token",
    ".terraform.d/credentials.tfrc.json",
    ".config/op/",
    ".aws/",
    ".kube/",
    ".docker/",
    ".config/gh/",
    ".cache/huggingface/token",
    ".huggingface/token",
    ".netrc",
    ".git-credentials",
});

// System-wide places where a write makes code run later.
constexpr std::array kSystemPersistence = std::to_array<std::string_view>({
    "/etc/cron.d",        "/etc/cron.daily", "/etc/cron.hourly",   "/etc/crontab",
    "/var/spool/cron",    "/etc/systemd",    "/usr/lib/systemd",   "/lib/systemd",
    "/etc/profile",       "/etc/profile.d",  "/etc/bash.bashrc",   "/etc/environment",
    "/etc/ld.so.preload", "/etc/rc.local",   "/etc/xdg/autostart", "/etc/init.d",
    "/etc/sudoers",       "/etc/sudoers.d",  "/etc/passwd",        "/etc/update-motd.d",
});

bool is_below(std::string_view path, std::string_view prefix) {
    return path_within(path, prefix);
}

}  // namespace

const std::vector<std::string_view>& home_persistence_paths() {
    static const std::vector<std::string_view> paths = {
        ".bashrc",
        ".bash_profile",
        ".bash_login",
        ".bash_logout",
        ".profile",
        ".zshrc",
        ".zprofile",
        ".zshenv",
        ".zlogin",
        ".config/fish/",
        ".config/autostart/",
        ".config/systemd/user/",
        ".local/share/systemd/user/",
        ".config/environment.d/",
        ".pam_environment",
        ".xprofile",
        ".xinitrc",
        ".xsessionrc",
        ".ssh/authorized_keys",
        ".ssh/rc",
        ".ssh/config",
        ".gitconfig",
        ".config/git/",
        ".ipython/profile_default/startup/",
        ".jupyter/",
        ".local/lib/",  // user site-packages: *.pth and usercustomize.py run at Python start
        ".config/pip/",
        ".pip/",
        ".npmrc",
        ".vimrc",
        ".config/nvim/",
        ".local/share/applications/",
    };
    return paths;
}

bool path_within(std::string_view path, std::string_view prefix) {
    while (prefix.size() > 1 && prefix.ends_with('/'))
        prefix.remove_suffix(1);
    if (!path.starts_with(prefix))
        return false;
    return path.size() == prefix.size() || prefix == "/" || path[prefix.size()] == '/';
}

std::string normalize_path(std::string_view base, std::string_view path) {
    std::string joined;
    if (path.starts_with('/')) {
        joined = path;
    } else {
        joined = base;
        joined += '/';
        joined += path;
    }
    std::vector<std::string_view> parts;
    std::string_view rest(joined);
    while (!rest.empty()) {
        const auto slash = rest.find('/');
        const auto part = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
        if (part.empty() || part == ".")
            continue;
        if (part == "..") {
            if (!parts.empty())
                parts.pop_back();
            continue;
        }
        parts.push_back(part);
    }
    std::string out;
    for (const auto part : parts) {
        out += '/';
        out += part;
    }
    return out.empty() ? "/" : out;
}

PathWatch::PathWatch(std::string home, std::string workspace, std::string host_home,
                     const DecoySet& decoys)
    : home_(std::move(home)), workspace_(std::move(workspace)), host_home_(std::move(host_home)) {
    for (const auto& file : decoys.files)
        (file.holds_secret ? decoy_paths_ : companion_paths_).push_back(home_ + "/" + file.path);
}

bool PathWatch::in_home(std::string_view path, std::string_view relative) const {
    if (!path_within(path, home_) || path.size() <= home_.size())
        return false;
    const auto inside = path.substr(home_.size() + 1);
    if (relative.ends_with('/')) {
        relative.remove_suffix(1);
        return path_within(inside, relative);
    }
    return inside == relative;
}

bool PathWatch::is_writable_area(std::string_view path) const {
    static constexpr std::array kDevices = std::to_array<std::string_view>(
        {"/dev/null", "/dev/zero", "/dev/full", "/dev/tty", "/dev/pts", "/dev/stdout",
         "/dev/stderr", "/dev/fd", "/dev/shm", "/proc/self", "/proc/thread-self", "/tmp",
         "/var/tmp"});
    if (path_within(path, workspace_) || path_within(path, home_))
        return true;
    return std::any_of(kDevices.begin(), kDevices.end(),
                       [&](std::string_view area) { return path_within(path, area); });
}

PathCategory PathWatch::classify(std::string_view path, bool writing, int opener) const {
    for (const auto& decoy : decoy_paths_) {
        if (path == decoy)
            return PathCategory::decoy;
    }
    // ~/.aws/config, a public key: libraries read them routinely.
    for (const auto& companion : companion_paths_) {
        if (path == companion && !writing)
            return PathCategory::none;
    }
    if (path_within(path, home_) && !path_within(path, workspace_)) {
        const auto& persistence = home_persistence_paths();
        if (writing && std::any_of(persistence.begin(), persistence.end(),
                                   [&](std::string_view p) { return in_home(path, p); }))
            return PathCategory::persistence;
        if (std::any_of(kSensitiveInHome.begin(), kSensitiveInHome.end(),
                        [&](std::string_view p) { return in_home(path, p); }))
            return PathCategory::sensitive;
        return PathCategory::none;
    }
    if (writing && std::any_of(kSystemPersistence.begin(), kSystemPersistence.end(),
                               [&](std::string_view p) { return is_below(path, p); }))
        return PathCategory::persistence;
    if (!host_home_.empty() && host_home_ != home_ && path_within(path, host_home_))
        return PathCategory::sensitive;
    if (path_within(path, "/home") && !path_within(path, home_))
        return PathCategory::sensitive;
    if (std::any_of(kSensitiveAbsolute.begin(), kSensitiveAbsolute.end(),
                    [&](std::string_view p) { return is_below(path, p); }))
        return PathCategory::sensitive;
    // /proc is the sandbox's own, mounted for its PID namespace: every
    // process listed there is one of the sandbox's, so reading another one's
    // environment (ps, top and psutil do) reaches no host secret; its
    // values are the persona's and the decoys', whose leaks are caught where
    // they go. Reading another process's memory is no tool's routine.
    if (path.starts_with("/proc/") && path.ends_with("/mem")) {
        const auto owner = path.substr(6, path.find('/', 6) - 6);
        const bool own = owner == "self" || owner == "thread-self" ||
                         (opener != 0 && owner == std::to_string(opener));
        if (!own)
            return PathCategory::sensitive;
    }
    if (writing && !is_writable_area(path))
        return PathCategory::outside_write;
    return PathCategory::none;
}

std::string PathWatch::display(std::string_view path) const {
    if (path_within(path, home_) && !path_within(path, workspace_))
        return "~" + std::string(path.substr(home_.size()));
    return std::string(path);
}

}  // namespace hazmat::sandbox
