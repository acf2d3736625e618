#pragma once
// An in-memory engine::Disk for tests: remembers what was synced, and crash() throws away (or
// tears) everything written since the last sync, as a power cut would. cut_power_after() makes a
// later disk call fail mid-operation, to test every crash point between disk calls; fail() makes
// calls throw DiskError as a full or broken disk does, until heal().

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>

#include "engine/io.h"

namespace engine::testing {

// Thrown by the disk call at which a power cut scheduled with cut_power_after() happens.
struct PowerCut {};

class MemoryDisk : public Disk {
 public:
  std::optional<Bytes> read(const std::string& name) const override {
    auto it = files_.find(name);
    if (it == files_.end()) return std::nullopt;
    return it->second.current;
  }
  std::optional<Bytes> read_range(const std::string& name, std::uint64_t offset,
                                  std::size_t length) const override {
    auto it = files_.find(name);
    if (it == files_.end()) return std::nullopt;
    const Bytes& data = it->second.current;
    const std::size_t from = std::min<std::uint64_t>(offset, data.size());
    const std::size_t to = from + std::min(length, data.size() - from);
    return Bytes(data.begin() + from, data.begin() + to);
  }
  void write_at(const std::string& name, std::uint64_t offset, ByteView data) override {
    before_write();
    if (failing(name, Failure::Writes)) fail_call("write", name, true);
    auto& f = files_[name];
    if (offset > f.current.size()) throw std::logic_error("MemoryDisk::write_at past the end");
    if (offset + data.size() > f.current.size()) f.current.resize(offset + data.size());
    std::copy(data.begin(), data.end(), f.current.begin() + offset);
  }
  void rename(const std::string& from, const std::string& to) override {
    before_write();
    if (failing(from, Failure::Writes) || failing(from, Failure::Replaces))
      fail_call("rename", from, true);
    auto it = files_.find(from);
    if (it == files_.end()) fail_call("rename", from, true);
    files_[to] = it->second;
    files_.erase(from);
  }
  void append(const std::string& name, ByteView data) override {
    before_write();
    auto& f = files_[name];
    if (failing(name, Failure::TornAppends)) {
      f.current.insert(f.current.end(), data.begin(), data.begin() + data.size() / 2);
      fail_call("write", name, false);
    }
    if (failing(name, Failure::Writes)) fail_call("write", name, true);
    f.current.insert(f.current.end(), data.begin(), data.end());
  }
  void truncate(const std::string& name, std::uint64_t size) override {
    before_write();
    if (failing(name, Failure::Writes)) fail_call("truncate", name, true);
    auto& f = files_[name];
    if (size < f.current.size()) f.current.resize(size);
  }
  void sync(const std::string& name) override {
    before_write();
    if (failing(name, Failure::Syncs)) fail_call("fsync", name, false);
    auto& f = files_[name];
    f.durable = f.current;
    ++syncs;
  }
  void replace(const std::string& name, ByteView data) override {
    before_write();
    if (failing(name, Failure::Writes) || failing(name, Failure::Replaces))
      fail_call("write", name, true);
    auto& f = files_[name];
    f.current.assign(data.begin(), data.end());
    f.durable = f.current;
  }
  void remove(const std::string& name) override {
    before_write();
    if (failing(name, Failure::Writes)) fail_call("remove", name, true);
    files_.erase(name);
  }
  std::vector<std::string> list() const override {
    std::vector<std::string> names;
    for (auto& [name, f] : files_) names.push_back(name);
    return names;
  }

  // Power cut: unsynced bytes vanish, except that the first `torn_bytes` of them survive
  // (a partially written record).
  void crash(size_t torn_bytes = 0) {
    for (auto& [name, f] : files_) {
      Bytes kept = f.durable;
      if (f.current.size() > f.durable.size() &&
          std::equal(f.durable.begin(), f.durable.end(), f.current.begin())) {
        size_t extra = std::min(torn_bytes, f.current.size() - f.durable.size());
        kept.insert(kept.end(), f.current.begin() + f.durable.size(),
                    f.current.begin() + f.durable.size() + extra);
      }
      f.current = kept;
      f.durable = kept;
    }
  }
  // The operator's rm -rf of the data directory: every file gone.
  void wipe() { files_.clear(); }
  // Direct access for corruption tests.
  Bytes& raw(const std::string& name) { return files_[name].current; }

  // The `calls`-th writing call from now (append, write_at, truncate, sync, replace, rename,
  // remove; 0 = the next
  // one) throws PowerCut instead of doing anything; -1 disarms. Follow it with crash() to model the
  // cut.
  void cut_power_after(int calls) { calls_until_power_cut_ = calls; }

  // How calls fail after fail(): Writes: append, truncate, replace and remove throw a retry-safe
  // DiskError and change nothing (a full disk; FileDisk undoes a partial append). Syncs: sync
  // throws a DiskError that is not retry-safe. TornAppends: append writes half its data, then
  // throws a DiskError that is not retry-safe (a partial write that could not be undone).
  // Replaces: only replace fails, retry-safe.
  enum class Failure { None, Writes, Syncs, TornAppends, Replaces };
  // Only calls on the file `only` fail, if given; every file's otherwise.
  void fail(Failure how, std::string code = "ENOSPC", std::string only = "") {
    failure_ = how;
    failure_code_ = std::move(code);
    failure_file_ = std::move(only);
  }
  void heal() { failure_ = Failure::None; }

  int syncs = 0;
  int writes = 0;        // writing calls made so far (to count the crash points of an operation)
  int failed_calls = 0;  // calls that threw DiskError

 private:
  bool failing(const std::string& name, Failure how) const {
    return failure_ == how && (failure_file_.empty() || failure_file_ == name);
  }
  [[noreturn]] void fail_call(const std::string& operation, const std::string& name,
                              bool retry_safe) {
    ++failed_calls;
    throw DiskError(failure_code_, operation, name, retry_safe,
                    "cannot " + operation + " " + name + ": " + failure_code_ + " (test disk)");
  }

  void before_write() {
    if (calls_until_power_cut_ == 0) {
      calls_until_power_cut_ = -1;
      throw PowerCut{};
    }
    if (calls_until_power_cut_ > 0) --calls_until_power_cut_;
    ++writes;
  }

  int calls_until_power_cut_ = -1;
  Failure failure_ = Failure::None;
  std::string failure_code_;
  std::string failure_file_;
  struct File {
    Bytes durable;
    Bytes current;
  };
  std::map<std::string, File> files_;
};

}  // namespace engine::testing
