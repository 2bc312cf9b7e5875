#include "sandbox/environment.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <vector>

namespace hazmat::sandbox {

namespace {

bool passes_through(std::string_view name) {
    return name == "PATH" || name == "LANG" || name == "TERM" || name == "TZ" ||
           name == "LANGUAGE" || name.starts_with("LC_");
}

bool is_valid_name(std::string_view name) {
    return !name.empty() && !std::isdigit(static_cast<unsigned char>(name.front())) &&
           std::all_of(name.begin(), name.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
           });
}

// PATH without the entries that do not exist inside the sandbox: the
// user's own bin directories would only tell the program where the real
// home is (and that the user is root, for /root/...).
std::string sandbox_path(std::string_view path) {
    static constexpr std::string_view kVisible[] = {"/usr/", "/bin", "/sbin", "/opt/", "/lib"};
    std::string out;
    std::vector<std::string_view> seen;
    size_t start = 0;
    while (start <= path.size()) {
        auto end = path.find(':', start);
        if (end == std::string_view::npos)
            end = path.size();
        const auto entry = path.substr(start, end - start);
        start = end + 1;
        const bool visible =
            std::any_of(std::begin(kVisible), std::end(kVisible),
                        [&](std::string_view prefix) { return entry.starts_with(prefix); });
        if (!visible || std::find(seen.begin(), seen.end(), entry) != seen.end())
            continue;
        seen.push_back(entry);
        if (!out.empty())
            out += ':';
        out += entry;
    }
    return out.empty() ? "/usr/local/bin:/usr/bin:/bin" : out;
}

}  // namespace

Result<std::vector<std::string>> sandbox_environment(const Persona& persona, const DecoySet& decoys,
                                                     const std::vector<std::string>& grants,
                                                     const std::string& working_directory,
                                                     char** host_environment) {
    std::map<std::string, std::string> host;
    for (char** entry = host_environment; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const auto equals = text.find('=');
        if (equals != std::string_view::npos)
            host.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
    }

    std::map<std::string, std::string> env;
    for (const auto& [name, value] : host) {
        if (passes_through(name))
            env[name] = name == "PATH" ? sandbox_path(value) : value;
    }
    if (!env.count("PATH"))
        env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    env["HOME"] = persona.home();
    env["USER"] = persona.user_name;
    env["LOGNAME"] = persona.user_name;
    env["SHELL"] = "/bin/bash";
    env["PWD"] = working_directory;
    for (const auto& [name, value] : decoys.environment)
        env[name] = value;

    for (const auto& grant : grants) {
        const auto equals = grant.find('=');
        const auto name = grant.substr(0, equals);
        if (!is_valid_name(name))
            return Error{fmt::format("--env {}: not a valid variable name", grant)};
        if (equals != std::string::npos) {
            env[name] = grant.substr(equals + 1);
        } else if (const auto it = host.find(name); it != host.end()) {
            env[name] = it->second;
        } else {
            return Error{
                fmt::format("--env {}: not set in hazmat's environment; use --env "
                            "{}=VALUE",
                            name, name)};
        }
    }

    std::vector<std::string> out;
    out.reserve(env.size());
    for (const auto& [name, value] : env)
        out.push_back(name + "=" + value);
    return out;
}

}  // namespace hazmat::sandbox
