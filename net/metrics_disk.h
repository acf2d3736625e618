#pragma once
// An engine::Disk that times every sync() of another Disk into a histogram.

#include <chrono>
#include <mutex>

#include "engine/io.h"
#include "net/metrics_histogram.h"

namespace net {

// Forwards every call to `inner`; sync() calls (the fsyncs of raft.log and store.wal) are
// timed into `fsync`. Like the Disk it wraps: the engine's thread, replace() from its
// background worker, and sync() of raft.log from its log syncer (so the histogram, made for one
// writer, is written under a lock: an fsync costs far more than taking it).
class TimedDisk final : public engine::Disk {
 public:
  TimedDisk(engine::Disk& inner, DurationHistogram& fsync) : inner_(inner), fsync_(fsync) {}

  std::optional<engine::Bytes> read(const std::string& name) const override {
    return inner_.read(name);
  }
  void append(const std::string& name, engine::ByteView data) override {
    inner_.append(name, data);
  }
  std::optional<engine::Bytes> read_range(const std::string& name, std::uint64_t offset,
                                          std::size_t length) const override {
    return inner_.read_range(name, offset, length);
  }
  void write_at(const std::string& name, std::uint64_t offset, engine::ByteView data) override {
    inner_.write_at(name, offset, data);
  }
  void rename(const std::string& from, const std::string& to) override { inner_.rename(from, to); }
  void truncate(const std::string& name, std::uint64_t size) override {
    inner_.truncate(name, size);
  }
  void sync(const std::string& name) override {
    const auto start = std::chrono::steady_clock::now();
    inner_.sync(name);
    const auto took = std::chrono::steady_clock::now() - start;
    std::lock_guard lock(fsync_mutex_);
    fsync_.observe(took);
  }
  void replace(const std::string& name, engine::ByteView data) override {
    inner_.replace(name, data);
  }
  void remove(const std::string& name) override { inner_.remove(name); }
  std::vector<std::string> list() const override { return inner_.list(); }
  void zero_ahead(const std::string& name) override { inner_.zero_ahead(name); }

 private:
  engine::Disk& inner_;
  DurationHistogram& fsync_;
  std::mutex fsync_mutex_;
};

}  // namespace net
