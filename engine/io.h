#pragma once
// The seams: everything protocol code (dns/, raft/, engine/) may ask of the outside world.
// net/ implements them with Boost.Asio and real files; sim/ implements them deterministically.
// Nothing in the pure folders reads the wall clock, draws randomness, opens a socket or a file
// except through these interfaces, which is what lets one seed reproduce a whole run.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace engine {

using NodeId = std::uint64_t;
using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Monotonic time as seen by one node (virtual in the simulator, the OS's monotonic clock in net/).
// Its own epoch tag, so no pure code can mix it with a real clock's time points.
using Duration = std::chrono::nanoseconds;
struct NodeTime {
  using duration = Duration;
};
using TimePoint = std::chrono::time_point<NodeTime, Duration>;

// Sends opaque, already-encoded messages to peers. Delivery is best effort: messages may be lost,
// duplicated, delayed or reordered; the protocol above must cope. Incoming messages are handed to
// the node by whoever drives it (the sim event loop or the Asio io_context), never by callback
// from inside send().
class Transport {
 public:
  virtual ~Transport() = default;
  virtual void send(NodeId to, Bytes message) = 0;
};

// The current time of this node and one-shot timers. Timer callbacks run on the thread that
// drives the node, after the call that scheduled them has returned.
class Clock {
 public:
  using TimerId = std::uint64_t;
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  virtual TimerId start_timer(Duration after, std::function<void()> fire) = 0;
  virtual void cancel_timer(TimerId id) = 0;
};

// A Disk call the operating system failed: no space (ENOSPC), an I/O error (EIO), a read-only
// file system (EROFS), too many open files (EMFILE), ... The node keeps serving from memory and
// stops acknowledging anything while its durable state is uncertain.
class DiskError : public std::runtime_error {
 public:
  // `message` is the whole line for a human ("cannot write /data/raft.log: No space left on
  // device"); the rest says what failed, briefly, for STATUS.
  DiskError(std::string code, std::string operation, std::string file, bool retry_safe,
            const std::string& message)
      : std::runtime_error(message),
        code_(std::move(code)),
        operation_(std::move(operation)),
        file_(std::move(file)),
        retry_safe_(retry_safe) {}

  // The OS's name for the error: "ENOSPC", "EIO", "EROFS", "EMFILE", ...
  const std::string& code() const { return code_; }
  // What failed: "open", "write", "fsync", "truncate", "rename", "remove", "read", "list".
  const std::string& operation() const { return operation_; }
  // The file as named to the Disk ("raft.log"); "." for the directory itself.
  const std::string& file() const { return file_; }
  // True when the call left nothing half done (a partial append was rolled back, a failed
  // replace() left the old file), so making the same call again later is safe. False when a
  // partial write could not be undone or an fsync failed: after a failed fsync the kernel may
  // have dropped the unwritten data, so a later fsync that succeeds proves nothing. Only a
  // restart, which reads back what is really there, recovers from that.
  bool retry_safe() const { return retry_safe_; }

 private:
  std::string code_;
  std::string operation_;
  std::string file_;
  bool retry_safe_;
};

// Durable storage of named files in one node's data directory. Data written with append() or
// write_at() may be lost (or, in the simulator, torn) on a crash until sync() of that file
// returns. replace() is atomic and durable on return (write temp, fsync, rename, fsync dir);
// rename() is atomic and its new name durable on return. read_range() and write_at() let a file
// larger than any buffer the caller wants to hold (a datastore copy) be read and patched in pieces.
// Names are plain file names ("raft.log", "store.snap"); no directories.
//
// Every method reports an OS failure by throwing DiskError. A failed append() leaves the file as
// it was when it can (retry_safe()); a failed replace() leaves the old file in place.
class Disk {
 public:
  virtual ~Disk() = default;
  virtual std::optional<Bytes> read(const std::string& name) const = 0;
  // Up to `length` bytes from byte `offset` (fewer at the end of the file, none past it), or
  // nullopt if the file does not exist.
  virtual std::optional<Bytes> read_range(const std::string& name, std::uint64_t offset,
                                          std::size_t length) const = 0;
  virtual void append(const std::string& name, ByteView data) = 0;
  // Overwrites the bytes of an existing file from `offset` (at most its size), extending it if
  // `data` runs past the end. Durable once sync() of the file returns, like append().
  virtual void write_at(const std::string& name, std::uint64_t offset, ByteView data) = 0;
  virtual void truncate(const std::string& name, std::uint64_t size) = 0;
  virtual void sync(const std::string& name) = 0;
  virtual void replace(const std::string& name, ByteView data) = 0;
  virtual void remove(const std::string& name) = 0;
  // Gives file `from` the name `to` (replacing any file `to`) atomically; the new name is
  // durable on return, the content as durable as the last sync() of `from` made it.
  virtual void rename(const std::string& from, const std::string& to) = 0;
  virtual std::vector<std::string> list() const = 0;
  // A hint that `name` is an append-only log whose reader takes a run of zero bytes at its end
  // for the end of the log. The Disk may then write zeros ahead of the appends, so that the
  // sync() of an append overwrites blocks the file already has and need not record a new size
  // (ext4: one write and a flush instead of data, inode and flush). read() returns those zeros
  // too. Ignoring the hint is always correct.
  virtual void zero_ahead(const std::string& name) { (void)name; }
};

// Runs work off the node's thread (net/: one background thread; without a Worker the node runs
// it inline, as the simulator does, so a seed still reproduces a run). The node gives `work` only
// what nothing else changes meanwhile (an immutable database version, a file the node leaves
// alone until `done`) and starts at most one at a time.
class Worker {
 public:
  virtual ~Worker() = default;
  // Starts `work` (which must not throw); `done` runs later on the node's thread, unless the
  // node was gone by then (the node guards it).
  virtual void run(std::function<void()> work, std::function<void()> done) = 0;
  // Blocks until the work started last has returned (its `done` may still be queued).
  virtual void wait() = 0;
};

// A seeded source of randomness (the simulator's PRNG, or a seed drawn once at start in net/).
class Random {
 public:
  virtual ~Random() = default;
  virtual std::uint64_t next_u64() = 0;
  // Uniform in [lo, hi], inclusive.
  std::uint64_t uniform(std::uint64_t lo, std::uint64_t hi) {
    return hi <= lo ? lo : lo + next_u64() % (hi - lo + 1);
  }
};

}  // namespace engine
