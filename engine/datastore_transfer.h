#pragma once
// Datastore transfer: a node whose local datastore lacks changes R already dropped from pending
// (a wiped data directory, a new member, a member left behind) copies a peer's datastore. The
// source streams a consistent snapshot (one immutable database version and the raft index it
// covers) in chunks of about `chunk_bytes`; the receiver asks for one chunk at a time and stages
// each durably (engine/staged_copy.h: the records into a file in the store's snapshot format,
// the copy's identity and running checksum beside it); after the last one it seals the file
// (header, fsync) and it becomes the LocalStore's snapshot by a rename.
// A lost message or broken link is resumed by asking for the same chunk again, and a receiver
// that restarted resumes from its last staged chunk; a source that restarted or evicted the
// transfer (and with it the database version it was sending) answers TransferRefused and the
// receiver starts over. Neither side holds a buffer proportional to the datastore: the source
// walks the immutable version one zone at a time, the receiver writes every chunk to disk and
// loads the installed file a piece at a time.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dns/zone_db.h"
#include "engine/io.h"
#include "engine/staged_copy.h"
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
  // A place in the record stream: zone number (zones().size() = the outside-zone records), node
  // of that zone, record number among that node's records. Nodes are walked with a cursor into
  // the snapshot's immutable version, so no zone is ever listed whole.
  struct Position {
    std::size_t zone = 0;
    dns::NodeMap::Cursor node{};
    std::size_t record = 0;
  };
  struct Stream {
    std::uint64_t id = 0;
    Snapshot snapshot;
    std::vector<Position> chunk_starts;  // chunk k starts at chunk_starts[k]
  };

  Stream* find(std::uint64_t id);
  Stream& open(std::uint64_t id, Snapshot snapshot);
  TransferMessage chunk(Stream& stream, std::uint64_t number);
  // The zone numbered `zone` of the stream's version (the outside-zone records past the last).
  static const dns::Zone& zone_at(const Stream& stream, std::size_t zone);

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
  std::uint64_t restarts = 0;    // transfers begun again (refused, timed out, peer changed)
  std::uint32_t checksum = 0;    // CRC-32 of the record bytes so far
  std::uint64_t resumed_at = 0;  // the chunk a restarted receiver resumed from (0: none)
};

// The receiver's side: one transfer at a time, staged in the files of StagedCopy(`part_name`).
class TransferSink {
 public:
  enum class Step { Next, Complete, Ignored };

  TransferSink(Disk& disk, std::string part_name) : staged_(disk, std::move(part_name)) {}
  // How much is staged between fsyncs (StagedCopy::set_sync_bytes).
  void set_sync_bytes(std::uint64_t bytes) { staged_.set_sync_bytes(bytes); }

  // After a restart: takes up the copy staged before it, if its files are intact (active() and
  // next_request() then continue it; complete() if every chunk was in), else removes them.
  // Returns what was found for the log (empty: nothing staged). Throws DiskError.
  std::string recover();
  // Starts a transfer from `peer` (discarding any staged copy); returns the first request.
  TransferRequest begin(NodeId peer, std::uint64_t transfer_id);
  // A chunk from `from`: staged durably when it is the one expected (Next: ask for
  // next_request(); Complete: the last one is in), Ignored otherwise (a duplicate, another
  // transfer, another peer). Throws DiskError; raft::DecodeError when its records are malformed.
  Step on_chunk(NodeId from, const TransferChunk& chunk);
  // The request to send (again) now.
  TransferRequest next_request() const { return {progress_.transfer_id, progress_.chunks}; }
  // After Complete: reads the staged records back against their running checksum, writes the
  // snapshot header and fsyncs (unless `skip_sync`, the simulator's bug switch). The file named
  // staged_file() is then a snapshot file of the store's format at progress().index. Throws
  // DiskError, or raft::DecodeError when the file does not hold what was staged.
  void finish(bool skip_sync);
  // Removes the staged copy (after install, or when giving up).
  void discard();

  bool active() const { return active_; }
  bool complete() const { return complete_; }
  // The copy came back from a restart and no chunk has been asked for since.
  bool recovered() const { return recovered_; }
  void resumed() { recovered_ = false; }
  const TransferProgress& progress() const { return progress_; }
  const std::string& staged_file() const { return staged_.part_name(); }

 private:
  StagedCopy staged_;
  TransferProgress progress_;
  bool active_ = false;
  bool complete_ = false;
  bool recovered_ = false;
};

}  // namespace engine
