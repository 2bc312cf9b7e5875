#include "scan/deps/dependency_analyzer.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/mapped_file.hpp"
#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"
#include "scan/deps/checks.hpp"
#include "scan/deps/manifest_files.hpp"
#include "scan/deps/python_requirement.hpp"
#include "scan/deps/text.hpp"

namespace hazmat::deps {

namespace {

namespace fs = std::filesystem;

// Requirements files included from one on disk are read only from the
// including file's own directory tree, never through a symbolic link, and
// only when small: the scanned project must not make hazmat read files
// outside it.
// LIMITATION: an included requirements file outside the including file's
// directory, behind a symbolic link, remote, absolute or containing $VAR is
// not read as part of it; each such include is reported as HZ-DEP-033.
constexpr uint64_t kMaxIncludedFileBytes = 16ull << 20;

bool is_within(const fs::path& path, const fs::path& root) {
    auto p = path.begin();
    for (auto r = root.begin(); r != root.end(); ++r, ++p) {
        if (r->empty())
            continue;
        if (p == path.end() || *p != *r)
            return false;
    }
    return true;
}

class DiskIncludeResolver final : public IncludeResolver {
  public:
    explicit DiskIncludeResolver(const fs::path& top_file)
        : anchor_(fs::absolute(top_file).lexically_normal().parent_path()) {}

    Result<ResolvedInclude> resolve(std::string_view from, std::string_view path) const override {
        if (path.find('$') != std::string_view::npos)
            return Error{"the path contains an environment variable"};
        if (looks_like_url(path))
            return Error{"remote files are not fetched"};
        if (fs::path(path).is_absolute())
            return Error{"absolute paths are not followed"};
        const auto target = (fs::path(from).parent_path() / fs::path(path)).lexically_normal();
        const auto absolute = fs::absolute(target).lexically_normal();
        if (!is_within(absolute, anchor_))
            return Error{fmt::format("it lies outside {}", anchor_.string())};
        std::error_code ec;
        const auto canonical = fs::weakly_canonical(absolute, ec);
        if (ec || canonical != absolute)
            return Error{"it is reached through a symbolic link"};
        auto bytes = map_file(absolute);
        if (!bytes)
            return Error{bytes.error().message};
        if (bytes->size() > kMaxIncludedFileBytes)
            return Error{fmt::format("it is larger than {} bytes", kMaxIncludedFileBytes)};
        auto text = decode_text(bytes->span());
        if (!text)
            return Error{"it is not text"};
        return ResolvedInclude{canonical.string(), target.generic_string(), std::move(*text)};
    }

    std::string identity(std::string_view display) const override {
        std::error_code ec;
        const auto canonical = fs::weakly_canonical(fs::absolute(fs::path(display)), ec);
        return ec ? std::string(display) : canonical.string();
    }

  private:
    fs::path anchor_;
};

class DependencyAnalyzer final : public Analyzer {
  public:
    explicit DependencyAnalyzer(std::shared_ptr<const DependencyData> data)
        : data_(std::move(data)), checker_(*data_) {}

    std::string_view name() const override { return "dependencies"; }

    // Manifests are text: nothing else may have claimed the bytes.
    bool accepts(const Blob& blob, Format sniffed) const override {
        return sniffed == Format::unknown && manifest_kind_for(blob.name).has_value();
    }

    // A requirements file is not a model; content hazmat cannot identify
    // under a model's name is reported by the format analyzers' rule.
    bool identifies_format() const override { return false; }

    void analyze(const Blob& blob, Format, ScanContext& context) const override {
        const auto kind = *manifest_kind_for(blob.name);
        const auto text = decode_text(blob.bytes.span());
        if (!text) {
            context.report(Finding::make(
                rules::kScanUnparseable,
                fmt::format("'{}' is named like a dependency manifest but is not text; the "
                            "dependencies it may declare were not checked.",
                            base_name(blob.name)),
                blob.location));
            return;
        }
        // Only a file on disk may lead to other files on disk.
        std::optional<DiskIncludeResolver> resolver;
        if (kind == ManifestKind::requirements && blob.depth == 0 &&
            blob.location.chain.size() == 1)
            resolver.emplace(fs::path(blob.location.chain.front().name));

        auto manifest = parse_manifest(kind, *text, blob.name, resolver ? &*resolver : nullptr);
        drop_separately_scanned(manifest);
        context.count_format(manifest.format);
        spdlog::debug("{}: {} dependencies, {} indexes, {} problems", blob.location.to_display(),
                      manifest.dependencies.size(), manifest.indexes.size(),
                      manifest.issues.size());
        checker_.check(manifest, blob.location, context.sink());
    }

  private:
    // An included file that is itself named like a requirements file gets
    // its own scan; its entries are kept here only for what they change
    // about this file (its index options), not reported twice.
    static void drop_separately_scanned(Manifest& manifest) {
        const auto scanned_alone = [](const std::string& file) {
            return !file.empty() && manifest_kind_for(file) == ManifestKind::requirements;
        };
        std::erase_if(manifest.dependencies,
                      [&](const Dependency& d) { return scanned_alone(d.file); });
        std::erase_if(manifest.issues,
                      [&](const ManifestIssue& i) { return scanned_alone(i.file); });
        for (auto& index : manifest.indexes) {
            index.inherited = scanned_alone(index.file);
        }
        std::erase_if(manifest.includes,
                      [&](const Include& include) { return scanned_alone(include.file); });
    }

    std::shared_ptr<const DependencyData> data_;
    DependencyChecker checker_;
};

}  // namespace

Result<std::unique_ptr<Analyzer>> make_dependency_analyzer(const DataDir& data) {
    auto loaded = load_dependency_data(data);
    if (!loaded)
        return loaded.error();
    return make_dependency_analyzer(
        std::shared_ptr<const DependencyData>(std::move(loaded).value()));
}

std::unique_ptr<Analyzer> make_dependency_analyzer(std::shared_ptr<const DependencyData> data) {
    return std::make_unique<DependencyAnalyzer>(std::move(data));
}

}  // namespace hazmat::deps
