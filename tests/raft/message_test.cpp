// The wire codec: round trips, and garbage of every kind rejected with DecodeError, never UB.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "raft/codec.h"
#include "raft/message.h"

namespace rc {

// rapidcheck's gen::maybe yields rc::Maybe; raft uses std::optional.
template <typename T>
Gen<std::optional<T>> optional_of(Gen<T> g) {
  return gen::oneOf(gen::just(std::optional<T>{}),
                    gen::map(std::move(g), [](T v) { return std::optional<T>(std::move(v)); }));
}

template <>
struct Arbitrary<raft::Entry> {
  static Gen<raft::Entry> arbitrary() {
    return gen::build<raft::Entry>(
        gen::set(&raft::Entry::term), gen::set(&raft::Entry::index),
        gen::set(&raft::Entry::kind, gen::element(raft::EntryKind::Normal, raft::EntryKind::Noop)),
        gen::set(&raft::Entry::data, gen::container<raft::Bytes>(gen::arbitrary<uint8_t>())));
  }
};

template <>
struct Arbitrary<raft::Snapshot> {
  static Gen<raft::Snapshot> arbitrary() {
    return gen::map(
        gen::tuple(gen::arbitrary<uint64_t>(), gen::arbitrary<uint64_t>(),
                   gen::arbitrary<std::vector<uint64_t>>(), gen::arbitrary<std::vector<uint8_t>>()),
        [](auto t) {
          auto [index, term, voters, data] = std::move(t);
          return raft::Snapshot{.meta = {.index = index, .term = term, .voters = voters},
                                .data = data};
        });
  }
};

template <>
struct Arbitrary<raft::Message> {
  static Gen<raft::Message> arbitrary() {
    return gen::build<raft::Message>(
        gen::set(&raft::Message::type,
                 gen::map(gen::inRange<int>(0, raft::kMaxMessageType + 1),
                          [](int t) { return static_cast<raft::MessageType>(t); })),
        gen::set(&raft::Message::from), gen::set(&raft::Message::to),
        gen::set(&raft::Message::term), gen::set(&raft::Message::log_term),
        gen::set(&raft::Message::index), gen::set(&raft::Message::commit),
        gen::set(&raft::Message::reject), gen::set(&raft::Message::reject_hint),
        gen::set(&raft::Message::force),
        gen::set(&raft::Message::entries,
                 gen::resize(8, gen::arbitrary<std::vector<raft::Entry>>())),
        gen::set(&raft::Message::snapshot,
                 optional_of(gen::resize(8, gen::arbitrary<raft::Snapshot>()))),
        gen::set(&raft::Message::snapshot_offset,
                 gen::oneOf(gen::just<uint64_t>(0), gen::arbitrary<uint64_t>())),
        gen::set(&raft::Message::snapshot_size,
                 gen::oneOf(gen::just<uint64_t>(0), gen::arbitrary<uint64_t>())),
        gen::set(&raft::Message::context,
                 gen::resize(64, gen::container<raft::Bytes>(gen::arbitrary<uint8_t>()))));
  }
};

}  // namespace rc

