#include "scan/analyzers.hpp"

#include "core/archive/archive_analyzers.hpp"
#include "scan/models/distcp.hpp"
#include "scan/models/numpy.hpp"
#include "scan/models/torch_archive.hpp"
#include "scan/models/torch_legacy.hpp"

namespace hazmat {

Result<std::unique_ptr<Dispatcher>> build_dispatcher(const AnalyzerOptions& options) {
    (void)options;
    std::vector<std::unique_ptr<Analyzer>> analyzers;
    for (auto& analyzer : archive_analyzers())
        analyzers.push_back(std::move(analyzer));
    analyzers.push_back(std::make_unique<models::TorchArchiveAnalyzer>());
    analyzers.push_back(std::make_unique<models::NumpyAnalyzer>());
    analyzers.push_back(std::make_unique<models::TorchLegacyAnalyzer>());
    analyzers.push_back(std::make_unique<models::TorchTarRecordAnalyzer>());
    analyzers.push_back(std::make_unique<models::DistcpAnalyzer>());
    return std::make_unique<Dispatcher>(std::move(analyzers));
}

}  // namespace hazmat
