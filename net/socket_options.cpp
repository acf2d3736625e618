#include "net/socket_options.h"

#include <atomic>

#include <spdlog/spdlog.h>

namespace net {

namespace {

// Linux reports twice the requested size (it counts its bookkeeping overhead).
int effective_size(int fd, int option) {
  int value = 0;
  socklen_t length = sizeof value;
  ::getsockopt(fd, SOL_SOCKET, option, &value, &length);
  return value / 2;
}

void set_buffer_size(int fd, int option, int force_option, int bytes, const char* sysctl) {
  ::setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof bytes);
  if (effective_size(fd, option) >= bytes) return;
  ::setsockopt(fd, SOL_SOCKET, force_option, &bytes, sizeof bytes);
  int got = effective_size(fd, option);
  if (got >= bytes) return;
  static std::atomic<bool> warned{false};
  if (!warned.exchange(true))
    spdlog::warn("socket buffer is {} bytes, not the {} asked for: raise {} (sysctl -w {}={})", got,
                 bytes, sysctl, sysctl, bytes);
}

}  // namespace

void set_buffer_sizes(int fd, int receive_bytes, int send_bytes) {
  set_buffer_size(fd, SO_RCVBUF, SO_RCVBUFFORCE, receive_bytes, "net.core.rmem_max");
  set_buffer_size(fd, SO_SNDBUF, SO_SNDBUFFORCE, send_bytes, "net.core.wmem_max");
}

}  // namespace net
