#pragma once
// Datastore transfer: a node whose local datastore lacks changes R already dropped from pending
// (a wiped data directory, a new member, a member left behind) copies a peer's datastore. The
// source streams a consistent snapshot (one immutable database version and the raft index it
// covers) in chunks of about `chunk_bytes`; the receiver asks for one chunk at a time, appends
// each to a part file, and after the last one fsyncs it and installs it into its LocalStore.
// A lost message or broken link is resumed by asking for the same chunk again; a source that
// restarted or evicted the transfer answers TransferRefused and the receiver starts over.
// Neither side holds a buffer proportional to the datastore during the stream: the source walks
// the immutable version one zone at a time, the receiver writes every chunk to disk.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dns/zone_db.h"
#include "engine/io.h"
#include "engine/transfer_codec.h"
#include "raft/types.h"

namespace engine {

// The source's side: every transfer it is serving, by id (at most kMaxSourceTransfers; the
// oldest goes first).
class TransferSource {
 public:
  struct Snapshot {
    std::shared_ptr<const dns::DatabaseVersion> version;
    raft::Index index = 0;
  };
  static constexpr std::size_t kMaxSourceTransfers = 4;

  explicit TransferSource(std::size_t chunk_bytes) : chunk_bytes_(chunk_bytes) {}

  // The answer to `request`. `take` is called for chunk 0 of a new id: a consistent snapshot of
  // this node's datastore, or nullopt (with `why` set) when this node cannot serve one.
  template <typename Take>
  TransferMessage handle(const TransferRequest& request, Take&& take) {
    Stream* stream = find(request.transfer_id);
    if (!stream && request.chunk == 0) {
      std::string why;
      std::optional<Snapshot> snapshot = take(why);
      if (!snapshot) return TransferRefused{request.transfer_id, why};
      stream = &open(request.transfer_id, std::move(*snapshot));
    }
    if (!stream)
      return TransferRefused{request.transfer_id,
                             "unknown transfer (the source restarted or evicted it): start again"};
    return chunk(*stream, request.chunk);
  }

  std::size_t active() const { return streams_.size(); }

 private:
  // A place in the record stream: zone number (zones().size() = the outside-zone records), record
  // number in it.
  struct Position {
    std::size_t zone = 0;
    std::size_t record = 0;
  };
  struct Stream {
    std::uint64_t id = 0;
    Snapshot snapshot;
    std::vector<Position> chunk_starts;  // chunk k starts at chunk_starts[k]
    std::size_t cached_zone = SIZE_MAX;  // the records of one zone, as the walk needs them
    std::vector<dns::Record> cached_records;
  };

  Stream* find(std::uint64_t id);
  Stream& open(std::uint64_t id, Snapshot snapshot);
  TransferMessage chunk(Stream& stream, std::uint64_t number);
  const std::vector<dns::Record>& zone_records(Stream& stream, std::size_t zone);

  std::size_t chunk_bytes_;
  std::deque<Stream> streams_;
};

// What the receiver reports (STATUS, logs).
struct TransferProgress {
  NodeId peer = 0;
  std::uint64_t transfer_id = 0;
  raft::Index index = 0;  // the snapshot's raft index (0 until the first chunk)
  std::uint64_t chunks = 0;
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
  std::uint64_t restarts = 0;  // transfers begun again (refused, timed out, peer changed)
};

// The receiver's side: one transfer at a time, written to the part file `part_name`.
class TransferSink {
 public:
  enum class Step { Next, Complete, Ignored };

  TransferSink(Disk& disk, std::string part_name) : disk_(disk), part_name_(std::move(part_name)) {}

  // Starts a transfer from `peer` (discarding any earlier part file); returns the first request.
  TransferRequest begin(NodeId peer, std::uint64_t transfer_id);
  // A chunk from `from`: appended to the part file when it is the one expected (Next: ask for
  // next_request(); Complete: the last one is in), Ignored otherwise (a duplicate, another
  // transfer, another peer). Throws DiskError; raft::DecodeError when its records are malformed.
  Step on_chunk(NodeId from, const TransferChunk& chunk);
  // The request to send (again) now.
  TransferRequest next_request() const { return {progress_.transfer_id, progress_.chunks}; }
  // After Complete: fsyncs the part file (unless `skip_sync`, the simulator's bug switch) and
  // reads every record back, checking each chunk's checksum again. Throws DiskError, or
  // raft::DecodeError when the file does not hold what was written.
  std::vector<dns::Record> finish(bool skip_sync);
  // Removes the part file (after install, or when giving up).
  void discard();

  bool active() const { return active_; }
  const TransferProgress& progress() const { return progress_; }

 private:
  Disk& disk_;
  std::string part_name_;
  TransferProgress progress_;
  bool active_ = false;
  bool complete_ = false;
};

}  // namespace engine
