#include <fmt/format.h>

#include <map>

#include "scan/code/python_module.hpp"
#include "scan/deps/parsers.hpp"
#include "scan/deps/text.hpp"

// setup.py: the arguments of its setup() call, read from the syntax tree by
// the code analyzer's Python parser and folded from literals, never run.
namespace hazmat::deps {

namespace {

// A setup.py is small; a file that does not parse in this time is reported
// as unreadable rather than holding up the scan.
constexpr uint64_t kParseTimeoutMicros = 5'000'000;

// Where each string literal of a subtree starts, by its value: the line a
// requirement is reported at is the line of the literal that spells it,
// also when the list is bound to a name elsewhere in the file.
class LiteralLines {
  public:
    LiteralLines(const code::PythonModule& module, TSNode root) {
        if (ts_node_is_null(root))
            return;
        // The cursor walks only the subtree of `root`: it cannot leave it.
        TSTreeCursor cursor = ts_tree_cursor_new(root);
        while (true) {
            const TSNode node = ts_tree_cursor_current_node(&cursor);
            bool descend = true;
            if (code::is_type(node, "string")) {
                const auto value = module.evaluate(node);
                if (value && value->exact && value->is_text())
                    lines_.emplace(value->text, code::line_of(node));
                descend = false;
            }
            if (descend && ts_tree_cursor_goto_first_child(&cursor))
                continue;
            bool more = true;
            while (more && !ts_tree_cursor_goto_next_sibling(&cursor))
                more = ts_tree_cursor_goto_parent(&cursor);
            if (!more)
                break;
        }
        ts_tree_cursor_delete(&cursor);
    }

    // The first line of a literal with exactly this value, or 0.
    uint32_t find(const std::string& value) const {
        const auto found = lines_.find(value);
        return found == lines_.end() ? 0 : found->second;
    }

  private:
    std::map<std::string, uint32_t, std::less<>> lines_;  // first occurrence kept
};

class SetupPyReader {
  public:
    SetupPyReader(const code::PythonModule& module, const code::SetupCall& setup,
                  Manifest& manifest)
        : module_(module),
          setup_(setup),
          manifest_(manifest),
          file_lines_(module, module.tree().root()) {}

    void read() {
        for (const auto& key : setup_.unresolved) {
            if (is_requirement_keyword(key))
                computed(argument_line(key),
                         fmt::format("setup() computes '{}' when it runs", key));
        }
        if (setup_.has_splat)
            computed(setup_.line,
                     "setup() takes keyword arguments from a dictionary (**...), which may "
                     "include its requirements");
        read_list("install_requires", "");
        read_list("setup_requires", "setup");
        read_list("tests_require", "test");
        read_extras();
        read_dependency_links();
        auto read = setup_py_manifest(extracted_);
        manifest_.dependencies = std::move(read.dependencies);
        for (auto& issue : read.issues)
            manifest_.issues.push_back(std::move(issue));
    }

  private:
    static bool is_requirement_keyword(std::string_view key) {
        return key == "install_requires" || key == "setup_requires" || key == "tests_require" ||
               key == "extras_require" || key == "dependency_links";
    }

    uint32_t argument_line(std::string_view key) const {
        const TSNode value = code::PythonModule::keyword_argument(setup_.call, key, module_.tree());
        return ts_node_is_null(value) ? setup_.line : code::line_of(value);
    }

    void computed(uint32_t line, std::string message) {
        for (const auto& known : manifest_.computed) {
            if (known.line == line && known.message == message)
                return;
        }
        manifest_.computed.push_back({line, std::move(message), {}});
    }

    // Each requirement of a value setuptools accepts for a requirements
    // keyword: a list (tuple, set) of strings, or one string with one
    // requirement per line.
    void add_requirements(const code::LiteralValue& value, std::string_view key,
                          std::string_view group, const LiteralLines& local) {
        const uint32_t fallback = argument_line(key);
        const auto partly_computed = [&] {
            computed(fallback, fmt::format("part of '{}' is computed when setup() runs", key));
        };
        if (!value.exact)
            partly_computed();
        if (value.kind == code::LiteralValue::Kind::none)
            return;  // None: no requirements
        if (value.is_text()) {
            if (!add_text(value, fallback, group, local))
                partly_computed();
            return;
        }
        if (!value.is_sequence()) {
            computed(fallback, fmt::format("'{}' is not a list of requirements", key));
            return;
        }
        for (const auto& item : value.items) {
            if (!item.is_text()) {
                computed(fallback,
                         fmt::format("an entry of '{}' is not a requirement string", key));
                continue;
            }
            if (!add_text(item, fallback, group, local))
                partly_computed();
        }
    }

