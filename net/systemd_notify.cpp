#include "net/systemd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <spdlog/spdlog.h>

namespace net {

bool notify_systemd(std::string_view state) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (socket == nullptr || *socket == '\0') return false;
  return notify_systemd_at(socket, state);
}

bool notify_systemd_at(const std::string& socket, std::string_view state) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket.empty() || socket.size() >= sizeof address.sun_path ||
      (socket[0] != '/' && socket[0] != '@')) {
    spdlog::warn("NOTIFY_SOCKET '{}' is not a socket path or abstract name; not notifying {}",
                 socket, state);
    return false;
  }
  std::memcpy(address.sun_path, socket.data(), socket.size());
  if (socket[0] == '@') address.sun_path[0] = '\0';  // abstract namespace
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket.size());
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    spdlog::warn("NOTIFY_SOCKET: socket(): {}; not notifying {}", std::strerror(errno), state);
    return false;
  }
  const ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                                reinterpret_cast<const sockaddr*>(&address), length);
  const int error = errno;
  ::close(fd);
  if (sent != static_cast<ssize_t>(state.size())) {
    spdlog::warn("NOTIFY_SOCKET {}: could not send {}: {}", socket, state,
                 sent < 0 ? std::strerror(error) : "short send");
    return false;
  }
  return true;
}

}  // namespace net