namespace raft {
namespace {

RC_GTEST_PROP(MessageCodec, RoundTripsEveryMessage, (const Message& m)) {
  RC_ASSERT(decode(encode(m)) == m);
}

RC_GTEST_PROP(MessageCodec, RandomBytesNeverCrash, (const std::vector<uint8_t>& bytes)) {
  try {
    Message m = decode(bytes);
    // Whatever decodes must re-encode to the same bytes (no two encodings of one message).
    RC_ASSERT(encode(m) == bytes);
  } catch (const DecodeError&) {
  }
}

RC_GTEST_PROP(MessageCodec, EveryTruncationIsRejected, (const Message& m)) {
  Bytes bytes = encode(m);
  size_t cut = *rc::gen::inRange<size_t>(0, bytes.size());
  RC_ASSERT_THROWS_AS(decode(std::span(bytes.data(), cut)), DecodeError);
}

RC_GTEST_PROP(MessageCodec, FlippedByteDecodesOrThrows, (const Message& m)) {
  Bytes bytes = encode(m);
  size_t at = *rc::gen::inRange<size_t>(0, bytes.size());
  bytes[at] ^= *rc::gen::inRange<int>(1, 256);
  try {
    decode(bytes);
  } catch (const DecodeError&) {
  }
}

TEST(MessageCodec, FirstByteIsTheFormatVersion) {
  Bytes bytes = encode(Message{.type = MessageType::Vote, .from = 1, .to = 2, .term = 3});
  EXPECT_EQ(bytes[0], kMessageFormatVersion);
  bytes[0] = 99;
  try {
    decode(bytes);
    FAIL() << "accepted an unknown version";
  } catch (const DecodeError& e) {
    EXPECT_NE(std::string(e.what()).find("version 99"), std::string::npos) << e.what();
  }
}

TEST(MessageCodec, HugeCountsAreRejectedBeforeAllocating) {
  Bytes bytes = encode(Message{.type = MessageType::Append});
  // Overwrite the entry count (last 4 bytes) with 2^32-1.
  for (size_t i = bytes.size() - 4; i < bytes.size(); ++i) bytes[i] = 0xff;
  try {
    decode(bytes);
    FAIL();
  } catch (const DecodeError& e) {
    EXPECT_NE(std::string(e.what()).find("entries"), std::string::npos) << e.what();
  }
}

TEST(MessageCodec, UnknownTypeIsRejected) {
  Bytes bytes = encode(Message{});
  bytes[1] = kMaxMessageType + 1;
  EXPECT_THROW(decode(bytes), DecodeError);
}

TEST(MessageCodec, TrailingBytesAreRejected) {
  Bytes bytes = encode(Message{});
  bytes.push_back(0);
  EXPECT_THROW(decode(bytes), DecodeError);
}

TEST(MessageCodec, SnapshotChunkFieldsRoundTripAndWholeSnapshotsEncodeAsBefore) {
  const Message whole{
      .type = MessageType::Snapshot,
      .from = 1,
      .to = 2,
      .term = 3,
      .snapshot = Snapshot{.meta = {.index = 9, .term = 2, .voters = {1, 2}}, .data = {1, 2, 3}}};
  Message chunk = whole;
  chunk.snapshot_offset = 4096;
  chunk.snapshot_size = 10000;
  const Bytes whole_bytes = encode(whole);
  const Bytes chunk_bytes = encode(chunk);
  EXPECT_EQ(decode(chunk_bytes), chunk);
  // The chunk fields cost 16 bytes and a flag, and only when set.
  EXPECT_EQ(chunk_bytes.size(), whole_bytes.size() + 16);
  EXPECT_EQ(whole_bytes[2] & 16, 0);
  EXPECT_NE(chunk_bytes[2] & 16, 0);
  const Message answer{.type = MessageType::SnapshotResponse,
                       .from = 2,
                       .to = 1,
                       .term = 3,
                       .log_term = 2,
                       .index = 9,
                       .snapshot_offset = 8192};
  EXPECT_EQ(decode(encode(answer)), answer);
}

TEST(MessageCodec, ChunkFlagWithBothFieldsZeroIsRefused) {
  // It would re-encode without the flag: refusing it keeps one encoding per message.
  Message m{.type = MessageType::SnapshotResponse, .snapshot_offset = 1};
  Bytes bytes = encode(m);
  std::fill(bytes.end() - 16, bytes.end(), 0);
  EXPECT_THROW(decode(bytes), DecodeError);
}

TEST(MessageCodec, DescribeNamesTypeAndPeers) {
  std::string s = describe(Message{.type = MessageType::Append,
                                   .from = 1,
                                   .to = 2,
                                   .term = 3,
                                   .entries = {Entry{.index = 5}, Entry{.index = 6}}});
  EXPECT_NE(s.find("Append 1->2 term=3"), std::string::npos) << s;
  EXPECT_NE(s.find("entries=[5..6]"), std::string::npos) << s;
}

}  // namespace
}  // namespace raft

namespace raft {
namespace {

// The learners layout is written only when a snapshot has learners; an empty learner list in
// it would decode to a snapshot that re-encodes differently, so it is refused.
TEST(SnapshotCodec, LearnersLayoutWithNoLearnerIsRefused) {
  Snapshot s{.meta = {.index = 3, .term = 1, .voters = {1, 2, 3}}, .data = {1, 2}};
  Bytes out;
  ByteWriter w(out);
  put_snapshot(w, s, SnapshotLayout::WithLearners);
  ByteReader r(out);
  EXPECT_THROW(get_snapshot(r, SnapshotLayout::WithLearners), DecodeError);

  s.meta.learners = {4};
  Bytes good;
  ByteWriter w2(good);
  put_snapshot(w2, s, SnapshotLayout::WithLearners);
  ByteReader r2(good);
  EXPECT_EQ(get_snapshot(r2, SnapshotLayout::WithLearners), s);
}

}  // namespace
}  // namespace raft
