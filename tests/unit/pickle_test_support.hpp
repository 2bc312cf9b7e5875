#pragma once

// Helpers shared by the pickle tests: the shipped policy, a dispatcher with
// the pickle analyzer, fixture access and a scan-to-report shortcut.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/dispatcher.hpp"
#include "core/report.hpp"
#include "core/scanner.hpp"
#include "scan/pickle/callable_policy.hpp"
#include "scan/pickle/pickle_analyzer.hpp"
#include "scan/pickle/pickle_machine.hpp"

namespace hazmat::pickle::testing {

inline std::filesystem::path rules_dir() {
    return std::filesystem::path(HAZMAT_SOURCE_DIR) / "rules" / "pickle";
}

inline std::filesystem::path fixture_dir() {
    return std::filesystem::path(HAZMAT_FIXTURES_DIR) / "pickle";
}

inline std::shared_ptr<const CallablePolicy> shipped_policy() {
    static const auto policy = [] {
        auto loaded = CallablePolicy::load(rules_dir(), {});
        if (!loaded) {
            ADD_FAILURE() << loaded.error().message;
            std::abort();
        }
        return loaded.value();
    }();
    return policy;
}

inline Bytes bytes_of(std::string_view text) {
    return bytes_from(std::string(text));
}

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

inline std::string fixture(std::string_view name) {
    return read_file(fixture_dir() / name);
}

// Offsets the fixture generator recorded for a labelled opcode.
inline uint64_t fixture_offset(std::string_view name, std::string_view label) {
    static const auto expected = nlohmann::json::parse(read_file(fixture_dir() / "expected.json"));
    const auto& offsets = expected.at(std::string(name)).at("offsets");
    if (!offsets.contains(std::string(label))) {
        ADD_FAILURE() << name << " has no label " << label;
        return UINT64_MAX;
    }
    return offsets.at(std::string(label)).get<uint64_t>();
}

inline std::unique_ptr<Dispatcher> pickle_dispatcher(
    std::shared_ptr<const CallablePolicy> policy = shipped_policy()) {
    std::vector<std::unique_ptr<Analyzer>> analyzers;
    analyzers.push_back(std::make_unique<PickleAnalyzer>(std::move(policy)));
    return std::make_unique<Dispatcher>(std::move(analyzers));
}

// Scans `data` as a file named `name` with only the pickle analyzer.
inline std::unique_ptr<Report> scan(
    std::string_view data, const std::string& name = "x.pkl", const ScanLimits& limits = {},
    std::shared_ptr<const CallablePolicy> policy = shipped_policy()) {
    auto dispatcher = pickle_dispatcher(std::move(policy));
    auto report = std::make_unique<Report>();
    scan_bytes(*dispatcher, limits, bytes_of(data), name, *report);
    report->finish();
    return report;
}

inline std::vector<const Finding*> with_rule(const Report& report, std::string_view rule) {
    std::vector<const Finding*> out;
    for (const auto& finding : report.findings()) {
        if (finding.rule_id == rule)
            out.push_back(&finding);
    }
    return out;
}

// The one finding of `rule` whose message mentions `text`; fails otherwise.
inline const Finding& only(const Report& report, std::string_view rule,
                           std::string_view text = {}) {
    std::vector<const Finding*> matches;
    for (const auto* finding : with_rule(report, rule)) {
        if (finding->message.find(text) != std::string::npos)
            matches.push_back(finding);
    }
    if (matches.size() != 1) {
        std::string all;
        for (const auto& finding : report.findings())
            all += "\n  " + finding.rule_id + " " + finding.message;
        ADD_FAILURE() << "expected one " << rule << " finding mentioning '" << text << "', got "
                      << matches.size() << ":" << all;
        static const Finding kNone;
        return matches.empty() ? kNone : *matches.front();
    }
    return *matches.front();
}

inline bool has_evidence(const Finding& finding, std::string_view text) {
    return std::any_of(
        finding.evidence.begin(), finding.evidence.end(),
        [&](const std::string& line) { return line.find(text) != std::string::npos; });
}

inline std::vector<std::string> chain_names(const Finding& finding) {
    std::vector<std::string> names;
    for (const auto& part : finding.location.chain)
        names.push_back(part.name);
    return names;
}

// Runs one stream on the machine and keeps it for inspection.
class MachineRun {
  public:
    explicit MachineRun(std::string_view data, MachineOptions options = {},
                        const CallablePolicy* policy = shipped_policy().get())
        : input_(bytes_of(data)), machine_(input_, policy, host_, options) {
        outcome_ = machine_.run(0);
    }

    const StreamOutcome& outcome() const { return outcome_; }
    PickleMachine& machine() { return machine_; }
    StreamLog& log() { return machine_.log(); }
    const Value& result() const { return machine_.result(); }

    const CallableRecord* callable(std::string_view name) {
        for (const auto& record : machine_.log().callables) {
            if (record.name == name)
                return &record;
        }
        return nullptr;
    }

  private:
    class QuietHost : public MachineHost {
      public:
        bool expired() override { return false; }
        bool charge_expansion(uint64_t, uint64_t) override { return true; }
    };

    QuietHost host_;
    Bytes input_;
    PickleMachine machine_;
    StreamOutcome outcome_;
};

}  // namespace hazmat::pickle::testing
