#include "core/baseline.hpp"

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

namespace hazmat {

namespace {

constexpr int kBaselineVersion = 1;

}  // namespace

Result<Baseline> Baseline::load(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return Error{fmt::format("cannot read the baseline {}", path.string())};
    const auto document = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (!document.is_object() || document.value("hazmat_baseline", 0) != kBaselineVersion ||
        !document.contains("findings") || !document["findings"].is_array())
        return Error{
            fmt::format("{} is not a hazmat baseline (version {}); write one with "
                        "'hazmat scan --write-baseline FILE'",
                        path.string(), kBaselineVersion)};
    Baseline baseline;
    for (const auto& entry : document["findings"]) {
        if (!entry.is_object() || !entry.contains("fingerprint") ||
            !entry["fingerprint"].is_string())
            return Error{
                fmt::format("{}: every finding needs a \"fingerprint\" string", path.string())};
        baseline.fingerprints_.insert(entry["fingerprint"].get<std::string>());
    }
    return baseline;
}

bool Baseline::contains(std::string_view fingerprint) const {
    return fingerprints_.find(fingerprint) != fingerprints_.end();
}

Result<bool> write_baseline(const std::filesystem::path& path,
                            const std::vector<Finding>& findings) {
    // One entry per fingerprint, sorted, so that the file diffs cleanly.
    std::map<std::string, const Finding*> unique;
    for (const auto& finding : findings) {
        if (!finding.fingerprint.empty())
            unique.emplace(finding.fingerprint, &finding);
    }
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& [fingerprint, finding] : unique) {
        entries.push_back({{"fingerprint", fingerprint},
                           {"rule_id", finding->rule_id},
                           {"location", finding->location.to_display()}});
    }
    const nlohmann::json document = {{"hazmat_baseline", kBaselineVersion},
                                     {"findings", std::move(entries)}};
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << document.dump(2) << "\n";
    out.close();
    if (!out)
        return Error{fmt::format("cannot write the baseline {}", path.string())};
    return true;
}

}  // namespace hazmat
