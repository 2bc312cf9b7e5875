#include "core/scanner.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/mapped_file.hpp"
#include "core/rule_ids.hpp"
#include "core/scan_context.hpp"

namespace hazmat {

namespace {

Blob top_level_blob(Bytes bytes, const std::string& display) {
    Blob blob;
    blob.bytes = std::move(bytes);
    blob.location.chain.push_back({LocationPart::Kind::file, display});
    blob.name = display;
    return blob;
}

}  // namespace

Scanner::Scanner(const Dispatcher& dispatcher, ScanLimits limits, unsigned jobs)
    : dispatcher_(dispatcher), limits_(limits), jobs_(jobs == 0 ? 1 : jobs) {}

void Scanner::scan_file(const WalkEntry& entry, Report& report) const {
    if (on_file_)
        on_file_(entry);
    auto mapped = map_file(entry.path);
    if (!mapped) {
        Location location;
        location.chain.push_back({LocationPart::Kind::file, entry.display});
        report.add(Finding::make(rules::kScanUnreadable, mapped.error().message, location));
        report.add_stats(0, 0, 0, 1);
        return;
    }
    const uint64_t size = mapped->size();
    ScanContext context(dispatcher_, report, limits_);
    context.scan(top_level_blob(std::move(mapped).value(), entry.display));
    report.add_stats(1, context.blobs_examined(), size, 0);
}

void Scanner::scan(const std::filesystem::path& target, Report& report) const {
    uint64_t skipped = 0;
    const auto entries = walk_target(target, report, skipped);
    report.add_stats(0, 0, 0, skipped);
    spdlog::debug("{}: {} files to examine", target.string(), entries.size());

    std::atomic<size_t> next{0};
    const auto worker = [&] {
        for (size_t i = next++; i < entries.size(); i = next++)
            scan_file(entries[i], report);
    };
    const unsigned threads = std::min<unsigned>(jobs_, std::max<size_t>(entries.size(), 1));
    std::vector<std::jthread> pool;
    for (unsigned t = 1; t < threads; ++t)
        pool.emplace_back(worker);
    worker();
}

void scan_bytes(const Dispatcher& dispatcher, const ScanLimits& limits, Bytes bytes,
                const std::string& name, FindingSink& sink) {
    ScanContext context(dispatcher, sink, limits);
    context.scan(top_level_blob(std::move(bytes), name));
}

}  // namespace hazmat
