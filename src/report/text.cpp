#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>

#include "core/exit_code.hpp"
#include "report/render.hpp"

namespace hazmat {

namespace {

struct Palette {
    bool enabled = false;
    std::string_view paint(Severity severity) const {
        if (!enabled)
            return "";
        switch (severity) {
            case Severity::critical:
                return "\x1b[1;97;41m";
            case Severity::high:
                return "\x1b[1;31m";
            case Severity::medium:
                return "\x1b[33m";
            case Severity::low:
                return "\x1b[36m";
            case Severity::info:
                return "\x1b[2m";
        }
        return "";
    }
    std::string_view bold() const { return enabled ? "\x1b[1m" : ""; }
    std::string_view dim() const { return enabled ? "\x1b[2m" : ""; }
    std::string_view reset() const { return enabled ? "\x1b[0m" : ""; }
};

std::string upper(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

// The location without its leading file, which is already the group heading.
std::string inner_location(const Location& location) {
    Location inner = location;
    if (!inner.chain.empty() && inner.chain.front().kind == LocationPart::Kind::file) {
        inner.chain.erase(inner.chain.begin());
    }
    if (!inner.chain.empty())
        return inner.to_display();
    if (inner.line) {
        return inner.column ? fmt::format("line {}, column {}", *inner.line, *inner.column)
                            : fmt::format("line {}", *inner.line);
    }
    if (inner.offset)
        return fmt::format("byte {}", *inner.offset);
    return {};
}

void render_finding(std::string& out, const Finding& finding, const Palette& palette,
                    bool details) {
    const auto label = upper(to_string(finding.severity));
    fmt::format_to(std::back_inserter(out), "  {}{:<8}{} {}{}{}  {}\n",
                   palette.paint(finding.severity), label, palette.reset(), palette.bold(),
                   finding.rule_id, palette.reset(), terminal_safe(finding.title));
    const auto where = terminal_safe(inner_location(finding.location));
    if (!where.empty())
        fmt::format_to(std::back_inserter(out), "           at {}\n", where);
    fmt::format_to(std::back_inserter(out), "           {}\n", terminal_safe(finding.message));
    if (!details)
        return;
    for (const auto& line : finding.evidence) {
        fmt::format_to(std::back_inserter(out), "           {}- {}{}\n", palette.dim(),
                       terminal_safe(line), palette.reset());
    }
    if (!finding.remediation.empty()) {
        fmt::format_to(std::back_inserter(out), "           {}what to do:{} {}\n", palette.bold(),
                       palette.reset(), terminal_safe(finding.remediation));
    }
    if (!finding.fingerprint.empty()) {
        fmt::format_to(std::back_inserter(out), "           {}fingerprint: {}{}\n", palette.dim(),
                       terminal_safe(finding.fingerprint), palette.reset());
    }
}

std::string format_list(const ScanStats& stats) {
    std::string out;
    for (const auto& [name, count] : stats.formats) {
        if (!out.empty())
            out += ", ";
        out += fmt::format("{} {}", count, terminal_safe(name));
    }
    return out;
}

// "3 safetensors clean; 1 keras: 1 with findings; 2 gguf: 1 clean, 1 unverified".
std::string outcome_list(const ScanStats& stats) {
    std::string out;
    for (const auto& [name, outcome] : stats.outcomes) {
        if (!out.empty())
            out += "; ";
        if (outcome.clean == outcome.objects) {
            out += fmt::format("{} {} clean", outcome.objects, terminal_safe(name));
            continue;
        }
        std::vector<std::string> parts;
        if (outcome.clean > 0)
            parts.push_back(fmt::format("{} clean", outcome.clean));
        if (outcome.with_findings > 0)
            parts.push_back(fmt::format("{} with findings", outcome.with_findings));
        if (outcome.unverified > 0)
            parts.push_back(fmt::format("{} unverified", outcome.unverified));
        out +=
            fmt::format("{} {}: {}", outcome.objects, terminal_safe(name), fmt::join(parts, ", "));
    }
    return out;
}

}  // namespace

std::string terminal_safe(std::string_view text) {
    const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte >= 0x20 && byte < 0x7f;
    });
    if (plain)
        return std::string(text);
    std::string out;
    out.reserve(text.size() + 16);
    const auto byte_at = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
    for (size_t i = 0; i < text.size();) {
        const unsigned char c = byte_at(i);
        if (c < 0x20 || c == 0x7f) {
            switch (c) {
                case '\n':
                    out += "\\n";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                case '\t':
                    out += "\\t";
                    break;
                default:
                    out += fmt::format("\\x{:02x}", c);
            }
            ++i;
            continue;
        }
        if (c < 0x80) {
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        // A well-formed UTF-8 sequence (no overlong forms, no surrogates).
        size_t length = 0;
        unsigned char low = 0x80;
        unsigned char high = 0xbf;
        if (c >= 0xc2 && c <= 0xdf) {
            length = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            length = 3;
            low = c == 0xe0 ? 0xa0 : 0x80;
            high = c == 0xed ? 0x9f : 0xbf;
        } else if (c >= 0xf0 && c <= 0xf4) {
            length = 4;
            low = c == 0xf0 ? 0x90 : 0x80;
            high = c == 0xf4 ? 0x8f : 0xbf;
        }
        bool valid = length > 0 && i + length <= text.size();
        for (size_t k = 1; valid && k < length; ++k) {
            const unsigned char next = byte_at(i + k);
            valid = k == 1 ? next >= low && next <= high : next >= 0x80 && next <= 0xbf;
        }
        if (!valid) {
            out += fmt::format("\\x{:02x}", c);
            ++i;
            continue;
        }
        if (length == 2 && c == 0xc2 && byte_at(i + 1) <= 0x9f) {
            out += fmt::format("\\u{:04x}", byte_at(i + 1));
        } else {
            out.append(text.substr(i, length));
        }
        i += length;
    }
    return out;
}

std::string render_text(const Report& report, const TextOptions& options) {
    const Palette palette{options.color};
    std::string out;

    // Group by the file on disk, keeping the report's stable order of files
    // and putting the most severe findings of each file first.
    std::vector<std::string> files;
    std::map<std::string, std::vector<const Finding*>> by_file;
    for (const auto& finding : report.findings()) {
        const auto& file = finding.location.file();
        auto [it, inserted] = by_file.try_emplace(file);
        if (inserted)
            files.push_back(file);
        it->second.push_back(&finding);
    }
    for (const auto& file : files) {
        auto& group = by_file[file];
        std::stable_sort(group.begin(), group.end(), [](const Finding* a, const Finding* b) {
            return a->severity > b->severity;
        });
        const std::string unplaced = report.command_status ? "(process activity)" : "(target)";
        fmt::format_to(std::back_inserter(out), "{}{}{}\n", palette.bold(),
                       terminal_safe(file.empty() ? unplaced : file), palette.reset());
        for (const auto* finding : group) {
            render_finding(out, *finding, palette,
                           options.verbose || finding->severity >= report.fail_on);
        }
        out += '\n';
    }

    const auto& stats = report.stats();
    std::map<Severity, size_t> counts;
    for (const auto& finding : report.findings())
        ++counts[finding.severity];
    std::string tally;
    for (const auto severity :
         {Severity::critical, Severity::high, Severity::medium, Severity::low, Severity::info}) {
        if (counts[severity] == 0)
            continue;
        if (!tally.empty())
            tally += ", ";
        tally += fmt::format("{}{} {}{}", palette.paint(severity), counts[severity],
                             to_string(severity), palette.reset());
    }
    if (tally.empty())
        tally = "no findings";
    for (const auto& note : report.notes) {
        fmt::format_to(std::back_inserter(out), "{}{}{}\n", palette.bold(),
                       terminal_safe(note.title), palette.reset());
        for (const auto& line : note.lines)
            fmt::format_to(std::back_inserter(out), "  {}\n", terminal_safe(line));
        out += '\n';
    }
    if (report.command_status) {
        const auto& status = *report.command_status;
        std::string ended;
        switch (status.state) {
            case CommandStatus::State::exited:
                ended = fmt::format("exited with status {}", status.exit_code);
                break;
            case CommandStatus::State::signaled:
                ended = fmt::format("was killed by signal {}", status.signal);
                break;
            case CommandStatus::State::timed_out:
                ended = "timed out";
                break;
            case CommandStatus::State::not_started:
                ended = "could not be started";
                break;
        }
        fmt::format_to(std::back_inserter(out),
                       "The command {} after {:.2f} s: {}. Verdict: {}{}{}.\n", ended,
                       report.duration.count() / 1000.0, tally, palette.bold(),
                       terminal_safe(report.verdict), palette.reset());
    } else {
        const auto formats = format_list(stats);
        fmt::format_to(std::back_inserter(out),
                       "Examined {} file{} ({} objects{}{}) in {:.2f} s: {}.\n", stats.files,
                       stats.files == 1 ? "" : "s", stats.blobs, formats.empty() ? "" : "; ",
                       formats, report.duration.count() / 1000.0, tally);
        const auto outcomes = outcome_list(stats);
        if (!outcomes.empty())
            fmt::format_to(std::back_inserter(out), "By format: {}.\n", outcomes);
    }
    const auto tripping = report.count_at_least(report.fail_on);
    if (tripping > 0) {
        fmt::format_to(std::back_inserter(out),
                       "{}{} finding{} at or above '{}': do not load or run this until you have "
                       "read {}.{}\n",
                       palette.bold(), tripping, tripping == 1 ? "" : "s",
                       to_string(report.fail_on), tripping == 1 ? "it" : "them", palette.reset());
    } else {
        fmt::format_to(std::back_inserter(out), "Nothing at or above '{}'.\n",
                       to_string(report.fail_on));
    }
    return out;
}

}  // namespace hazmat
