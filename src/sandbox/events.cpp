#include "sandbox/events.hpp"

namespace hazmat::sandbox {

std::string_view to_string(PathCategory category) {
    switch (category) {
        case PathCategory::none:
            return "none";
        case PathCategory::decoy:
            return "decoy";
        case PathCategory::sensitive:
            return "sensitive";
        case PathCategory::persistence:
            return "persistence";
        case PathCategory::outside_write:
            return "outside-write";
    }
    return "none";
}

std::string_view to_string(EventType type) {
    switch (type) {
        case EventType::start:
            return "start";
        case EventType::exec:
            return "exec";
        case EventType::connect:
            return "connect";
        case EventType::send:
            return "send";
        case EventType::bind:
            return "bind";
        case EventType::listen:
            return "listen";
        case EventType::open:
            return "open";
        case EventType::decoy_access:
            return "decoy-access";
        case EventType::dns:
            return "dns";
        case EventType::denied:
            return "denied";
        case EventType::leak:
            return "leak";
        case EventType::limit:
            return "limit";
        case EventType::ask:
            return "ask";
        case EventType::workspace:
            return "workspace";
        case EventType::home:
            return "home";
        case EventType::exit:
            return "exit";
        case EventType::monitor:
            return "monitor";
    }
    return "unknown";
}

}  // namespace hazmat::sandbox
