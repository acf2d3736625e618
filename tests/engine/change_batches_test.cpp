// Cutting record changes into raft-sized batches.
#include "engine/change_batches.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "dns/zone_parser.h"
#include "engine/record_codec.h"

namespace engine {
namespace {

dns::Change txt_change(std::size_t i, std::size_t text_bytes) {
  dns::Record r;
  r.owner = dns::Name::from_text("n" + std::to_string(i) + ".big.test.");
  r.type = dns::type::TXT;
  r.ttl = 300;
  r.rdata.assign(1, static_cast<std::uint8_t>(std::min<std::size_t>(text_bytes, 255)));
  r.rdata.resize(1 + std::min<std::size_t>(text_bytes, 255), 'x');
  return {i % 3 ? dns::Change::Add : dns::Change::Remove, std::move(r)};
}

std::size_t encoded_length(const dns::Change& c) {
  raft::Bytes out;
  raft::ByteWriter w(out);
  put_change(w, c);
  return out.size();
}

TEST(ChangeBatches, EncodedSizeIsWhatTheCodecWrites) {
  for (std::size_t i = 0; i < 50; ++i) {
    const dns::Change c = txt_change(i, i * 5);
    EXPECT_EQ(encoded_change_size(c), encoded_length(c)) << i;
  }
}

TEST(ChangeBatches, BatchesKeepOrderAndBothLimits) {
  std::vector<dns::Change> changes;
  for (std::size_t i = 0; i < 100; ++i) changes.push_back(txt_change(i, 200));
  const std::vector<dns::Change> original = changes;
  const std::size_t one = encoded_change_size(original[0]);
  const auto batches = split_changes(changes, 7, one * 5 + 3);  // bytes bind before count
  std::size_t at = 0;
  for (const auto& batch : batches) {
    ASSERT_FALSE(batch.empty());
    EXPECT_LE(batch.size(), 5u);
    EXPECT_LE(encoded_changes_size(batch), one * 5 + 3);
    for (const dns::Change& c : batch) EXPECT_TRUE(c.record == original[at++].record);
  }
  EXPECT_EQ(at, original.size());
  EXPECT_EQ(split_changes(original, 7, 1 << 20).size(), 15u);  // 100 / 7, count binds
}

TEST(ChangeBatches, AChangeAboveTheByteLimitGetsABatchOfItsOwn) {
  std::vector<dns::Change> changes{txt_change(1, 10), txt_change(2, 250), txt_change(3, 10)};
  const auto batches = split_changes(changes, 100, encoded_change_size(changes[0]) + 1);
  ASSERT_EQ(batches.size(), 3u);
  for (const auto& b : batches) EXPECT_EQ(b.size(), 1u);
}

RC_GTEST_PROP(ChangeBatches, SplitIsAPartitionUnderTheLimits, ()) {
  const auto sizes =
      *rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(0, 256));
  const auto max_changes = *rc::gen::inRange<std::size_t>(1, 20);
  const auto max_bytes = *rc::gen::inRange<std::size_t>(1, 4000);
  std::vector<dns::Change> changes;
  for (std::size_t i = 0; i < sizes.size(); ++i) changes.push_back(txt_change(i, sizes[i]));
  const auto batches = split_changes(changes, max_changes, max_bytes);
  std::size_t at = 0;
  for (const auto& batch : batches) {
    RC_ASSERT(!batch.empty());
    RC_ASSERT(batch.size() <= max_changes);
    RC_ASSERT(batch.size() == 1 || encoded_changes_size(batch) <= max_bytes);
    for (const dns::Change& c : batch) RC_ASSERT(c.record == changes[at++].record);
  }
  RC_ASSERT(at == changes.size());
}

}  // namespace
}  // namespace engine
