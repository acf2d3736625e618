// libFuzzer target for the datastore transfer's messages (engine/transfer_codec.h), which arrive
// from peers: arbitrary bytes either decode into a message that re-encodes to the same bytes, or
// throw raft::DecodeError. A decoded chunk is then offered to a receiver, which must take it or
// refuse it with raft::DecodeError, never crash.

#include <cstdint>
#include <cstdlib>

#include "engine/datastore_transfer.h"
#include "engine/transfer_codec.h"
#include "raft/codec.h"
#include "tests/engine/memory_disk.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  const engine::ByteView bytes(data, size);
  engine::TransferMessage message;
  try {
    message = engine::decode_transfer(bytes);
  } catch (const raft::DecodeError&) {
    return 0;
  }
  if (engine::encode_transfer(message) != engine::Bytes(data, data + size)) std::abort();
  if (const auto* chunk = std::get_if<engine::TransferChunk>(&message)) {
    engine::testing::MemoryDisk disk;
    engine::TransferSink sink(disk, "xfer.part");
    sink.begin(1, chunk->transfer_id);
    engine::TransferChunk first = *chunk;
    first.chunk = 0;
    try {
      if (sink.on_chunk(1, first) == engine::TransferSink::Step::Complete) sink.finish(false);
    } catch (const raft::DecodeError&) {
    }
  }
  return 0;
}
