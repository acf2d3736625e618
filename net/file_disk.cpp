#include "net/file_disk.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
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

std::string errno_name(int error) {
  if (const char* name = ::strerrorname_np(error)) return name;
  return fmt::format("errno {}", error);
}

// `name` is the file as the engine named it ("." for the directory), `path` the real path.
engine::DiskError disk_error(std::string_view operation, const std::string& name,
                             const std::filesystem::path& path, bool retry_safe,
                             int error = errno) {
  return engine::DiskError(
      errno_name(error), std::string(operation), name, retry_safe,
      fmt::format("cannot {} {}: {}", operation, path.string(), std::strerror(error)));
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

// Calls write_some(done) until `size` bytes are written (a regular file may take less than asked
// for); 0 or the errno of the call that failed.
template <class WriteSome>
int write_fully(std::size_t size, WriteSome write_some) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = write_some(done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

int write_all(int fd, engine::ByteView data) {
  return write_fully(data.size(), [&](std::size_t done) {
    return ::write(fd, data.data() + done, data.size() - done);
  });
}

int pwrite_all(int fd, engine::ByteView data, std::uint64_t offset) {
  return write_fully(data.size(), [&](std::size_t done) {
    return ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
  });
}

// Writes zeros over [from, to); 0 or the errno of the write that failed.
int write_zeros(int fd, std::uint64_t from, std::uint64_t to) {
  static const std::uint8_t zeros[1 << 16] = {};
  for (std::uint64_t at = from; at < to;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof zeros, to - at));
    if (const int error = pwrite_all(fd, engine::ByteView(zeros, n), at); error != 0) return error;
    at += n;
  }
  return 0;
}

// ftruncate() until it is not interrupted; 0 or the errno of the failure.
int truncate_fd(int fd, std::uint64_t size) {
  while (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

// sync_call (fsync, or fdatasync: the data and what reading it back needs, its size, not its
// times) until it is not interrupted; 0 or the errno of the failure.
int sync_fd(int fd, int (*sync_call)(int) = ::fsync) {
  while (sync_call(fd) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
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
  for (const auto& [name, file] : open_files_) ::close(file.fd);
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
    throw disk_error("open", name, path, true);
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
      throw disk_error("read", name, path, true, error);
    }
    data.insert(data.end(), buffer, buffer + n);
  }
  ::close(fd);
  return data;
}

std::optional<engine::Bytes> FileDisk::read_range(const std::string& name, std::uint64_t offset,
                                                  std::size_t length) const {
  const auto path = path_of(name);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw disk_error("open", name, path, true);
  }
  engine::Bytes data(length);
  std::size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, data.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      int error = errno;
      ::close(fd);
      throw disk_error("read", name, path, true, error);
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  data.resize(done);
  return data;
}

void FileDisk::write_at(const std::string& name, std::uint64_t offset, engine::ByteView data) {
  const auto path = path_of(name);
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw disk_error("open", name, path, true);
  const int error = pwrite_all(fd, data, offset);
  ::close(fd);
  if (error != 0) throw disk_error("write", name, path, true, error);
}

void FileDisk::rename(const std::string& from, const std::string& to) {
  const auto from_path = path_of(from);
  const auto to_path = path_of(to);
  close_fd(from);
  close_fd(to);
  if (::rename(from_path.c_str(), to_path.c_str()) != 0) {
    const int error = errno;
    throw engine::DiskError(errno_name(error), "rename", from, true,
                            fmt::format("cannot rename {} to {}: {}", from_path.string(),
                                        to_path.string(), std::strerror(error)));
  }
  {
    std::lock_guard lock(files_mutex_);  // the background snapshot's replace() shares the table
    new_files_.erase(from);
  }
  sync_directory();
}

FileDisk::AppendFile& FileDisk::append_file(const std::string& name) {
  std::lock_guard lock(files_mutex_);
  if (auto it = open_files_.find(name); it != open_files_.end()) return it->second;
  const auto path = path_of(name);
  AppendFile file;
  file.zero_ahead = zero_ahead_.contains(name);
  // A zero-ahead file is written with pwrite() at its data's end, not at the end of its zeros.
  const int flags = O_WRONLY | O_CLOEXEC | (file.zero_ahead ? 0 : O_APPEND);
  file.fd = ::open(path.c_str(), flags);
  if (file.fd < 0 && errno == ENOENT) {
    file.fd = ::open(path.c_str(), flags | O_CREAT, 0644);
    if (file.fd >= 0) new_files_.insert(name);
  }
  if (file.fd < 0) throw disk_error("open", name, path, true);
  if (file.zero_ahead) {
    // Zeros a run before this one wrote are data here until the reader cuts them (it does so
    // before it appends): appends go after them.
    struct stat info {};
    if (::fstat(file.fd, &info) != 0) {
      const int error = errno;
      ::close(file.fd);
      throw disk_error("stat", name, path, true, error);
    }
    file.end = file.zeroed_to = static_cast<std::uint64_t>(info.st_size);
  }
  return open_files_.emplace(name, file).first->second;
}

void FileDisk::close_fd(const std::string& name) {
  std::lock_guard lock(files_mutex_);
  if (auto it = open_files_.find(name); it != open_files_.end()) {
    ::close(it->second.fd);
    open_files_.erase(it);
  }
}

void FileDisk::zero_ahead(const std::string& name) {
  check_name(name);
  {
    std::lock_guard lock(files_mutex_);
    // Again (a second RaftLogStore on this disk): the open file keeps where its data ends.
    if (!zero_ahead_.insert(name).second) return;
  }
  close_fd(name);  // reopened without O_APPEND by the next append
}

