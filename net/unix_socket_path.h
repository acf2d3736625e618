#pragma once
// Unix socket paths longer than sockaddr_un allows (107 bytes): a data directory deep in a file
// system must not stop its node from having a control socket.

#include <filesystem>
#include <string>

namespace net {

// A name for `path` that fits in sockaddr_un: the path itself when it fits, else the same file
// reached through "/proc/self/fd/N/NAME" with N an open descriptor of its directory (Linux
// resolves the link, so bind() creates and connect() reaches the real file). Valid while this
// object lives.
class UnixSocketPath {
 public:
  // Throws net::Error naming the path when its file name alone is too long or its directory
  // cannot be opened.
  explicit UnixSocketPath(const std::filesystem::path& path);
  ~UnixSocketPath();
  UnixSocketPath(const UnixSocketPath&) = delete;
  UnixSocketPath& operator=(const UnixSocketPath&) = delete;

  const std::string& name() const { return name_; }

  // The longest path sockaddr_un holds.
  static std::size_t max_length();

 private:
  std::string name_;
  int directory_fd_ = -1;
};

}  // namespace net
