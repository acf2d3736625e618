#include "engine/command.h"

#include <fmt/core.h>

#include <algorithm>

#include "engine/record_codec.h"
#include "engine/update_codec.h"

namespace engine {
namespace {
constexpr std::uint8_t kChangeBatch = 1;
constexpr std::uint8_t kAck = 2;
constexpr std::uint8_t kUpdate = 3;  // its request: engine/update_codec
constexpr std::uint8_t kImported = 4;
constexpr std::uint8_t kRejoin = 5;
constexpr std::uint8_t kSetPendingBound = 6;
constexpr std::uint8_t kImportBatch = 7;  // a ChangeBatch with import set
constexpr std::uint8_t kImportCopy = 8;   // a ChangeBatch with copy set: no changes, a digest
}  // namespace

std::size_t encoded_size(const UpdateCommand& update) {
  // Format version and kind, origin, request id (as encode_command writes them), the request.
  return 1 + 1 + 8 + 8 + update_request_size(update.request);
}

Bytes encode_command(const Command& command) {
  Bytes out;
  raft::ByteWriter w(out);
  w.u8(kCommandFormatVersion);
  if (const auto* batch = std::get_if<ChangeBatch>(&command); batch && batch->copy) {
    w.u8(kImportCopy);
    w.u64(batch->origin);
    w.u64(batch->request_id);
    w.u64(batch->copy->records);
    w.bytes(batch->copy->sha256);
  } else if (batch) {
    w.u8(batch->import ? kImportBatch : kChangeBatch);
    w.u64(batch->origin);
    w.u64(batch->request_id);
    put_changes(w, batch->changes);
  } else if (const auto* update = std::get_if<UpdateCommand>(&command)) {
    w.u8(kUpdate);
    w.u64(update->origin);
    w.u64(update->request_id);
    put_update_request(w, update->request);
  } else if (const auto* ack = std::get_if<Ack>(&command)) {
    w.u8(kAck);
    w.u64(ack->node);
    w.u64(ack->index);
  } else if (const auto* rejoin = std::get_if<Rejoin>(&command)) {
    w.u8(kRejoin);
    w.u64(rejoin->node);
    w.u64(rejoin->nonce);
    w.u64(rejoin->cluster_id);
  } else if (const auto* bound = std::get_if<SetPendingBound>(&command)) {
    w.u8(kSetPendingBound);
    w.u64(bound->max_pending_bytes);
  } else {
    w.u8(kImported);
    w.u64(std::get<Imported>(command).node);
  }
  return out;
}

bool is_identity_command(ByteView bytes) {
  if (bytes.size() < 2 || bytes[0] != kCommandFormatVersion) return false;
  return bytes[1] == kAck || bytes[1] == kImported || bytes[1] == kRejoin;
}

Command decode_command(ByteView bytes) {
  raft::ByteReader r(bytes);
  const std::uint8_t version = r.u8("command version");
  if (version != kCommandFormatVersion)
    throw raft::DecodeError(fmt::format("command version: {} is not a known format", version));
  Command command;
  switch (const std::uint8_t kind = r.u8("command kind")) {
    case kChangeBatch:
    case kImportBatch: {
      ChangeBatch batch;
      batch.import = kind == kImportBatch;
      batch.origin = r.u64("batch origin");
      batch.request_id = r.u64("batch request id");
      batch.changes = get_changes(r);
      command = std::move(batch);
      break;
    }
    case kImportCopy: {
      ChangeBatch batch;
      batch.import = true;
      batch.origin = r.u64("import copy origin");
      batch.request_id = r.u64("import copy request id");
      ImportDigest digest;
      digest.records = r.u64("import copy records");
      if (digest.records == 0) throw raft::DecodeError("import copy records: 0 is no import");
      const Bytes sha = r.bytes("import copy digest", digest.sha256.size());
      if (sha.size() != digest.sha256.size())
        throw raft::DecodeError(
            fmt::format("import copy digest: {} bytes, not {}", sha.size(), digest.sha256.size()));
      std::copy(sha.begin(), sha.end(), digest.sha256.begin());
      batch.copy = digest;
      command = std::move(batch);
      break;
    }
    case kAck: {
      Ack ack;
      ack.node = r.u64("ack node");
      ack.index = r.u64("ack index");
      command = ack;
      break;
    }
    case kUpdate: {
      UpdateCommand update;
      update.origin = r.u64("update origin");
      update.request_id = r.u64("update request id");
      update.request = get_update_request(r);
      command = std::move(update);
      break;
    }
    case kRejoin: {
      Rejoin rejoin;
      rejoin.node = r.u64("rejoin node");
      rejoin.nonce = r.u64("rejoin nonce");
      rejoin.cluster_id = r.u64("rejoin cluster id");
      if (rejoin.cluster_id == 0) throw raft::DecodeError("rejoin cluster id: 0 is not an id");
      command = rejoin;
      break;
    }
    case kImported:
      command = Imported{r.u64("imported node")};
      break;
    case kSetPendingBound: {
      SetPendingBound bound{r.u64("pending bound bytes")};
      if (bound.max_pending_bytes < kMinPendingBound)
        throw raft::DecodeError(fmt::format("pending bound bytes: {} is below the minimum of {}",
                                            bound.max_pending_bytes, kMinPendingBound));
      command = bound;
      break;
    }
    default:
      throw raft::DecodeError(fmt::format("command kind: {} is not a known kind", kind));
  }
  r.expect_end("command");
  return command;
}

}  // namespace engine
