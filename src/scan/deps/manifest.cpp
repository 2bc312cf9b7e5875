#include "scan/deps/manifest.hpp"

namespace hazmat::deps {

std::string_view to_string(SourceKind kind) {
    switch (kind) {
        case SourceKind::registry:
            return "registry";
        case SourceKind::url:
            return "direct URL";
        case SourceKind::git:
            return "Git repository";
        case SourceKind::path:
            return "local path";
        case SourceKind::alias:
            return "alias";
        case SourceKind::workspace:
            return "workspace";
    }
    return "?";
}

}  // namespace hazmat::deps
