#pragma once
// Makes sure only one dns-node at a time uses a data directory.

#include <filesystem>

namespace net {

// An exclusive flock(2) on DIR/LOCK, held until destruction (or process exit: the kernel drops
// it on kill -9 too, so a crash never leaves a stale lock). The file holds the owner's pid so
// that the refusal can say who holds it. Two dns-nodes writing one raft log would corrupt it.
class DataDirLock {
 public:
  static constexpr const char* kFileName = "LOCK";

  // Creates `directory` if missing (mkdir -p) and takes the lock. Throws net::Error
  // "data directory X is in use by another dns-node (pid N)" if another process holds it, or
  // naming the path and the OS's reason if the directory or the file cannot be created.
  explicit DataDirLock(std::filesystem::path directory);
  ~DataDirLock();
  DataDirLock(DataDirLock&& other) noexcept;
  DataDirLock& operator=(DataDirLock&& other) noexcept;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

  const std::filesystem::path& directory() const { return directory_; }

 private:
  std::filesystem::path directory_;
  int fd_ = -1;
};

}  // namespace net
