#include "engine/transfer_codec.h"

#include <fmt/core.h>

#include "engine/crc32.h"
#include "raft/codec.h"

namespace engine {
namespace {
constexpr std::uint8_t kRequest = 1;
constexpr std::uint8_t kChunk = 2;
constexpr std::uint8_t kRefused = 3;
}  // namespace

Bytes encode_transfer(const TransferMessage& message) {
  Bytes out;
  raft::ByteWriter w(out);
  w.u8(kTransferPrefix);
  w.u8(kTransferFormatVersion);
  if (const auto* request = std::get_if<TransferRequest>(&message)) {
    w.u8(kRequest);
    w.u64(request->transfer_id);
    w.u64(request->chunk);
  } else if (const auto* chunk = std::get_if<TransferChunk>(&message)) {
    w.u8(kChunk);
    w.u64(chunk->transfer_id);
    w.u64(chunk->index);
    w.u64(chunk->chunk);
    w.u8(chunk->last ? 1 : 0);
    w.u32(chunk->records);
    w.u32(crc32(chunk->payload));
    w.bytes(chunk->payload);
  } else {
    const auto& refused = std::get<TransferRefused>(message);
    w.u8(kRefused);
    w.u64(refused.transfer_id);
    w.bytes(ByteView(reinterpret_cast<const std::uint8_t*>(refused.reason.data()),
                     refused.reason.size()));
  }
  return out;
}

TransferMessage decode_transfer(ByteView bytes) {
  raft::ByteReader r(bytes);
  if (const std::uint8_t prefix = r.u8("transfer prefix"); prefix != kTransferPrefix)
    throw raft::DecodeError(fmt::format("transfer prefix: {} is not {}", prefix, kTransferPrefix));
  if (const std::uint8_t version = r.u8("transfer version"); version != kTransferFormatVersion)
    throw raft::DecodeError(fmt::format("transfer version: {} is not a known format", version));
  TransferMessage message;
  switch (const std::uint8_t kind = r.u8("transfer kind")) {
    case kRequest: {
      TransferRequest request;
      request.transfer_id = r.u64("request transfer id");
      request.chunk = r.u64("request chunk");
      message = request;
      break;
    }
    case kChunk: {
      TransferChunk chunk;
      chunk.transfer_id = r.u64("chunk transfer id");
      chunk.index = r.u64("chunk index");
      chunk.chunk = r.u64("chunk number");
      const std::uint8_t last = r.u8("chunk last");
      if (last > 1) throw raft::DecodeError(fmt::format("chunk last: {} is not 0 or 1", last));
      chunk.last = last == 1;
      chunk.records = r.u32("chunk records");
      const std::uint32_t crc = r.u32("chunk checksum");
      chunk.payload = r.bytes("chunk payload", kMaxTransferChunkBytes);
      if (crc32(chunk.payload) != crc)
        throw raft::DecodeError(fmt::format(
            "chunk checksum: {:08x} does not match the {}-byte payload of chunk {} of transfer "
            "{:016x}",
            crc, chunk.payload.size(), chunk.chunk, chunk.transfer_id));
      message = std::move(chunk);
      break;
    }
    case kRefused: {
      TransferRefused refused;
      refused.transfer_id = r.u64("refused transfer id");
      const Bytes reason = r.bytes("refused reason", kMaxTransferReasonBytes);
      refused.reason.assign(reason.begin(), reason.end());
      message = std::move(refused);
      break;
    }
    default:
      throw raft::DecodeError(fmt::format("transfer kind: {} is not a known kind", kind));
  }
  r.expect_end("transfer message");
  return message;
}

}  // namespace engine
