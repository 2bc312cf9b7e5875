#include "scan/deps/python_requirement.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "scan/deps/pep440.hpp"
#include "scan/deps/text.hpp"

namespace hazmat::deps {

namespace {

bool is_name_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || u >= 0x80;
}

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

constexpr std::string_view kArchiveExtensions[] = {".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2",
                                                   ".tbz", ".tar.xz", ".txz", ".tar", ".egg"};

// Splits "name-1.0.tar.gz" / "name-1.0-py3-none-any.whl" into name and version.
void name_from_archive(std::string_view file, DirectReference& reference) {
    const auto lowered = lower(file);
    std::string_view stem = file;
    bool wheel = false;
    for (const auto ext : kArchiveExtensions) {
        if (std::string_view(lowered).ends_with(ext)) {
            stem = file.substr(0, file.size() - ext.size());
            wheel = ext == ".whl";
            break;
        }
    }
    if (stem.size() == file.size())
        return;
    if (wheel) {
        // Wheel names escape '-' as '_', so the first '-' ends the name.
        const auto dash = stem.find('-');
        reference.name = std::string(stem.substr(0, dash));
        if (dash != std::string_view::npos) {
            const auto rest = stem.substr(dash + 1);
            reference.version = std::string(rest.substr(0, rest.find('-')));
        }
        return;
    }
    // An sdist's name may contain '-'; its version starts at the last
    // '-' that is followed by a digit.
    for (size_t i = stem.size(); i-- > 1;) {
        if (stem[i - 1] == '-' && i < stem.size() && stem[i] >= '0' && stem[i] <= '9') {
            reference.name = std::string(stem.substr(0, i - 1));
            reference.version = std::string(stem.substr(i));
            return;
        }
    }
    reference.name = std::string(stem);
}

std::string fragment_value(std::string_view fragment, std::string_view key) {
    size_t start = 0;
    while (start <= fragment.size()) {
        const size_t end = fragment.find('&', start);
        const auto pair = fragment.substr(start, end == std::string_view::npos ? end : end - start);
        if (pair.starts_with(key) && pair.size() > key.size() && pair[key.size()] == '=')
            return std::string(pair.substr(key.size() + 1));
        if (end == std::string_view::npos)
            break;
        start = end + 1;
    }
    return {};
}

}  // namespace

bool looks_like_url(std::string_view text) {
    if (text.find("://") != std::string_view::npos)
        return true;
    for (const std::string_view prefix : {"git+", "hg+", "svn+", "bzr+", "file:"}) {
        if (istarts_with(text, prefix))
            return true;
    }
    return false;
}

bool looks_like_path(std::string_view text) {
    if (text.starts_with('.') || text.starts_with('/') || text.starts_with('~') ||
        text.find('/') != std::string_view::npos || text.find('\\') != std::string_view::npos)
        return true;
    const auto lowered = lower(text);
    return std::any_of(std::begin(kArchiveExtensions), std::end(kArchiveExtensions),
                       [&](std::string_view ext) { return lowered.ends_with(ext); });
}

bool is_commit_ref(std::string_view ref) {
    return ref.size() >= 7 && ref.size() <= 64 && std::all_of(ref.begin(), ref.end(), is_hex);
}

Result<Pep508> parse_pep508(std::string_view text) {
    text = trim(text);
    Pep508 result;
    size_t i = 0;
    while (i < text.size() && is_name_char(text[i]))
        ++i;
    result.name = std::string(text.substr(0, i));
    if (result.name.empty())
        return Error{fmt::format("'{}' does not start with a package name", text)};
    const auto skip_space = [&] {
        while (i < text.size() && is_space(text[i]))
            ++i;
    };
    skip_space();
    if (i < text.size() && text[i] == '[') {
        const auto close = text.find(']', i);
        if (close == std::string_view::npos)
            return Error{fmt::format("'{}': unclosed '['", text)};
        auto extras = text.substr(i + 1, close - i - 1);
        while (!extras.empty()) {
            const auto comma = extras.find(',');
            const auto extra = trim(extras.substr(0, comma));
            if (!extra.empty())
                result.extras.emplace_back(extra);
            if (comma == std::string_view::npos)
                break;
            extras.remove_prefix(comma + 1);
        }
        i = close + 1;
        skip_space();
    }

    if (i < text.size() && text[i] == '@') {
        ++i;
        skip_space();
        const size_t start = i;
        while (i < text.size() && !is_space(text[i]))
            ++i;
        result.url = std::string(text.substr(start, i - start));
        if (result.url.empty())
            return Error{fmt::format("'{}': '@' without a URL", text)};
    } else if (i < text.size() && text[i] == '(') {
        const auto close = text.find(')', i);
        if (close == std::string_view::npos)
            return Error{fmt::format("'{}': unclosed '('", text)};
        result.specifiers = std::string(trim(text.substr(i + 1, close - i - 1)));
        i = close + 1;
    } else {
        const size_t start = i;
        while (i < text.size() && text[i] != ';')
            ++i;
        result.specifiers = std::string(trim(text.substr(start, i - start)));
    }
    skip_space();
    if (i < text.size()) {
        if (text[i] != ';')
            return Error{fmt::format("'{}': unexpected '{}'", text, text.substr(i))};
        result.markers = std::string(trim(text.substr(i + 1)));
        if (result.markers.empty())
            return Error{fmt::format("'{}': ';' without an environment marker", text)};
    }
    if (auto parsed = pep440::parse_specifiers(result.specifiers); !parsed)
        return Error{fmt::format("'{}': {}", text, parsed.error().message)};
    return result;
}

