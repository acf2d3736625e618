#pragma once
// One node's simulated disk: what reads see, and separately what would survive a power cut.
// Until sync() a file's new bytes live only in the "page cache"; crash() throws that away (or,
// torn, keeps a random prefix of the unsynced appended tail, as a real disk might). Fault
// switches make calls fail as a full or failing disk does (the disk-full scenario).

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "engine/io.h"
#include "sim/prng.h"

namespace sim {

// What a faulty disk does; switched on and off per window (SimDisk::begin_fault / end_fault).
enum class DiskFault : std::uint8_t {
  // No space left: append() and replace() throw a retry-safe ENOSPC DiskError and change
  // nothing; truncate(), remove() and sync() still work (they need no new space).
  Full,
  // Write-back fails: sync() throws an EIO DiskError that is not retry-safe, and what that file
  // had unsynced is gone from the write-back (the kernel marked the pages clean): later syncs of
  // the file succeed but make nothing durable until the machine restarts (crash()). replace()
  // throws a retry-safe EIO (its temp file's fsync failed; the old file stays).
  FailingSyncs,
};

// engine::Disk in memory, with explicit durable state and crash semantics.
class SimDisk final : public engine::Disk {
 public:
  std::optional<engine::Bytes> read(const std::string& name) const override;
  std::optional<engine::Bytes> read_range(const std::string& name, std::uint64_t offset,
                                          std::size_t length) const override;
  void append(const std::string& name, engine::ByteView data) override;
  void write_at(const std::string& name, std::uint64_t offset, engine::ByteView data) override;
  void rename(const std::string& from, const std::string& to) override;
  void truncate(const std::string& name, std::uint64_t size) override;
  void sync(const std::string& name) override;
  void replace(const std::string& name, engine::ByteView data) override;
  void remove(const std::string& name) override;
  std::vector<std::string> list() const override;

  // Power cut: every file reverts to its durable content. With `torn`, a file whose unsynced
  // change was a pure append keeps a random prefix (possibly empty) of that appended tail.
  void crash(bool torn, Prng& prng);

  // Faults overlap: each kind is on while any window of it is (counted).
  void begin_fault(DiskFault fault);
  void end_fault(DiskFault fault);
  void clear_faults();
  bool faulty() const { return full_ > 0 || failing_syncs_ > 0; }
  std::uint64_t failed_calls() const { return failed_calls_; }

  std::uint64_t syncs() const { return syncs_; }
  std::uint64_t bytes_written() const { return bytes_written_; }
  // Bytes currently visible that would not survive a crash (for tests and stats).
  std::uint64_t unsynced_bytes() const;

 private:
  // A file as the page cache sees it and as the platter holds it.
  struct File {
    engine::Bytes current;
    std::optional<engine::Bytes> durable;  // nullopt: the file would not exist after a crash
    bool write_back_lost = false;          // a sync failed: later syncs make nothing durable
  };
  [[noreturn]] void fail(const char* code, const char* operation, const std::string& name,
                         bool retry_safe, const char* why);
  std::map<std::string, File> files_;  // ordered: list() and crash() are deterministic
  std::uint64_t syncs_ = 0;
  std::uint64_t bytes_written_ = 0;
  int full_ = 0;           // active Full windows
  int failing_syncs_ = 0;  // active FailingSyncs windows
  std::uint64_t failed_calls_ = 0;
};

}  // namespace sim
