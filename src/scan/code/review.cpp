#include "scan/code/review.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"
#include "scan/code/code_rule_ids.hpp"
#include "scan/code/indicators.hpp"
#include "scan/code/javascript_rules.hpp"
#include "scan/code/prefilter.hpp"
#include "scan/code/python_module.hpp"
#include "scan/code/python_rules.hpp"
#include "scan/code/shell_rules.hpp"

namespace hazmat::code {

namespace {

// Parsing is linear in practice; the budget only stops inputs built to make
// tree-sitter's error recovery explode.
constexpr uint64_t kParseTimeoutMicros = 20'000'000;

ObservationLog::Unit unit_of(const UnitSpec& spec) {
    return {spec.location, spec.trigger, spec.role, spec.inherited};
}

void report_parse_failure(ScanContext& context, const UnitSpec& spec, const Error& error) {
    context.report_limit(LimitKind::timeout, spec.location, error.message);
}

// Invisible and bidirectional code points (UTF-8), the Trojan Source set.
struct InvisibleCharacter {
    std::string_view bytes;
    std::string_view name;
};
constexpr InvisibleCharacter kInvisible[] = {
    {"\xE2\x80\xAA", "LEFT-TO-RIGHT EMBEDDING"},
    {"\xE2\x80\xAB", "RIGHT-TO-LEFT EMBEDDING"},
    {"\xE2\x80\xAC", "POP DIRECTIONAL FORMATTING"},
    {"\xE2\x80\xAD", "LEFT-TO-RIGHT OVERRIDE"},
    {"\xE2\x80\xAE", "RIGHT-TO-LEFT OVERRIDE"},
    {"\xE2\x81\xA6", "LEFT-TO-RIGHT ISOLATE"},
    {"\xE2\x81\xA7", "RIGHT-TO-LEFT ISOLATE"},
    {"\xE2\x81\xA8", "FIRST STRONG ISOLATE"},
    {"\xE2\x81\xA9", "POP DIRECTIONAL ISOLATE"},
    {"\xE2\x80\x8B", "ZERO WIDTH SPACE"},
    {"\xE2\x80\x8C", "ZERO WIDTH NON-JOINER"},
    {"\xE2\x80\x8D", "ZERO WIDTH JOINER"},
    {"\xE2\x81\xA0", "WORD JOINER"},
    {"\xE3\x85\xA4", "HANGUL FILLER"},
    {"\xE1\x85\x9F", "HANGUL CHOSEONG FILLER"},
    {"\xEF\xBB\xBF", "ZERO WIDTH NO-BREAK SPACE"},
};

constexpr size_t kOffScreenRun = 100;
constexpr size_t kLongLine = 4096;
// LIMITATION: identifier soup needs 8 distinct obfuscator-style names; a
// file with fewer is not reported (ordinary code has the odd `_0x...`).
constexpr size_t kSoupThreshold = 8;

bool is_identifier_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$';
}

}  // namespace

