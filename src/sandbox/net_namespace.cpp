#include "sandbox/net_namespace.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstring>

namespace hazmat::sandbox {

Status bring_loopback_up() {
    UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock)
        return sys_error("socket(AF_INET, SOCK_DGRAM) for loopback setup");
    struct ifreq request = {};
    std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    if (ioctl(sock.get(), SIOCGIFFLAGS, &request) != 0)
        return sys_error("ioctl(lo, SIOCGIFFLAGS)");
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP | IFF_RUNNING);
    if (ioctl(sock.get(), SIOCSIFFLAGS, &request) != 0)
        return sys_error("ioctl(lo, SIOCSIFFLAGS, IFF_UP)");
    return done();
}

Result<UniqueFd> bind_nameserver_socket() {
    UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!sock)
        return sys_error("socket(AF_INET, SOCK_DGRAM) for the DNS answerer");
    struct sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_port = htons(kNameserverPort);
    inet_pton(AF_INET, kNameserverAddress, &address.sin_addr);
    if (bind(sock.get(), reinterpret_cast<const struct sockaddr*>(&address), sizeof(address)) != 0)
        return sys_error("bind(127.0.0.53:53)");
    return sock;
}

}  // namespace hazmat::sandbox
