#include "sandbox/control_channel.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace hazmat::sandbox {

namespace {

struct Header {
    ControlType type;
    int32_t value;
};

constexpr size_t kMaxText = 4000;

}  // namespace

Status send_control(int socket, ControlType type, int32_t value, std::string_view text, int fd) {
    char buffer[sizeof(Header) + kMaxText];
    const Header header{type, value};
    std::memcpy(buffer, &header, sizeof(header));
    const size_t text_size = std::min(text.size(), kMaxText);
    std::memcpy(buffer + sizeof(header), text.data(), text_size);

    struct iovec io = {buffer, sizeof(header) + text_size};
    struct msghdr message = {};
    message.msg_iov = &io;
    message.msg_iovlen = 1;
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    if (fd >= 0) {
        message.msg_control = control;
        message.msg_controllen = sizeof(control);
        auto* cmsg = CMSG_FIRSTHDR(&message);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    }
    for (;;) {
        if (sendmsg(socket, &message, MSG_NOSIGNAL) >= 0)
            return done();
        if (errno != EINTR)
            return sys_error("sendmsg(control channel)");
    }
}

Result<ControlMessage> receive_control(int socket) {
    char buffer[sizeof(Header) + kMaxText];
    struct iovec io = {buffer, sizeof(buffer)};
    struct msghdr message = {};
    message.msg_iov = &io;
    message.msg_iovlen = 1;
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    message.msg_control = control;
    message.msg_controllen = sizeof(control);
    ssize_t received;
    do {
        received = recvmsg(socket, &message, MSG_CMSG_CLOEXEC);
    } while (received < 0 && errno == EINTR);
    if (received < 0)
        return sys_error("recvmsg(control channel)");
    if (received == 0)
        return Error{"the sandbox closed its control channel"};
    if (static_cast<size_t>(received) < sizeof(Header))
        return Error{"short message on the control channel"};

    ControlMessage result;
    Header header;
    std::memcpy(&header, buffer, sizeof(header));
    result.type = header.type;
    result.value = header.value;
    result.text.assign(buffer + sizeof(Header), static_cast<size_t>(received) - sizeof(Header));
    for (auto* cmsg = CMSG_FIRSTHDR(&message); cmsg != nullptr;
         cmsg = CMSG_NXTHDR(&message, cmsg)) {
        if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
            result.fd.reset(fd);
        }
    }
    return result;
}

}  // namespace hazmat::sandbox
