#include "core/location.hpp"

#include <fmt/format.h>

namespace hazmat {

std::string_view to_string(LocationPart::Kind kind) {
    switch (kind) {
        case LocationPart::Kind::file:
            return "file";
        case LocationPart::Kind::member:
            return "member";
        case LocationPart::Kind::decompressed:
            return "decompressed";
        case LocationPart::Kind::embedded:
            return "embedded";
        case LocationPart::Kind::stream:
            return "stream";
        case LocationPart::Kind::commit:
            return "commit";
    }
    return "unknown";
}

const std::string& Location::file() const {
    static const std::string kEmpty;
    for (const auto& part : chain) {
        if (part.kind == LocationPart::Kind::file)
            return part.name;
    }
    return kEmpty;
}

Location Location::child(LocationPart::Kind kind, std::string name) const {
    Location result;
    result.chain = chain;
    result.chain.push_back({kind, std::move(name)});
    return result;
}

std::string Location::to_display() const {
    std::string out;
    for (size_t i = 0; i < chain.size(); ++i) {
        const auto& part = chain[i];
        if (i > 0) {
            switch (part.kind) {
                case LocationPart::Kind::member:
                case LocationPart::Kind::file:
                    out += '!';
                    break;
                case LocationPart::Kind::decompressed:
                    out += '|';
                    break;
                default:
                    out += " > ";
                    break;
            }
        }
        out += part.name;
    }
    if (line) {
        out += fmt::format(":{}", *line);
        if (column)
            out += fmt::format(":{}", *column);
    }
    if (offset)
        out += fmt::format(" @ byte {}", *offset);
    return out;
}

}  // namespace hazmat
