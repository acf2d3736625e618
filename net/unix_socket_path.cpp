#include "net/unix_socket_path.h"

#include <fcntl.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "net/error.h"

namespace net {

std::size_t UnixSocketPath::max_length() {
  return sizeof(sockaddr_un{}.sun_path) - 1;
}

UnixSocketPath::UnixSocketPath(const std::filesystem::path& path) : name_(path.string()) {
  if (name_.size() <= max_length()) return;
  std::filesystem::path directory = path.parent_path();
  if (directory.empty()) directory = ".";
  directory_fd_ = ::open(directory.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (directory_fd_ < 0)
    throw Error(fmt::format("{}: cannot open its directory: {}", name_, std::strerror(errno)));
  name_ = fmt::format("/proc/self/fd/{}/{}", directory_fd_, path.filename().string());
  if (name_.size() > max_length()) {
    ::close(directory_fd_);
    throw Error(
        fmt::format("{}: socket file name too long ({} bytes; a Unix socket path takes "
                    "at most {})",
                    path.string(), path.filename().string().size(), max_length()));
  }
}

UnixSocketPath::~UnixSocketPath() {
  if (directory_fd_ >= 0) ::close(directory_fd_);
}

}  // namespace net
