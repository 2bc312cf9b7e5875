#include "scan/yara/yara_rules.hpp"

#include <fmt/format.h>
#include <yara.h>

#include <algorithm>
#include <cstdio>
#include <mutex>

namespace hazmat::yara {

namespace fs = std::filesystem;

namespace {

// libyara keeps process-wide state; it is set up once and left in place
// for the life of the process (rules may outlive any one scan).
bool initialize_library() {
    static std::once_flag once;
    static int status = ERROR_SUCCESS;
    std::call_once(once, [] { status = yr_initialize(); });
    return status == ERROR_SUCCESS;
}

struct CompilerDeleter {
    void operator()(YR_COMPILER* compiler) const { yr_compiler_destroy(compiler); }
};

struct CompileErrors {
    std::vector<std::string> messages;
    std::string current_file;
};

void on_compile_message(int level, const char* file, int line, const YR_RULE* /*rule*/,
                        const char* message, void* user_data) {
    if (level != YARA_ERROR_LEVEL_ERROR)
        return;
    auto* errors = static_cast<CompileErrors*>(user_data);
    errors->messages.push_back(
        fmt::format("{}:{}: {}", file != nullptr ? file : errors->current_file, line, message));
}

struct ScanState {
    std::vector<YaraMatch> matches;
};

int on_scan_message(YR_SCAN_CONTEXT* context, int message, void* message_data, void* user_data) {
    if (message != CALLBACK_MSG_RULE_MATCHING)
        return CALLBACK_CONTINUE;
    auto* state = static_cast<ScanState*>(user_data);
    const auto* rule = static_cast<YR_RULE*>(message_data);
    YaraMatch match;
    match.rule =
        fmt::format("{}:{}", rule->ns != nullptr ? rule->ns->name : "default", rule->identifier);
    const YR_META* meta;
    yr_rule_metas_foreach(rule, meta) {
        const std::string_view key = meta->identifier;
        if (meta->type != META_TYPE_STRING)
            continue;
        if (key == "description")
            match.description = meta->string;
        else if (key == "severity")
            match.severity = parse_severity(meta->string);
        else if (key == "reference")
            match.reference = meta->string;
    }
    bool found = false;
    const YR_STRING* string;
    yr_rule_strings_foreach(rule, string) {
        const YR_MATCH* hit;
        yr_string_matches_foreach(context, string, hit) {
            const uint64_t offset = static_cast<uint64_t>(hit->base + hit->offset);
            if (!found || offset < match.offset) {
                match.offset = offset;
                match.string_id = string->identifier;
                found = true;
            }
        }
    }
    state->matches.push_back(std::move(match));
    return CALLBACK_CONTINUE;
}

size_t count_rules(YR_RULES* rules) {
    size_t count = 0;
    const YR_RULE* rule;
    yr_rules_foreach(rules, rule) {
        ++count;
    }
    return count;
}

Result<std::shared_ptr<const YaraRules>> finish(YR_COMPILER* compiler, const CompileErrors& errors,
                                                std::shared_ptr<const YaraRules> (*make)(YR_RULES*,
                                                                                         size_t)) {
    if (!errors.messages.empty()) {
        std::string message = "YARA rules do not compile:";
        for (const auto& line : errors.messages)
            message += "\n  " + line;
        return Error{message};
    }
    YR_RULES* rules = nullptr;
    if (yr_compiler_get_rules(compiler, &rules) != ERROR_SUCCESS)
        return Error{"YARA rules could not be finalised (out of memory)"};
    return make(rules, count_rules(rules));
}

}  // namespace

YaraRules::~YaraRules() {
    if (rules_ != nullptr)
        yr_rules_destroy(rules_);
}

Result<std::shared_ptr<const YaraRules>> YaraRules::compile_directory(const fs::path& directory) {
    if (!initialize_library())
        return Error{"libyara could not be initialised"};
    std::error_code ec;
    std::vector<fs::path> files;
    for (fs::recursive_directory_iterator it(directory, ec), end; !ec && it != end;
         it.increment(ec)) {
        const auto extension = it->path().extension();
        if (it->is_regular_file() && (extension == ".yar" || extension == ".yara"))
            files.push_back(it->path());
    }
    if (ec)
        return Error{
            fmt::format("cannot read YARA rules from {}: {}", directory.string(), ec.message())};
    if (files.empty())
        return Error{fmt::format("no .yar or .yara files in {}", directory.string())};
    std::sort(files.begin(), files.end());

    YR_COMPILER* raw = nullptr;
    if (yr_compiler_create(&raw) != ERROR_SUCCESS)
        return Error{"cannot create a YARA compiler (out of memory)"};
    std::unique_ptr<YR_COMPILER, CompilerDeleter> compiler(raw);
    CompileErrors errors;
    yr_compiler_set_callback(compiler.get(), on_compile_message, &errors);
    for (const auto& file : files) {
        std::unique_ptr<FILE, int (*)(FILE*)> handle(std::fopen(file.c_str(), "rb"), std::fclose);
        if (!handle)
            return Error{fmt::format("cannot open YARA rules file {}", file.string())};
        errors.current_file = file.string();
        yr_compiler_add_file(compiler.get(), handle.get(), file.stem().c_str(), file.c_str());
        // libyara refuses further files once one has failed.
        if (!errors.messages.empty())
            break;
    }
    return finish(compiler.get(), errors, [](YR_RULES* rules, size_t count) {
        return std::shared_ptr<const YaraRules>(new YaraRules(rules, count));
    });
}

Result<std::shared_ptr<const YaraRules>> YaraRules::compile_text(const std::string& text) {
    if (!initialize_library())
        return Error{"libyara could not be initialised"};
    YR_COMPILER* raw = nullptr;
    if (yr_compiler_create(&raw) != ERROR_SUCCESS)
        return Error{"cannot create a YARA compiler (out of memory)"};
    std::unique_ptr<YR_COMPILER, CompilerDeleter> compiler(raw);
    CompileErrors errors;
    errors.current_file = "<text>";
    yr_compiler_set_callback(compiler.get(), on_compile_message, &errors);
    yr_compiler_add_string(compiler.get(), text.c_str(), "test");
    return finish(compiler.get(), errors, [](YR_RULES* rules, size_t count) {
        return std::shared_ptr<const YaraRules>(new YaraRules(rules, count));
    });
}

Result<std::vector<YaraMatch>> YaraRules::scan(ByteSpan bytes, int timeout_seconds) const {
    ScanState state;
    const int status = yr_rules_scan_mem(rules_, bytes.data(), bytes.size(), SCAN_FLAGS_FAST_MODE,
                                         on_scan_message, &state, timeout_seconds);
    if (status == ERROR_SCAN_TIMEOUT)
        return Error{fmt::format("YARA scan took longer than {} s", timeout_seconds)};
    if (status == ERROR_TOO_MANY_MATCHES)
        return Error{"a YARA string matched too many times"};
    if (status != ERROR_SUCCESS)
        return Error{fmt::format("YARA scan failed (libyara error {})", status)};
    return std::move(state.matches);
}

}  // namespace hazmat::yara
