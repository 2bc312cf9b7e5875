#pragma once

#include <memory>

#include "core/analyzer.hpp"
#include "core/data_dir.hpp"
#include "core/result.hpp"

namespace hazmat::deps {

// The dependency analyzer: reads manifests, lockfiles and install commands
// (recognised by file name) and checks what they install against the
// vulnerability database and the popular-package lists. Fails when the
// shipped data cannot be loaded.
Result<std::unique_ptr<Analyzer>> make_dependency_analyzer(const DataDir& data);

struct DependencyData;

// The same analyzer over data the caller loaded (tests use the shipped data
// without the user's imports).
std::unique_ptr<Analyzer> make_dependency_analyzer(std::shared_ptr<const DependencyData> data);

}  // namespace hazmat::deps
