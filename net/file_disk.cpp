#include "net/file_disk.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "net/error.h"

namespace net {

namespace {

constexpr std::string_view kTempPrefix = ".";
constexpr std::string_view kTempSuffix = ".tmp";

Error io_error(std::string_view what, const std::filesystem::path& path, int error = errno) {
  return Error(fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(error)));
}

void check_name(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos)
    throw std::invalid_argument(
        fmt::format("bad disk file name '{}': want a plain file name", name));
}

bool is_temp_name(std::string_view name) {
  return name.size() > kTempPrefix.size() + kTempSuffix.size() && name.starts_with(kTempPrefix) &&
         name.ends_with(kTempSuffix);
}

std::string temp_name(const std::string& name) {
  return fmt::format("{}{}{}", kTempPrefix, name, kTempSuffix);
}

// write() until everything is written: regular files may take less than asked for.
void write_all(int fd, engine::ByteView data, const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw io_error("write", path);
    }
    done += static_cast<std::size_t>(n);
  }
}

void fsync_or_throw(int fd, const std::filesystem::path& path) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) throw io_error("fsync", path);
  }
}

}  // namespace

FileDisk::FileDisk(std::filesystem::path directory) : directory_(std::move(directory)) {
  std::error_code ec;
  std::filesystem::create_directories(directory_, ec);
  if (ec)
    throw Error(fmt::format("cannot create directory {}: {}", directory_.string(), ec.message()));
  directory_fd_ = ::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory_fd_ < 0) throw io_error("open directory", directory_);
  // A crash inside replace() leaves the temporary file; the real file is still the old one.
  bool removed = false;
  for (const auto& entry : std::filesystem::directory_iterator(directory_, ec)) {
    if (!is_temp_name(entry.path().filename().string())) continue;
    if (::unlink(entry.path().c_str()) != 0 && errno != ENOENT) {
      int error = errno;
      ::close(directory_fd_);
      throw io_error("remove", entry.path(), error);
    }
    removed = true;
  }
  if (ec) {
    ::close(directory_fd_);
    throw Error(fmt::format("cannot list directory {}: {}", directory_.string(), ec.message()));
  }
  if (removed) sync_directory();
}

FileDisk::~FileDisk() {
  for (const auto& [name, fd] : open_files_) ::close(fd);
  if (directory_fd_ >= 0) ::close(directory_fd_);
}

std::filesystem::path FileDisk::path_of(const std::string& name) const {
  check_name(name);
  return directory_ / name;
}

std::optional<engine::Bytes> FileDisk::read(const std::string& name) const {
  const auto path = path_of(name);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw io_error("open", path);
  }
  engine::Bytes data;
  struct stat info {};
  if (::fstat(fd, &info) == 0 && info.st_size > 0)
    data.reserve(static_cast<std::size_t>(info.st_size));
  std::uint8_t buffer[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      int error = errno;
      ::close(fd);
      throw io_error("read", path, error);
    }
    data.insert(data.end(), buffer, buffer + n);
  }
  ::close(fd);
  return data;
}

int FileDisk::append_fd(const std::string& name) {
  if (auto it = open_files_.find(name); it != open_files_.end()) return it->second;
  const auto path = path_of(name);
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) new_files_.insert(name);
  }
  if (fd < 0) throw io_error("open", path);
  open_files_.emplace(name, fd);
  return fd;
}

void FileDisk::close_fd(const std::string& name) {
  if (auto it = open_files_.find(name); it != open_files_.end()) {
    ::close(it->second);
    open_files_.erase(it);
  }
}

void FileDisk::append(const std::string& name, engine::ByteView data) {
  int fd = append_fd(name);
  write_all(fd, data, directory_ / name);
}

void FileDisk::truncate(const std::string& name, std::uint64_t size) {
  const auto path = path_of(name);
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return;
    throw io_error("stat", path);
  }
  if (static_cast<std::uint64_t>(info.st_size) <= size) return;
  if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) throw io_error("truncate", path);
}

void FileDisk::sync(const std::string& name) {
  const auto path = path_of(name);
  if (auto it = open_files_.find(name); it != open_files_.end()) {
    fsync_or_throw(it->second, path);
  } else {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return;
      throw io_error("open", path);
    }
    try {
      fsync_or_throw(fd, path);
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::close(fd);
  }
  if (new_files_.contains(name)) sync_directory();
}

void FileDisk::replace(const std::string& name, engine::ByteView data) {
  const auto path = path_of(name);
  const auto temp = directory_ / temp_name(name);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw io_error("create", temp);
  try {
    write_all(fd, data, temp);
    fsync_or_throw(fd, temp);
  } catch (...) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  ::close(fd);
  // An append descriptor still open on the old file would write into the replaced inode.
  close_fd(name);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(temp.c_str());
    throw io_error("rename " + temp.string() + " to", path, error);
  }
  sync_directory();
}

void FileDisk::remove(const std::string& name) {
  const auto path = path_of(name);
  close_fd(name);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return;
    throw io_error("remove", path);
  }
  sync_directory();
}

std::vector<std::string> FileDisk::list() const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(directory_, ec)) {
    std::string name = entry.path().filename().string();
    std::error_code type_ec;
    if (name.starts_with('.') || !entry.is_regular_file(type_ec)) continue;
    names.push_back(std::move(name));
  }
  if (ec)
    throw Error(fmt::format("cannot list directory {}: {}", directory_.string(), ec.message()));
  std::sort(names.begin(), names.end());
  return names;
}

void FileDisk::sync_directory() {
  fsync_or_throw(directory_fd_, directory_);
  // Every name created so far is now durable.
  new_files_.clear();
}

}  // namespace net
