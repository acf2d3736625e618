#pragma once
// The datastore transfer's messages (engine/datastore_transfer.h). They share the peer
// Transport with raft: every one starts with kTransferPrefix, a byte no raft message starts
// with (raft's begin with their format version, 1), so the receiver tells them apart by the first
// byte. Chunks carry a CRC-32 of their payload; decoding checks it and every bound.

#include <cstdint>
#include <string>
#include <variant>

#include "engine/io.h"
#include "raft/types.h"

namespace engine {

inline constexpr std::uint8_t kTransferPrefix = 0xD7;
inline constexpr std::uint8_t kTransferFormatVersion = 1;
// The largest chunk payload a decoder accepts (senders use NodeOptions::transfer_chunk_bytes,
// 1 MiB by default): far below the 64 MiB peer frame limit.
inline constexpr std::uint32_t kMaxTransferChunkBytes = 8u << 20;
inline constexpr std::uint32_t kMaxTransferReasonBytes = 1024;

// Receiver -> source: send chunk `chunk` of transfer `transfer_id` (chunk 0 of an id the source
// does not know starts a new transfer: a consistent snapshot of its datastore at that moment).
struct TransferRequest {
  std::uint64_t transfer_id = 0;
  std::uint64_t chunk = 0;
  friend bool operator==(const TransferRequest&, const TransferRequest&) = default;
};

// Source -> receiver: one chunk of the snapshot at raft index `index`: `records` records encoded
// back to back (engine/record_codec.h) in `payload`.
struct TransferChunk {
  std::uint64_t transfer_id = 0;
  raft::Index index = 0;
  std::uint64_t chunk = 0;
  bool last = false;
  std::uint32_t records = 0;
  Bytes payload;
  friend bool operator==(const TransferChunk&, const TransferChunk&) = default;
};

// Source -> receiver: it cannot serve this transfer (it lacks data itself, or no longer knows
// the transfer id); the receiver starts again, maybe with another peer.
struct TransferRefused {
  std::uint64_t transfer_id = 0;
  std::string reason;
  friend bool operator==(const TransferRefused&, const TransferRefused&) = default;
};

using TransferMessage = std::variant<TransferRequest, TransferChunk, TransferRefused>;

inline bool is_transfer_message(ByteView bytes) {
  return !bytes.empty() && bytes[0] == kTransferPrefix;
}
Bytes encode_transfer(const TransferMessage& message);
// Throws raft::DecodeError naming the field: a wrong prefix or version, a bound exceeded, a
// checksum mismatch, trailing bytes.
TransferMessage decode_transfer(ByteView bytes);

}  // namespace engine
