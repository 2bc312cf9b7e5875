#include "sandbox/policy.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace hazmat::sandbox {

namespace fs = std::filesystem;

ResourceLimits ResourceLimits::defaults() {
    ResourceLimits limits;
    const auto pages = sysconf(_SC_PHYS_PAGES);
    const auto page_size = sysconf(_SC_PAGESIZE);
    const uint64_t ram = pages > 0 && page_size > 0
                             ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size)
                             : 8ull << 30;
    limits.memory_bytes = std::min<uint64_t>(ram / 2, 16ull << 30);
    return limits;
}

std::optional<uint64_t> parse_size(std::string_view text) {
    if (text.empty())
        return std::nullopt;
    uint64_t multiplier = 1;
    const char unit = static_cast<char>(std::tolower(static_cast<unsigned char>(text.back())));
    const std::string_view units = "kmgt";
    if (const auto pos = units.find(unit); pos != std::string_view::npos) {
        multiplier = 1ull << (10 * (pos + 1));
        text.remove_suffix(1);
    }
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < 0)
        return std::nullopt;
    const double bytes = value * static_cast<double>(multiplier);
    if (bytes > 1.8e19)
        return std::nullopt;
    return static_cast<uint64_t>(bytes);
}

namespace {

// Credential stores relative to a home directory. A --ro path equal to one
// of them, inside one, or containing one is refused.
constexpr std::array<std::string_view, 24> kHomeSecrets = {
    ".ssh",
    ".aws",
    ".gnupg",
    ".netrc",
    ".git-credentials",
    ".config/gh",
    ".config/gcloud",
    ".config/hub",
    ".azure",
    ".kube",
    ".docker",
    ".pypirc",
    ".npmrc",
    ".cache/huggingface/token",
    ".huggingface/token",
    ".config/huggingface",
    ".local/share/keyrings",
    ".password-store",
    ".mozilla",
    ".config/google-chrome",
    ".config/chromium",
    ".bash_history",
    ".zsh_history",
    ".python_history",
};

// Host paths that hold secrets or give control of the host; refused when
// named, when containing the path, or when contained in it.
constexpr std::array<std::string_view, 9> kHostSecrets = {
    "/etc", "/proc", "/sys", "/dev", "/run", "/var/run", "/var/lib/docker", "/boot", "/var/log",
};

// Directories refused only when named or when the path contains them: their
// subdirectories are checked as home directories.
constexpr std::array<std::string_view, 3> kHomeParents = {"/", "/home", "/root"};

bool is_within(const fs::path& inner, const fs::path& outer) {
    auto o = outer.begin();
    auto i = inner.begin();
    for (; o != outer.end(); ++o, ++i) {
        if (o->empty())
            continue;  // trailing separator
        if (i == inner.end() || *i != *o)
            return false;
    }
    return true;
}

bool overlaps(const fs::path& a, const fs::path& b) {
    return is_within(a, b) || is_within(b, a);
}

}  // namespace

namespace {

// The home directory `path` lies in: the user's own, /root, or /home/<name>.
std::optional<fs::path> home_of(const fs::path& path, const fs::path& real_home) {
    if (!real_home.empty() && is_within(path, real_home))
        return real_home;
    if (is_within(path, "/root"))
        return fs::path("/root");
    if (is_within(path, "/home")) {
        auto it = path.begin();
        std::advance(it, 2);  // "/", "home"
        if (it != path.end())
            return fs::path("/home") / *it;
    }
    return std::nullopt;
}

}  // namespace

namespace {

Status check_exposed_path(const fs::path& path, const fs::path& home, std::string_view label) {
    std::error_code ec;
    const auto canonical = fs::canonical(path, ec);
    if (ec)
        return Error{fmt::format("{} {}: {}", label, path.string(), ec.message())};
    const auto real_home = home.empty() ? fs::path() : fs::weakly_canonical(home, ec);

    for (const auto parent : kHomeParents) {
        if (is_within(fs::path(parent), canonical))
            return Error{fmt::format("{} {}: refusing to expose {} (it holds home directories)",
                                     label, path.string(), parent)};
    }
    if (!real_home.empty() && is_within(real_home, canonical))
        return Error{fmt::format(
            "{} {}: refusing to expose a whole home directory (it holds credentials); name the "
            "subdirectory the program needs, e.g. ~/.cache/huggingface/hub",
            label, path.string())};
    for (const auto secret : kHostSecrets) {
        if (overlaps(canonical, fs::path(secret)))
            return Error{
                fmt::format("{} {}: refusing to expose {} (host secrets and control files)", label,
                            path.string(), secret)};
    }
    if (const auto owner_home = home_of(canonical, real_home)) {
        if (canonical == *owner_home)
            return Error{fmt::format(
                "{} {}: refusing to expose a whole home directory (it holds credentials)", label,
                path.string())};
        for (const auto secret : kHomeSecrets) {
            if (overlaps(canonical, *owner_home / secret))
                return Error{fmt::format(
                    "{} {}: refusing to expose ~/{} (a credential store); name a subdirectory "
                    "that holds no credentials",
                    label, path.string(), secret)};
        }
    }
    return done();
}

}  // namespace

Status check_read_only_path(const fs::path& path, const fs::path& home) {
    return check_exposed_path(path, home, "--ro");
}

Status check_workspace_path(const fs::path& path, const fs::path& home) {
    return check_exposed_path(path, home, "workspace");
}

bool is_valid_keep_name(std::string_view name) {
    if (name.empty() || name.size() > 64 || name.front() == '.')
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    });
}

}  // namespace hazmat::sandbox
