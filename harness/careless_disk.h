#pragma once
// The disk-handling bug switches (bug_switches.h) as a Disk in front of a node's SimDisk: it hides
// some failures from the node, as a storage layer that ignored error codes would. The engine's
// own code stays untouched; what the node then does with data it wrongly believes durable or
// written is what the checks must catch.

#include <string>

#include "engine/io.h"

namespace harness {

// Which failures CarelessDisk hides.
struct DiskBugs {
  bool ignore_fsync_errors = false;  // a failed sync() returns as if it worked
  bool drop_failed_writes = false;   // a failed append() returns as if it worked (data dropped)
  bool any() const { return ignore_fsync_errors || drop_failed_writes; }
};

// Forwards every call to the real disk, swallowing the DiskErrors its DiskBugs name.
class CarelessDisk final : public engine::Disk {
 public:
  CarelessDisk(engine::Disk& disk, DiskBugs bugs) : disk_(disk), bugs_(bugs) {}

  std::optional<engine::Bytes> read(const std::string& name) const override {
    return disk_.read(name);
  }
  void append(const std::string& name, engine::ByteView data) override {
    try {
      disk_.append(name, data);
    } catch (const engine::DiskError&) {
      if (!bugs_.drop_failed_writes) throw;
    }
  }
  std::optional<engine::Bytes> read_range(const std::string& name, std::uint64_t offset,
                                          std::size_t length) const override {
    return disk_.read_range(name, offset, length);
  }
  void write_at(const std::string& name, std::uint64_t offset, engine::ByteView data) override {
    disk_.write_at(name, offset, data);
  }
  void rename(const std::string& from, const std::string& to) override { disk_.rename(from, to); }
  void truncate(const std::string& name, std::uint64_t size) override {
    disk_.truncate(name, size);
  }
  void sync(const std::string& name) override {
    try {
      disk_.sync(name);
    } catch (const engine::DiskError&) {
      if (!bugs_.ignore_fsync_errors) throw;
    }
  }
  void replace(const std::string& name, engine::ByteView data) override {
    disk_.replace(name, data);
  }
  void remove(const std::string& name) override { disk_.remove(name); }
  std::vector<std::string> list() const override { return disk_.list(); }
  void zero_ahead(const std::string& name) override { disk_.zero_ahead(name); }

 private:
  engine::Disk& disk_;
  DiskBugs bugs_;
};

}  // namespace harness