    // False when the string is only partly known (f-string holes, names
    // bound at run time).
    bool add_text(const code::LiteralValue& value, uint32_t fallback, std::string_view group,
                  const LiteralLines& local) {
        if (!value.exact || value.text.find(code::kUnknownPart) != std::string::npos)
            return false;
        uint32_t line = local.find(value.text);
        if (line == 0)
            line = file_lines_.find(value.text);
        const bool located = line != 0;
        if (!located)
            line = fallback;
        for (const auto& piece : split_lines(value.text)) {
            auto requirement = trim(piece.text);
            if (const auto comment = requirement.find(" #"); comment != std::string_view::npos)
                requirement = trim(requirement.substr(0, comment));
            if (requirement.empty() || requirement.starts_with('#'))
                continue;
            // A triple-quoted string spells one requirement per source line.
            const uint32_t at = located ? line + piece.number - 1 : line;
            extracted_.push_back({std::string(requirement), at, std::string(group)});
        }
        return true;
    }

    void read_list(std::string_view key, std::string_view group) {
        const auto found = setup_.keywords.find(key);
        if (found == setup_.keywords.end())
            return;
        const LiteralLines local(
            module_, code::PythonModule::keyword_argument(setup_.call, key, module_.tree()));
        add_requirements(found->second, key, group, local);
    }

    void read_extras() {
        const auto found = setup_.keywords.find("extras_require");
        if (found == setup_.keywords.end())
            return;
        const auto& extras = found->second;
        const uint32_t line = argument_line("extras_require");
        if (!extras.exact)
            computed(line, "part of 'extras_require' is computed when setup() runs");
        if (extras.kind == code::LiteralValue::Kind::none)
            return;
        if (extras.kind != code::LiteralValue::Kind::dict) {
            computed(line, "'extras_require' is not a dictionary");
            return;
        }
        const LiteralLines local(module_, code::PythonModule::keyword_argument(
                                              setup_.call, "extras_require", module_.tree()));
        for (size_t i = 0; i + 1 < extras.items.size(); i += 2) {
            const auto& name = extras.items[i];
            if (!name.is_text() || !name.exact) {
                computed(line, "an extra of 'extras_require' has a computed name");
                continue;
            }
            // "gpu:platform_system=='Linux'": the extra's name before the marker.
            const auto extra = trim(std::string_view(name.text).substr(0, name.text.find(':')));
            add_requirements(extras.items[i + 1], "extras_require",
                             fmt::format("optional:{}", extra), local);
        }
    }

    // Archive pages setuptools (before 72) consulted next to the index.
    void read_dependency_links() {
        const auto found = setup_.keywords.find("dependency_links");
        if (found == setup_.keywords.end())
            return;
        const uint32_t fallback = argument_line("dependency_links");
        if (!found->second.exact)
            computed(fallback, "part of 'dependency_links' is computed when setup() runs");
        for (const auto& item : found->second.items) {
            if (!item.is_text() || !item.exact)
                continue;
            PackageIndex index;
            index.role = PackageIndex::Role::find_links;
            index.merged = true;
            index.url = item.text;
            const auto line = file_lines_.find(item.text);
            index.line = line == 0 ? fallback : line;
            manifest_.indexes.push_back(std::move(index));
        }
    }

    const code::PythonModule& module_;
    const code::SetupCall& setup_;
    Manifest& manifest_;
    LiteralLines file_lines_;
    std::vector<ExtractedRequirement> extracted_;
};

}  // namespace

// LIMITATION: setup.py requirements that are computed when it runs (read
// from a file, returned by a function, setup(**options)) or passed to a
// build function other than setuptools/distutils setup() are not read; they
// are reported as HZ-DEP-034 (info), not checked.
Manifest parse_setup_py(std::string_view text) {
    Manifest manifest;
    manifest.format = "setup.py";
    auto module = code::PythonModule::parse(text, kParseTimeoutMicros);
    if (!module) {
        manifest.issues.push_back({0, module.error().message, {}});
        return manifest;
    }
    const auto setup = code::find_setup_call(*module);
    if (!setup) {
        // A build through another function (a wrapper, skbuild.setup,
        // numpy.distutils) or no build at all: nothing says which.
        manifest.computed.push_back({0, "no setuptools or distutils setup() call was found", {}});
        return manifest;
    }
    SetupPyReader(*module, *setup, manifest).read();
    return manifest;
}

}  // namespace hazmat::deps
