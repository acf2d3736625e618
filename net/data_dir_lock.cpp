#include "net/data_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "net/error.h"

namespace net {

namespace {

// The pid the holder wrote, or "unknown" (the holder may be between taking the lock and
// writing its pid).
std::string holder_pid(int fd) {
  char buffer[32] = {};
  ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
  if (n <= 0) return "unknown";
  long pid = 0;
  auto [end, err] = std::from_chars(buffer, buffer + n, pid);
  if (err != std::errc() || end == buffer || pid <= 0) return "unknown";
  return std::to_string(pid);
}

}  // namespace

DataDirLock::DataDirLock(std::filesystem::path directory) : directory_(std::move(directory)) {
  std::error_code ec;
  std::filesystem::create_directories(directory_, ec);
  if (ec)
    throw Error(
        fmt::format("cannot create data directory {}: {}", directory_.string(), ec.message()));
  const auto path = directory_ / kFileName;
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw Error(fmt::format("cannot open lock file {}: {}", path.string(), std::strerror(errno)));
  int rc;
  while ((rc = ::flock(fd_, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR) {
  }
  if (rc != 0) {
    const int error = errno;
    std::string message =
        error == EWOULDBLOCK
            ? fmt::format("data directory {} is in use by another dns-node (pid {})",
                          directory_.string(), holder_pid(fd_))
            : fmt::format("cannot lock {}: {}", path.string(), std::strerror(error));
    ::close(fd_);
    fd_ = -1;
    throw Error(message);
  }
  // Overwrite, then cut: a reader never sees an empty file unless this is its first owner.
  const std::string pid = fmt::format("{}\n", ::getpid());
  if (::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()) ||
      ::ftruncate(fd_, static_cast<off_t>(pid.size())) != 0) {
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    throw Error(fmt::format("cannot write lock file {}: {}", path.string(), std::strerror(error)));
  }
}

DataDirLock::~DataDirLock() {
  // The file stays: removing it would race with a process that just opened it.
  if (fd_ >= 0) ::close(fd_);
}

DataDirLock::DataDirLock(DataDirLock&& other) noexcept
    : directory_(std::move(other.directory_)), fd_(std::exchange(other.fd_, -1)) {}

DataDirLock& DataDirLock::operator=(DataDirLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    directory_ = std::move(other.directory_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

}  // namespace net
