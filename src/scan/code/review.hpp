#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/location.hpp"
#include "scan/code/observations.hpp"
#include "scan/code/syntax_tree.hpp"

namespace hazmat {
class ScanContext;
}

namespace hazmat::code {

// What a unit of source text is and how its positions map to findings.
struct UnitSpec {
    Location location;  // line/column of findings apply to this location
    Trigger trigger = Trigger::import;
    PathRole role = PathRole::package;
    // Lines of the unit start at this line of `location` (a Dockerfile RUN
    // body or a workflow run: block inside the file); 0 for a whole file.
    uint32_t line_offset = 0;
    // Signals of the code that produced this unit (a decoded payload
    // inherits "obfuscation").
    SignalSet inherited;
    // Layers of decoding that led here; bounded by kMaxDecodeDepth.
    uint32_t decode_depth = 0;
    bool setup_py = false;
    // Text produced from another unit's text (a decoded payload, a code
    // string handed to exec) rather than read from the file; facts about the
    // file's own lines are reported on the file, not again here.
    bool derived = false;
    // The file's name, for rules that depend on it.
    std::string name;
};

// Deepest chain of decoded payloads that is rescanned. Each layer is a full
// rescan of text produced by folding the previous one, so an onion of
// base64+zlib layers is unwrapped to its core.
inline constexpr uint32_t kMaxDecodeDepth = 64;

// Reviews the source units of one blob. Language reviewers call back into it
// for embedded content: shell commands inside Python strings, decoded
// payloads, code strings passed to exec.
class Reviewer {
  public:
    explicit Reviewer(ScanContext& context) : context_(context) {}

    ScanContext& context() { return context_; }

    void python(std::string_view text, const UnitSpec& spec);
    void javascript(std::string_view text, const UnitSpec& spec);
    void shell(std::string_view text, const UnitSpec& spec);

    // A shell command embedded in another language (os.system("..."), a
    // package.json script). Its observations go into `log` at a fixed
    // position, in `scope`.
    void shell_fragment(std::string_view command, ObservationLog& log, ScopeId scope, uint32_t line,
                        uint32_t column, std::optional<Trigger> trigger, const UnitSpec& parent);

    // Text produced by decoding (or a code string handed to exec), reviewed
    // as its own unit under an embedded location part naming where it came
    // from. Returns the deepest decode depth reached inside it.
    uint32_t embedded(std::string_view text, SourceLanguage language, const UnitSpec& parent,
                      uint32_t line, std::string description, SignalSet inherited,
                      bool counts_as_layer);

    // A value that decides what runs (the argument of exec or of a process
    // call) could not be folded because a folding bound was hit: reported as
    // not verified (HZ-SCAN-001), never as a quiet medium. `what` names the
    // value ("the argument of os.system()").
    void unfolded(const UnitSpec& spec, uint32_t line, uint32_t column, std::string_view what,
                  std::string evidence);

    // Checks on raw text shared by every language (invisible characters,
    // off-screen code, long lines, suppression markers), into `log`.
    void text_checks(std::string_view text, SourceLanguage language, ObservationLog& log,
                     const UnitSpec& spec);

  private:
    ScanContext& context_;
    uint32_t deepest_layer_ = 0;
};

// Lines of a unit shifted into the enclosing file.
inline uint32_t unit_line(const UnitSpec& spec, uint32_t line) {
    return spec.line_offset + line;
}

}  // namespace hazmat::code