void Reviewer::text_checks(std::string_view text, SourceLanguage language, ObservationLog& log,
                           const UnitSpec& spec) {
    const auto observe = [&](std::string_view rule, Severity single, uint32_t line, uint32_t column,
                             std::string message, SignalSet corroborators, bool same_line) {
        Observation observation;
        observation.rule_id = rule;
        observation.single = single;
        observation.line = unit_line(spec, line);
        observation.column = column;
        observation.message = std::move(message);
        observation.own = {Signal::obfuscation};
        observation.corroborators = corroborators;
        observation.same_line = same_line;
        observation.file_wide = !same_line;
        log.signal(kModuleScope, Signal::obfuscation, observation.line, std::string(rule));
        log.observe(std::move(observation));
    };
    const SignalSet dangerous = {Signal::exec_data, Signal::download, Signal::credential,
                                 Signal::env_dump,  Signal::exfil,    Signal::persistence,
                                 Signal::process,   Signal::network,  Signal::decode};

    // Every invisible character is a three-byte sequence led by 0xE1..0xEF.
    bool invisible_reported = std::none_of(text.begin(), text.end(), [](char c) {
        return static_cast<unsigned char>(c) >= 0xE1 && static_cast<unsigned char>(c) <= 0xEF;
    });
    bool long_line_reported = false;
    std::set<std::string> soup;
    uint32_t first_soup_line = 0;
    uint32_t line = 1;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos)
            end = text.size();
        const auto content = text.substr(start, end - start);

        if (auto marker = suppression_marker(content))
            log.suppression_marker(unit_line(spec, line), std::move(*marker));

        if (!invisible_reported) {
            for (const auto& character : kInvisible) {
                const size_t at = content.find(character.bytes);
                // A byte order mark at the very start of a file is ordinary.
                if (at == std::string_view::npos ||
                    (start == 0 && at == 0 && character.bytes == "\xEF\xBB\xBF"))
                    continue;
                observe(rules::kInvisibleCharacters, Severity::medium, line,
                        static_cast<uint32_t>(at + 1),
                        fmt::format(
                            "Source contains U+{} ({}), which changes how the line "
                            "displays without changing how it runs.",
                            [&] {
                                // Decode the 3-byte sequence for the message.
                                const auto b = character.bytes;
                                const uint32_t cp = ((static_cast<uint8_t>(b[0]) & 0x0F) << 12) |
                                                    ((static_cast<uint8_t>(b[1]) & 0x3F) << 6) |
                                                    (static_cast<uint8_t>(b[2]) & 0x3F);
                                return fmt::format("{:04X}", cp);
                            }(),
                            character.name),
                        dangerous, false);
                invisible_reported = true;
                break;
            }
        }

        // Code after a long run of blanks sits beyond the right edge of
        // editors and diff views.
        size_t run_start = 0;
        size_t run = 0;
        bool seen_code = false;
        for (size_t i = 0; i < content.size(); ++i) {
            const char c = content[i];
            if (c == ' ' || c == '\t') {
                if (run++ == 0)
                    run_start = i;
                continue;
            }
            if (run >= kOffScreenRun && (seen_code || run_start >= 2 * kOffScreenRun) && c != '#') {
                observe(rules::kOffScreenCode, Severity::medium, line, static_cast<uint32_t>(i + 1),
                        fmt::format("Code starts after {} blanks at column {}, off-screen in "
                                    "most editors.",
                                    run, i + 1),
                        dangerous, true);
                break;
            }
            run = 0;
            seen_code = true;
        }

        // A long line is a fact about the file as it sits on disk, reported
        // once there at a fixed low severity: every layer of a decoded
        // payload is a long line too, and the exec or decode that makes it
        // dangerous is reported by its own rule.
        if (!long_line_reported && content.size() > kLongLine &&
            language != SourceLanguage::javascript && !spec.derived) {
            Observation observation;
            observation.rule_id = rules::kOpaqueBlob;
            observation.single = Severity::low;
            observation.fixed = true;
            observation.line = unit_line(spec, line);
            observation.column = 1;
            observation.message = fmt::format("A {}-character line.", content.size());
            log.observe(std::move(observation));
            long_line_reported = true;
        }

        // _0x1a2b3c and O0O0O0 identifiers, as obfuscators emit them. Only
        // words starting with '_', 'O', 'I' or 'l' can qualify.
        if (soup.size() < kSoupThreshold) {
            for (size_t i = content.find_first_of("_OIl"); i != std::string_view::npos;
                 i = content.find_first_of("_OIl", i + 1)) {
                if (i > 0 && is_identifier_char(content[i - 1]))
                    continue;
                size_t j = i;
                while (j < content.size() && is_identifier_char(content[j]))
                    ++j;
                const auto word = content.substr(i, j - i);
                const bool hex_style = word.size() >= 6 && word.starts_with("_0x");
                const bool o_style = word.size() >= 6 &&
                                     word.find_first_not_of("O0") == std::string_view::npos &&
                                     word.front() == 'O';
                const bool l_style =
                    word.size() >= 7 && word.find_first_not_of("Il1") == std::string_view::npos;
                if (hex_style || o_style || l_style) {
                    if (soup.empty())
                        first_soup_line = line;
                    soup.emplace(word);
                }
                i = j;
                if (i >= content.size())
                    break;
            }
        }

        if (end == text.size())
            break;
        start = end + 1;
        ++line;
    }
    if (soup.size() >= kSoupThreshold) {
        observe(rules::kIdentifierSoup, Severity::medium, first_soup_line, 1,
                fmt::format("At least {} obfuscator-style identifiers ({} ...).", soup.size(),
                            *soup.begin()),
                {Signal::exec_data, Signal::decode, Signal::network, Signal::download}, false);
    }
}

void Reviewer::python(std::string_view text, const UnitSpec& spec) {
    // LIMITATION: the lexical prefilter decides from names and string
    // contents; code that reaches a dangerous call without spelling any of
    // the names it looks for is not parsed (the text checks still run).
    if (spec.decode_depth == 0 && !spec.setup_py && !python_needs_review(text)) {
        ObservationLog log;
        text_checks(text, SourceLanguage::python, log, spec);
        log.emit(unit_of(spec), context_);
        return;
    }
    auto module = PythonModule::parse(text, kParseTimeoutMicros);
    if (!module) {
        report_parse_failure(context_, spec, module.error());
        return;
    }
    // LIMITATION: tree-sitter recovers from syntax errors (Python 2 code,
    // templates) and the rules run on what it recovered; a construct the
    // grammar misreads is not reported as unparseable, because doing so
    // would flag every Python 2 file.
    if (module->tree().has_errors())
        spdlog::debug("{}: Python syntax errors; reviewing the recovered tree",
                      spec.location.to_display());
    ObservationLog log;
    review_python_module(*module, spec, log, *this);
    text_checks(text, SourceLanguage::python, log, spec);
    log.emit(unit_of(spec), context_);
}

