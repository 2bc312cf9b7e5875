#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "core/analyzer.hpp"
#include "core/blob.hpp"

namespace hazmat {

class ScanContext;

// Routes each blob to the analyzers that accept it, by content. Immutable
// after construction and shared by all worker threads.
class Dispatcher {
  public:
    explicit Dispatcher(std::vector<std::unique_ptr<Analyzer>> analyzers);

    void dispatch(const Blob& blob, std::optional<Format> declared, ScanContext& context) const;

    std::span<const std::unique_ptr<Analyzer>> analyzers() const { return analyzers_; }

  private:
    std::vector<std::unique_ptr<Analyzer>> analyzers_;
};

}  // namespace hazmat
