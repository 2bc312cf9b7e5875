#include "scan/analyzers.hpp"

#include "scan/models/distcp.hpp"
#include "scan/models/numpy.hpp"
#include "scan/models/torch_legacy.hpp"

namespace hazmat {

Result<std::unique_ptr<Dispatcher>> build_dispatcher(const AnalyzerOptions& options) {
    (void)options;
    std::vector<std::unique_ptr<Analyzer>> analyzers;
    analyzers.push_back(std::make_unique<models::NumpyAnalyzer>());
    analyzers.push_back(std::make_unique<models::TorchLegacyAnalyzer>());
    analyzers.push_back(std::make_unique<models::TorchTarRecordAnalyzer>());
    analyzers.push_back(std::make_unique<models::DistcpAnalyzer>());
    return std::make_unique<Dispatcher>(std::move(analyzers));
}

}  // namespace hazmat
