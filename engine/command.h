#pragma once
// The commands replicated through raft: record changes from a client, a node's acknowledgement
// that it has durably copied everything up to an index into its local datastore, DNS UPDATE
// requests (evaluated by every replica when applied, against the state as of that index), and
// the cluster-wide decisions kept in R (rejoin, import, pending bound).

#include <array>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "dns/update.h"
#include "dns/zone_db.h"
#include "engine/io.h"
#include "raft/types.h"

namespace engine {

// What a first-boot import by copy stands for (engine/import_copy.h): the number of records and
// the SHA-256 of their encoding, so that whoever serves it can prove it holds the same records.
struct ImportDigest {
  std::uint64_t records = 0;
  std::array<std::uint8_t, 32> sha256{};
  friend bool operator==(const ImportDigest&, const ImportDigest&) = default;
};

// One client write (or one batch of a zone-file import): applied atomically, in commit order.
// (origin, request_id) lets the origin recognise its own write when it commits and lets every
// replica skip a duplicate created by re-proposing after a lost forward.
struct ChangeBatch {
  NodeId origin = 0;
  std::uint64_t request_id = 0;
  std::vector<dns::Change> changes;
  // A first-boot import batch (command kind 7): its SOA never sets an existing zone's serial
  // back when applied (engine/import_batch.h).
  bool import = false;
  // An import by copy (command kind 8; `import` is set and `changes` empty): the origin holds
  // the records, every other node copies a datastore that has served this index.
  std::optional<ImportDigest> copy{};
};

// `node` has everything up to `index` durable in its local datastore.
struct Ack {
  NodeId node = 0;
  raft::Index index = 0;
  friend bool operator==(const Ack&, const Ack&) = default;
};

// One DNS UPDATE (RFC 2136) as received: its prerequisites are checked and its updates turned
// into changes only when the entry is applied, by every replica against the same committed
// state, so concurrent UPDATEs serialize in log order. (origin, request_id) as for ChangeBatch.
struct UpdateCommand {
  NodeId origin = 0;
  std::uint64_t request_id = 0;
  dns::update::Request request;
  bool operator==(const UpdateCommand&) const = default;
};

// A node that started with an empty data directory (or one without an identity file) asks the
// cluster whether it may import its zone file. Every replica decides the same way when it
// commits (engine/cluster_identity.h): only a node the cluster has never heard of gets to import.
// `nonce` tells the asker its own request from an earlier life's; `cluster_id` becomes the
// cluster's id if R has none yet (the first REJOIN of a new cluster creates it).
struct Rejoin {
  NodeId node = 0;
  std::uint64_t nonce = 0;
  std::uint64_t cluster_id = 0;
  friend bool operator==(const Rejoin&, const Rejoin&) = default;
};

// `node` finished importing its zone file (every batch committed).
struct Imported {
  NodeId node = 0;
  friend bool operator==(const Imported&, const Imported&) = default;
};

// The leader's configured max_pending_bytes, recorded in R so that every replica enforces the
// same bound when it applies an entry (a config file that differs on one node cannot make R
// diverge): above it, R stops holding changes for the member furthest behind.
struct SetPendingBound {
  std::uint64_t max_pending_bytes = 0;
  friend bool operator==(const SetPendingBound&, const SetPendingBound&) = default;
};

// The smallest bound a command or a config may set (a bound below one batch would exclude a
// member on almost every write).
inline constexpr std::uint64_t kMinPendingBound = 1024;

using Command = std::variant<ChangeBatch, Ack, UpdateCommand, Rejoin, Imported, SetPendingBound>;

inline constexpr std::uint8_t kCommandFormatVersion = 1;

Bytes encode_command(const Command& command);
// encode_command(update).size(), without encoding it.
std::size_t encoded_size(const UpdateCommand& update);
// Throws raft::DecodeError naming the field on anything malformed.
Command decode_command(ByteView bytes);
// Whether `bytes` encodes an ACK, IMPORTED or REJOIN (the commands that show a node took part),
// from the kind byte alone: a cheap filter before decode_command.
bool is_identity_command(ByteView bytes);

}  // namespace engine
