// Record framing: a record appended in place is the same bytes frame_record() makes, and the
// reader finds each record of a buffer that holds several.
#include "engine/durable_framing.h"

#include <gtest/gtest.h>

namespace engine {
namespace {

void body(raft::ByteWriter& w, std::uint64_t n) {
  w.u64(n);
  const Bytes payload(static_cast<std::size_t>(n), 0xab);
  w.bytes(payload);
}

TEST(DurableFraming, AppendedRecordsAreFramedRecordsOneAfterAnother) {
  Bytes out = {1, 2, 3};  // whatever came before stays
  append_record(out, 7, [](raft::ByteWriter& w) { body(w, 5); });
  append_record(out, 9, [](raft::ByteWriter& w) { body(w, 300); });

  Bytes expected = {1, 2, 3};
  for (const Bytes& r : {frame_record(7, [](raft::ByteWriter& w) { body(w, 5); }),
                         frame_record(9, [](raft::ByteWriter& w) { body(w, 300); })})
    expected.insert(expected.end(), r.begin(), r.end());
  EXPECT_EQ(out, expected);

  const Bytes file(out.begin() + 3, out.end());
  const std::optional<ByteView> first = record_at(file, 0);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->size(), 1u + 8 + 4 + 5);
  EXPECT_EQ((*first)[0], 7);
  const std::optional<ByteView> second = record_at(file, kRecordFrameHeader + first->size());
  ASSERT_TRUE(second);
  EXPECT_EQ(second->size(), 1u + 8 + 4 + 300);
  EXPECT_EQ((*second)[0], 9);
  EXPECT_EQ(kRecordFrameHeader * 2 + first->size() + second->size(), file.size());
}

TEST(DurableFraming, ADamagedAppendedRecordIsNoRecord) {
  Bytes out;
  append_record(out, 1, [](raft::ByteWriter& w) { body(w, 40); });
  out[kRecordFrameHeader + 3] ^= 0x10;
  EXPECT_FALSE(record_at(out, 0));
  EXPECT_NE(record_problem(out, 0).find("checksum"), std::string::npos);
}

}  // namespace
}  // namespace engine