void Reviewer::javascript(std::string_view text, const UnitSpec& spec) {
    if (spec.decode_depth == 0 && !javascript_needs_review(text)) {
        ObservationLog log;
        text_checks(text, SourceLanguage::javascript, log, spec);
        log.emit(unit_of(spec), context_);
        return;
    }
    auto tree = SyntaxTree::parse(SourceLanguage::javascript, text, kParseTimeoutMicros);
    if (!tree) {
        report_parse_failure(context_, spec, tree.error());
        return;
    }
    ObservationLog log;
    review_javascript_tree(*tree, spec, log, *this);
    text_checks(text, SourceLanguage::javascript, log, spec);
    log.emit(unit_of(spec), context_);
}

void Reviewer::shell(std::string_view text, const UnitSpec& spec) {
    auto tree = SyntaxTree::parse(SourceLanguage::bash, text, kParseTimeoutMicros);
    if (!tree) {
        report_parse_failure(context_, spec, tree.error());
        return;
    }
    ObservationLog log;
    review_shell_tree(*tree, spec, ShellPlacement{}, log, *this);
    text_checks(text, SourceLanguage::bash, log, spec);
    log.emit(unit_of(spec), context_);
}

void Reviewer::shell_fragment(std::string_view command, ObservationLog& log, ScopeId scope,
                              uint32_t line, uint32_t column, std::optional<Trigger> trigger,
                              const UnitSpec& parent) {
    auto tree = SyntaxTree::parse(SourceLanguage::bash, command, kParseTimeoutMicros);
    if (!tree)
        return;
    ShellPlacement where;
    where.scope = scope;
    where.trigger = trigger;
    where.fixed_position = std::make_pair(line, column);
    review_shell_tree(*tree, parent, where, log, *this);
}

void Reviewer::unfolded(const UnitSpec& spec, uint32_t line, uint32_t column, std::string_view what,
                        std::string evidence) {
    Location location = spec.location;
    location.line = line;
    location.column = column;
    auto finding = Finding::make(
        rules::kScanLimit,
        fmt::format("{} is built from more pieces, nesting or text than hazmat folds; what it "
                    "runs was not verified.",
                    what),
        std::move(location));
    finding.with_evidence(std::move(evidence));
    context_.report(std::move(finding));
}

uint32_t Reviewer::embedded(std::string_view text, SourceLanguage language, const UnitSpec& parent,
                            uint32_t line, std::string description, SignalSet inherited,
                            bool counts_as_layer) {
    UnitSpec spec = parent;
    spec.location = parent.location;
    spec.location.line.reset();
    spec.location.column.reset();
    auto& chain = spec.location.chain;
    if (counts_as_layer && parent.decode_depth > 0 && !chain.empty() &&
        chain.back().kind == LocationPart::Kind::embedded) {
        // An onion of payloads is one location: where the outermost layer
        // sits, and how deep inside it the finding is.
        auto& name = chain.back().name;
        name = name.substr(0, name.find(", layer ")) +
               fmt::format(", layer {}", parent.decode_depth + 1);
    } else {
        spec.location = spec.location.child(LocationPart::Kind::embedded, std::move(description));
    }
    spec.line_offset = 0;
    spec.inherited = parent.inherited | inherited;
    spec.decode_depth = parent.decode_depth + (counts_as_layer ? 1 : 0);
    spec.setup_py = false;
    spec.derived = true;
    if (spec.decode_depth > kMaxDecodeDepth) {
        context_.report_limit(
            LimitKind::depth, parent.location,
            fmt::format("payload encoded in more than {} layers (line {})", kMaxDecodeDepth, line));
        return parent.decode_depth;
    }
    // Decoded text counts against the file's expansion budget like any other
    // decompressed content, so nested payloads cannot multiply work.
    if (counts_as_layer && !context_.charge_expansion(text.size(), parent.location))
        return parent.decode_depth;
    const uint32_t outer_deepest = deepest_layer_;
    deepest_layer_ = spec.decode_depth;
    switch (language) {
        case SourceLanguage::python:
            python(text, spec);
            break;
        case SourceLanguage::javascript:
            javascript(text, spec);
            break;
        case SourceLanguage::bash:
            shell(text, spec);
            break;
    }
    const uint32_t reached = deepest_layer_;
    deepest_layer_ = std::max(outer_deepest, reached);
    return reached;
}

}  // namespace hazmat::code
