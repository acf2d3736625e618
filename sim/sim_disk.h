#pragma once
// One node's simulated disk: what reads see, and separately what would survive a power cut.
// Until sync() a file's new bytes live only in the "page cache"; crash() throws that away (or,
// torn, keeps a random prefix of the unsynced appended tail, as a real disk might).

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "engine/io.h"
#include "sim/prng.h"

namespace sim {

// engine::Disk in memory, with explicit durable state and crash semantics.
class SimDisk final : public engine::Disk {
 public:
  std::optional<engine::Bytes> read(const std::string& name) const override;
  void append(const std::string& name, engine::ByteView data) override;
  void truncate(const std::string& name, std::uint64_t size) override;
  void sync(const std::string& name) override;
  void replace(const std::string& name, engine::ByteView data) override;
  void remove(const std::string& name) override;
  std::vector<std::string> list() const override;

  // Power cut: every file reverts to its durable content. With `torn`, a file whose unsynced
  // change was a pure append keeps a random prefix (possibly empty) of that appended tail.
  void crash(bool torn, Prng& prng);

  std::uint64_t syncs() const { return syncs_; }
  std::uint64_t bytes_written() const { return bytes_written_; }
  // Bytes currently visible that would not survive a crash (for tests and stats).
  std::uint64_t unsynced_bytes() const;

 private:
  // A file as the page cache sees it and as the platter holds it.
  struct File {
    engine::Bytes current;
    std::optional<engine::Bytes> durable;  // nullopt: the file would not exist after a crash
  };
  std::map<std::string, File> files_;  // ordered: list() and crash() are deterministic
  std::uint64_t syncs_ = 0;
  std::uint64_t bytes_written_ = 0;
};

}  // namespace sim
