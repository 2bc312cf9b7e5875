#include "scan/analyzers.hpp"

#include "scan/pickle/callable_policy.hpp"
#include "scan/pickle/pickle_analyzer.hpp"

namespace hazmat {

Result<std::unique_ptr<Dispatcher>> build_dispatcher(const AnalyzerOptions& options) {
    std::vector<std::unique_ptr<Analyzer>> analyzers;

    auto policy =
        pickle::CallablePolicy::load(options.data.rules() / "pickle", options.allow_callables);
    if (!policy)
        return policy.error();
    analyzers.push_back(std::make_unique<PickleAnalyzer>(std::move(policy).value()));

    return std::make_unique<Dispatcher>(std::move(analyzers));
}

}  // namespace hazmat