void FileDisk::append_zero_ahead(const std::string& name, AppendFile& file, engine::ByteView data) {
  // file.end <= file.zeroed_to, the file's size.
  const std::uint64_t end = file.end + data.size();
  if (end > file.zeroed_to) {
    // Whole chunks, so the file's size (and its block map) changes once per kZeroAhead bytes.
    const std::uint64_t to = (end + kZeroAhead - 1) / kZeroAhead * kZeroAhead;
    if (write_zeros(file.fd, file.zeroed_to, to) == 0) {
      file.zeroed_to = to;
    } else {
      // No room for the zeros (the disk is nearly full): the data may still fit, as a plain
      // append past the end would (if even the cut fails, the data overwrites what is left).
      truncate_fd(file.fd, file.zeroed_to);
    }
  }
  const int error = pwrite_all(file.fd, data, file.end);
  if (error == 0) {
    file.end = end;
    file.zeroed_to = std::max(file.zeroed_to, end);
    return;
  }
  // Put back what was there, so a reader still finds the log ending at file.end: zeros (a
  // partial batch left behind could hold whole records a shorter later append would not cover),
  // and past them, nothing.
  int undo = end > file.zeroed_to ? truncate_fd(file.fd, file.zeroed_to) : 0;
  if (undo == 0) undo = write_zeros(file.fd, file.end, std::min(end, file.zeroed_to));
  throw disk_error("write", name, directory_ / name, undo == 0, error);
}

void FileDisk::append(const std::string& name, engine::ByteView data) {
  AppendFile& file = append_file(name);
  if (file.zero_ahead) return append_zero_ahead(name, file, data);
  const int fd = file.fd;
  struct stat before {};
  if (::fstat(fd, &before) != 0) throw disk_error("stat", name, directory_ / name, true);
  const int error = write_all(fd, data);
  if (error == 0) return;
  // A full disk often takes part of the data first. Cut that partial record off again, so the
  // file is as it was and the caller may simply append it again later.
  const int cut = truncate_fd(fd, static_cast<std::uint64_t>(before.st_size));
  throw disk_error("write", name, directory_ / name, cut == 0, error);
}

void FileDisk::truncate(const std::string& name, std::uint64_t size) {
  const auto path = path_of(name);
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return;
    throw disk_error("stat", name, path, true);
  }
  if (static_cast<std::uint64_t>(info.st_size) <= size) return;
  if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0)
    throw disk_error("truncate", name, path, true);
  std::lock_guard lock(files_mutex_);
  if (auto it = open_files_.find(name); it != open_files_.end()) {
    it->second.end = std::min(it->second.end, size);
    it->second.zeroed_to = std::min(it->second.zeroed_to, size);
  }
}

void FileDisk::sync(const std::string& name) {
  const auto path = path_of(name);
  int error = 0;
  int open_fd = -1;
  bool is_new = false;
  {
    std::lock_guard lock(files_mutex_);
    if (auto it = open_files_.find(name); it != open_files_.end()) open_fd = it->second.fd;
    is_new = new_files_.contains(name);
  }
  if (open_fd >= 0) {
    error = sync_fd(open_fd, ::fdatasync);
  } else {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return;
      throw disk_error("open", name, path, true);
    }
    error = sync_fd(fd, ::fdatasync);
    ::close(fd);
  }
  if (error != 0) throw disk_error("fsync", name, path, false, error);
  if (is_new) sync_directory();
}

void FileDisk::replace(const std::string& name, engine::ByteView data) {
  const auto path = path_of(name);
  const auto temp = directory_ / temp_name(name);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw disk_error("create", name, temp, true);
  // Until the rename the real file is untouched, so every failure before it is safe to retry
  // (a failed fsync concerns only the temporary file, which goes).
  std::string_view failed;
  int error = write_all(fd, data);
  if (error != 0) {
    failed = "write";
  } else if ((error = sync_fd(fd)) != 0) {
    failed = "fsync";
  }
  ::close(fd);
  if (error != 0) {
    ::unlink(temp.c_str());
    throw disk_error(failed, name, temp, true, error);
  }
  // An append descriptor still open on the old file would write into the replaced inode.
  close_fd(name);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    error = errno;
    ::unlink(temp.c_str());
    throw engine::DiskError(errno_name(error), "rename", name, true,
                            fmt::format("cannot rename {} to {}: {}", temp.string(), path.string(),
                                        std::strerror(error)));
  }
  sync_directory();
}

void FileDisk::remove(const std::string& name) {
  const auto path = path_of(name);
  close_fd(name);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return;
    throw disk_error("remove", name, path, true);
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
  if (ec) {
    throw engine::DiskError(
        errno_name(ec.value()), "list", ".", true,
        fmt::format("cannot list directory {}: {}", directory_.string(), ec.message()));
  }
  std::sort(names.begin(), names.end());
  return names;
}

void FileDisk::sync_directory() {
  std::set<std::string> created;
  {
    std::lock_guard lock(files_mutex_);
    created = new_files_;
  }
  if (const int error = sync_fd(directory_fd_); error != 0)
    throw disk_error("fsync", ".", directory_, false, error);
  // Every name created before the fsync is now durable (not one another thread made since).
  std::lock_guard lock(files_mutex_);
  for (const std::string& name : created) new_files_.erase(name);
}

}  // namespace net
