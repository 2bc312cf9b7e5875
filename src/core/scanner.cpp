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

// Completes fingerprints relative to the target and applies the filter on
// the way into the report.
class ReportSink : public FindingSink {
  public:
    ReportSink(Report& report, std::string target_display,
               const std::function<bool(const Finding&)>& keep, std::atomic<uint64_t>& filtered)
        : report_(report),
          target_display_(std::move(target_display)),
          keep_(keep),
          filtered_(filtered) {}

    void add(Finding finding) override {
        finalize_fingerprint(finding, target_display_);
        if (keep_ && !keep_(finding)) {
            ++filtered_;
            return;
        }
        report_.add(std::move(finding));
    }
    void count_format(std::string_view format) override { report_.count_format(format); }
    void count_object(std::string_view format, const Location& where) override {
        report_.count_object(format, where);
    }

  private:
    Report& report_;
    std::string target_display_;
    const std::function<bool(const Finding&)>& keep_;
    std::atomic<uint64_t>& filtered_;
};

// The target as the walker displays it: as given, without trailing slashes.
std::string display_of(const std::filesystem::path& target) {
    auto display = target.generic_string();
    while (display.size() > 1 && display.back() == '/')
        display.pop_back();
    return display;
}

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

void Scanner::enable_history(const Dispatcher& dispatcher, GitHistoryOptions options) {
    history_dispatcher_ = &dispatcher;
    history_options_ = options;
}

void Scanner::scan_file(const WalkEntry& entry, Report& report) const {
    ReportSink sink(report, "", keep_, filtered_);
    scan_file(entry, sink, report);
}

void Scanner::scan_file(const WalkEntry& entry, FindingSink& sink, Report& report) const {
    if (on_file_)
        on_file_(entry);
    auto mapped = map_file(entry.path);
    if (!mapped) {
        Location location;
        location.chain.push_back({LocationPart::Kind::file, entry.display});
        sink.add(Finding::make(rules::kScanUnreadable, mapped.error().message, location));
        report.add_stats(0, 0, 0, 1);
        return;
    }
    const uint64_t size = mapped->size();
    ScanContext context(dispatcher_, sink, limits_);
    context.scan(top_level_blob(std::move(mapped).value(), entry.display));
    report.add_stats(1, context.blobs_examined(), size, 0);
}

void Scanner::scan(const std::filesystem::path& target, Report& report) const {
    const auto display = display_of(target);
    ReportSink sink(report, display, keep_, filtered_);
    uint64_t skipped = 0;
    const auto entries = walk_target(target, sink, skipped);
    report.add_stats(0, 0, 0, skipped);
    spdlog::debug("{}: {} files to examine", target.string(), entries.size());

    std::atomic<size_t> next{0};
    const auto worker = [&] {
        for (size_t i = next++; i < entries.size(); i = next++)
            scan_file(entries[i], sink, report);
    };
    const unsigned threads = std::min<unsigned>(jobs_, std::max<size_t>(entries.size(), 1));
    {
        std::vector<std::jthread> pool;
        for (unsigned t = 1; t < threads; ++t)
            pool.emplace_back(worker);
        worker();
    }

    if (history_dispatcher_ != nullptr && has_git_directory(target)) {
        auto options = history_options_;
        options.jobs = jobs_;
        scan_git_history(target, display, *history_dispatcher_, limits_, options, sink, report);
    }
}

void scan_bytes(const Dispatcher& dispatcher, const ScanLimits& limits, Bytes bytes,
                const std::string& name, FindingSink& sink) {
    // A report-less sink that still completes fingerprints.
    class Forward : public FindingSink {
      public:
        explicit Forward(FindingSink& out) : out_(out) {}
        void add(Finding finding) override {
            finalize_fingerprint(finding, "");
            out_.add(std::move(finding));
        }
        void count_format(std::string_view format) override { out_.count_format(format); }
        void count_object(std::string_view format, const Location& where) override {
            out_.count_object(format, where);
        }

      private:
        FindingSink& out_;
    } forward(sink);
    ScanContext context(dispatcher, forward, limits);
    context.scan(top_level_blob(std::move(bytes), name));
}

}  // namespace hazmat
