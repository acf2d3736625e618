#pragma once
// engine::Disk over one real directory: the durable storage of a dns-node's raft log, hard state
// and local datastore.

#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "engine/io.h"

namespace net {

// Files in one directory, with the durability contract of engine::Disk: append() data is durable
// once sync() of that file returns (including, for a new file, its directory entry), replace()
// and remove() are durable on return. One engine thread owns it; another thread may replace()
// a file the engine thread leaves alone meanwhile (the engine's background store snapshot),
// so the bookkeeping of open and new files is locked.
//
// Names must be plain file names (no '/', not "." or "..", not empty); anything else throws
// std::invalid_argument, since it is a programming error rather than bad input. I/O failures
// throw engine::DiskError naming the path and the OS's reason (the constructor: net::Error).
class FileDisk final : public engine::Disk {
 public:
  // Creates `directory` if missing (mkdir -p) and removes temporary files a crash in the middle
  // of replace() left behind.
  explicit FileDisk(std::filesystem::path directory);
  ~FileDisk() override;
  FileDisk(const FileDisk&) = delete;
  FileDisk& operator=(const FileDisk&) = delete;

  // The whole file, or nullopt if it does not exist.
  std::optional<engine::Bytes> read(const std::string& name) const override;
  // Reads with pread(); nullopt if the file does not exist.
  std::optional<engine::Bytes> read_range(const std::string& name, std::uint64_t offset,
                                          std::size_t length) const override;
  // Creates the file if missing. A failed write (e.g. ENOSPC after part of the data) is cut
  // back to the old size, so the file is unchanged and DiskError::retry_safe() is true unless
  // that cut failed too.
  void append(const std::string& name, engine::ByteView data) override;
  // pwrite() through its own descriptor (the append one is O_APPEND). Not undone on failure:
  // DiskError::retry_safe() is true, since writing the same bytes again gives the same file.
  void write_at(const std::string& name, std::uint64_t offset, engine::ByteView data) override;
  // rename(2), then an fsync of the directory.
  void rename(const std::string& from, const std::string& to) override;
  // Shrinks the file to `size`; a missing file or a larger size is left alone.
  void truncate(const std::string& name, std::uint64_t size) override;
  // fdatasync of the file, then fsync of the directory if the file is new since the last directory
  // sync. A missing file is left alone.
  void sync(const std::string& name) override;
  void replace(const std::string& name, engine::ByteView data) override;
  // A missing file is not an error.
  void remove(const std::string& name) override;
  // Regular files, sorted; hidden files (names starting with '.', e.g. replace()'s temporary
  // files) are not listed.
  std::vector<std::string> list() const override;
  // From now on `name`'s appends go into zeros written ahead of them, kZeroAhead bytes at a
  // time, so an append's sync() writes only the data and a flush (see engine::Disk). The zeros
  // are written where an append would pass their end (they reach the disk with that append's
  // sync); a failed append is overwritten with zeros again, so the file still reads as before.
  void zero_ahead(const std::string& name) override;

  static constexpr std::uint64_t kZeroAhead = 1 << 20;

  const std::filesystem::path& directory() const { return directory_; }

 private:
  std::filesystem::path path_of(const std::string& name) const;
  // An open append file: for a zero-ahead one, where its data ends and its zeros end.
  struct AppendFile {
    int fd = -1;
    bool zero_ahead = false;
    std::uint64_t end = 0;
    std::uint64_t zeroed_to = 0;
  };
  AppendFile& append_file(const std::string& name);
  void append_zero_ahead(const std::string& name, AppendFile& file, engine::ByteView data);
  void close_fd(const std::string& name);
  void sync_directory();

  std::filesystem::path directory_;
  int directory_fd_ = -1;
  // Files kept open for append so a WAL append costs one write(), not open+write+close.
  std::map<std::string, AppendFile> open_files_;
  std::set<std::string> zero_ahead_;  // the names zero_ahead() was called for
  // Files created since the directory was last fsynced: their names are not durable yet.
  std::set<std::string> new_files_;
  std::mutex files_mutex_;  // guards open_files_, new_files_ and zero_ahead_ (not the I/O)
};

}  // namespace net
