// The datastore transfer's messages: round trip (a rapidcheck property), prefix distinct from
// raft's, every malformed input refused with the field named, never a crash.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "engine/transfer_codec.h"
#include "raft/codec.h"
#include "raft/message.h"

namespace engine {
namespace {

TransferMessage any_message(int kind, std::uint64_t a, std::uint64_t b, std::uint64_t c, bool last,
                            std::uint32_t records, const std::vector<std::uint8_t>& bytes) {
  switch (kind % 3) {
    case 0:
      return TransferRequest{a, b};
    case 1:
      return TransferChunk{a, b, c, last, records, bytes};
    default:
      return TransferRefused{a, std::string(bytes.begin(), bytes.end())};
  }
}

RC_GTEST_PROP(TransferCodec, EveryMessageRoundTrips,
              (int kind, std::uint64_t a, std::uint64_t b, std::uint64_t c, bool last,
               std::uint32_t records, std::vector<std::uint8_t> bytes)) {
  if (bytes.size() > kMaxTransferReasonBytes) bytes.resize(kMaxTransferReasonBytes);
  const TransferMessage m = any_message(kind < 0 ? -kind : kind, a, b, c, last, records, bytes);
  const Bytes wire = encode_transfer(m);
  RC_ASSERT(is_transfer_message(wire));
  RC_ASSERT(decode_transfer(wire) == m);
}

RC_GTEST_PROP(TransferCodec, EveryTruncationOrFlippedByteIsRefusedOrDecodesToAMessage,
              (std::uint64_t id, std::vector<std::uint8_t> payload, std::size_t cut,
               std::uint8_t flip)) {
  const Bytes wire = encode_transfer(TransferChunk{id, 7, 1, false, 0, payload});
  Bytes damaged(wire.begin(), wire.begin() + static_cast<long>(cut % wire.size()));
  try {
    decode_transfer(damaged);
    RC_FAIL("a truncated chunk decoded");
  } catch (const raft::DecodeError&) {
  }
  Bytes flipped = wire;
  const std::size_t at = 3 + cut % (wire.size() - 3);  // past the prefix, version, kind
  flipped[at] ^= static_cast<std::uint8_t>(flip | 1);
  try {
    const TransferMessage m = decode_transfer(flipped);
    // Only the header's numbers may change undetected (the checksum covers the payload).
    RC_ASSERT(std::get<TransferChunk>(m).payload == payload);
  } catch (const raft::DecodeError&) {
  }
}

TEST(TransferCodec, PrefixIsNotTheStartOfAnyRaftMessage) {
  raft::Message m;
  m.type = raft::MessageType::Append;
  m.from = 1;
  m.to = 2;
  const Bytes raft_wire = raft::encode(m);
  EXPECT_FALSE(is_transfer_message(raft_wire));
  EXPECT_NE(raft_wire.at(0), kTransferPrefix);
}

TEST(TransferCodec, ChecksumMismatchNamesTheChunk) {
  Bytes wire = encode_transfer(TransferChunk{0x42, 9, 3, true, 1, {1, 2, 3, 4}});
  wire.back() ^= 0xff;
  try {
    decode_transfer(wire);
    FAIL() << "decoded a damaged chunk";
  } catch (const raft::DecodeError& e) {
    EXPECT_NE(std::string(e.what()).find("chunk checksum"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("chunk 3"), std::string::npos) << e.what();
  }
}

TEST(TransferCodec, UnknownKindVersionAndTrailingBytesAreRefused) {
  EXPECT_THROW(decode_transfer(Bytes{kTransferPrefix, kTransferFormatVersion, 9}),
               raft::DecodeError);
  EXPECT_THROW(decode_transfer(Bytes{kTransferPrefix, 2, 1}), raft::DecodeError);
  EXPECT_THROW(decode_transfer(Bytes{}), raft::DecodeError);
  Bytes wire = encode_transfer(TransferRequest{1, 2});
  wire.push_back(0);
  EXPECT_THROW(decode_transfer(wire), raft::DecodeError);
}

}  // namespace
}  // namespace engine