DirectReference classify_python_reference(std::string_view reference) {
    DirectReference result;
    std::string_view url = trim(reference);
    std::string_view fragment;
    if (const auto hash = url.find('#'); hash != std::string_view::npos) {
        fragment = url.substr(hash + 1);
        url = url.substr(0, hash);
    }
    const bool vcs = istarts_with(url, "git+") || istarts_with(url, "hg+") ||
                     istarts_with(url, "svn+") || istarts_with(url, "bzr+") ||
                     (istarts_with(url, "git://")) || lower(url).ends_with(".git");
    if (vcs) {
        result.kind = SourceKind::git;
        // The ref follows the last '@' of the path, not the one of "git@host".
        const auto scheme = url.find("://");
        const auto path_start = url.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
        const auto at = url.rfind('@');
        if (at != std::string_view::npos && path_start != std::string_view::npos && at > path_start)
            result.git_ref = std::string(url.substr(at + 1));
    } else if (looks_like_url(url) && !istarts_with(url, "file:")) {
        result.kind = SourceKind::url;
    } else {
        result.kind = SourceKind::path;
    }
    if (const auto egg = fragment_value(fragment, "egg"); !egg.empty()) {
        // "#egg=name-1.0" is an old spelling that carries a version too.
        const auto dash = egg.find('-');
        result.name = egg.substr(0, dash);
        return result;
    }
    if (result.kind != SourceKind::git) {
        auto file = base_name(url);
        if (const auto query = file.find('?'); query != std::string_view::npos)
            file = file.substr(0, query);
        name_from_archive(file, result);
    }
    return result;
}

Result<Dependency> python_dependency(std::string_view requirement) {
    auto parsed = parse_pep508(requirement);
    if (!parsed)
        return parsed.error();
    Dependency dependency;
    dependency.ecosystem = Ecosystem::pypi;
    dependency.name = parsed->name;
    dependency.normalized = normalize_name(Ecosystem::pypi, parsed->name);
    dependency.requirement = parsed->specifiers;
    if (!parsed->url.empty()) {
        const auto reference = classify_python_reference(parsed->url);
        dependency.source = reference.kind;
        dependency.url = parsed->url;
        dependency.git_ref = reference.git_ref;
        if (!reference.version.empty())
            dependency.pinned = reference.version;
        return dependency;
    }
    if (const auto specifiers = pep440::parse_specifiers(parsed->specifiers); specifiers) {
        if (const auto pinned = specifiers->pinned())
            dependency.pinned = pinned->to_string();
    }
    return dependency;
}

namespace {

// "name @ url" is PEP 508 even though it contains a URL.
bool is_named_url(std::string_view text) {
    size_t i = 0;
    while (i < text.size() && !is_space(text[i]) && text[i] != '@' && text[i] != '[' &&
           text[i] != '/' && text[i] != ':')
        ++i;
    if (i == 0)
        return false;
    while (i < text.size() && is_space(text[i]))
        ++i;
    if (i < text.size() && text[i] == '[') {
        const auto close = text.find(']', i);
        if (close == std::string_view::npos)
            return false;
        i = close + 1;
        while (i < text.size() && is_space(text[i]))
            ++i;
    }
    return i < text.size() && text[i] == '@';
}

}  // namespace

Result<Dependency> python_requirement_or_reference(std::string_view text) {
    if (!is_named_url(text) && (looks_like_url(text) || looks_like_path(text)))
        return python_reference_dependency(text);
    return python_dependency(text);
}

Dependency python_reference_dependency(std::string_view reference) {
    const auto classified = classify_python_reference(reference);
    Dependency dependency;
    dependency.ecosystem = Ecosystem::pypi;
    dependency.name = classified.name;
    dependency.normalized = normalize_name(Ecosystem::pypi, classified.name);
    dependency.source = classified.kind;
    dependency.url = std::string(trim(reference));
    dependency.git_ref = classified.git_ref;
    if (!classified.version.empty())
        dependency.pinned = classified.version;
    return dependency;
}

}  // namespace hazmat::deps
