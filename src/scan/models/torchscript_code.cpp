#include "scan/models/torchscript_code.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"

namespace hazmat::models {

namespace {

// Operator namespaces registered by PyTorch itself and by the domain
// libraries whose models are common enough to be expected.
constexpr std::array<std::string_view, 30> kStandardNamespaces = {
    "aten",
    "prim",
    "prims",
    "quantized",
    "_quantized",
    "quantized_decomposed",
    "_caffe2",
    "caffe2",
    "prepacked",
    "mkldnn",
    "mkldnn_prepacked",
    "onednn",
    "profiler",
    "cuda",
    "_test",
    "c10d",
    "_c10d_functional",
    "c10d_functional",
    "_dtensor",
    "inductor",
    "higher_order",
    "debugprims",
    "rngprims",
    "sparse",
    "fbgemm",
    "torchvision",
    "torchaudio",
    "torchtext",
    "image",
    "xnnpack",
};

bool is_identifier_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// Skips a Python string literal starting at `i` (a quote), triple-quoted or
// not; returns the index after it.
size_t skip_string(std::string_view code, size_t i) {
    const char quote = code[i];
    const bool triple = code.substr(i, 3) == std::string(3, quote);
    const std::string_view close = triple ? code.substr(i, 3) : code.substr(i, 1);
    size_t j = i + close.size();
    while (j < code.size()) {
        if (code[j] == '\\') {
            j += 2;
            continue;
        }
        if (code.substr(j, close.size()) == close)
            return j + close.size();
        if (!triple && code[j] == '\n')
            return j;  // unterminated: the line ends the literal
        ++j;
    }
    return code.size();
}

std::string_view identifier_at(std::string_view code, size_t i) {
    size_t end = i;
    while (end < code.size() && is_identifier_char(code[end]))
        ++end;
    return code.substr(i, end - i);
}

}  // namespace

std::vector<TorchOpCall> find_custom_op_calls(std::string_view code) {
    std::vector<TorchOpCall> calls;
    uint32_t line = 1;
    size_t line_start = 0;
    size_t i = 0;
    while (i < code.size()) {
        const char c = code[i];
        if (c == '\n') {
            ++line;
            line_start = ++i;
            continue;
        }
        if (c == '#') {
            while (i < code.size() && code[i] != '\n')
                ++i;
            continue;
        }
        if (c == '"' || c == '\'') {
            const size_t end = skip_string(code, i);
            line += static_cast<uint32_t>(std::count(code.begin() + static_cast<long>(i),
                                                     code.begin() + static_cast<long>(end), '\n'));
            const auto last_newline = code.rfind('\n', end == 0 ? 0 : end - 1);
            if (last_newline != std::string_view::npos && last_newline >= i)
                line_start = last_newline + 1;
            i = end;
            continue;
        }
        if (!is_identifier_char(c)) {
            ++i;
            continue;
        }
        // `ops` starting an identifier chain, or preceded by `torch.`.
        const auto word = identifier_at(code, i);
        const bool chain_start = i == 0 || code[i - 1] != '.' ||
                                 (i >= 6 && code.substr(i - 6, 6) == "torch." &&
                                  (i == 6 || !is_identifier_char(code[i - 7])));
        if (word == "ops" && chain_start && i + 3 < code.size() && code[i + 3] == '.') {
            const auto ns = identifier_at(code, i + 4);
            const size_t after_ns = i + 4 + ns.size();
            if (!ns.empty() && after_ns < code.size() && code[after_ns] == '.' &&
                std::find(kStandardNamespaces.begin(), kStandardNamespaces.end(), ns) ==
                    kStandardNamespaces.end()) {
                calls.push_back({std::string(ns), std::string(identifier_at(code, after_ns + 1)),
                                 line, static_cast<uint32_t>(i - line_start + 1)});
            }
        }
        i += word.size();
    }
    return calls;
}

bool TorchScriptCodeAnalyzer::accepts(const Blob& blob, Format sniffed) const {
    if (sniffed != Format::unknown || blob.location.chain.empty())
        return false;
    const auto& last = blob.location.chain.back();
    if (last.kind != LocationPart::Kind::member)
        return false;
    const std::string_view name = last.name;
    return name.ends_with(".py") && name.find("/code/") != std::string_view::npos;
}

void TorchScriptCodeAnalyzer::analyze(const Blob& blob, Format, ScanContext& context) const {
    const auto calls = find_custom_op_calls(blob.bytes.as_chars());
    if (calls.empty())
        return;
    std::vector<std::string> namespaces;
    for (const auto& call : calls) {
        if (std::find(namespaces.begin(), namespaces.end(), call.ns) == namespaces.end())
            namespaces.push_back(call.ns);
    }
    auto where = blob.location;
    where.line = calls.front().line;
    where.column = calls.front().column;
    auto finding = Finding::make(
        rules::kTorchScriptCustomOp,
        fmt::format("The TorchScript code calls operators in the namespace{} {}, which PyTorch "
                    "does not define: the model loads only after a native library registers "
                    "them.",
                    namespaces.size() == 1 ? "" : "s",
                    fmt::format("'{}'", fmt::join(namespaces, "', '"))),
        where);
    for (size_t i = 0; i < calls.size() && i < 20; ++i)
        finding.with_evidence(
            fmt::format("line {}: ops.{}.{}", calls[i].line, calls[i].ns, calls[i].op));
    finding.with_fingerprint_key(fmt::format("{}", fmt::join(namespaces, ",")));
    context.report(std::move(finding));
}

}  // namespace hazmat::models
