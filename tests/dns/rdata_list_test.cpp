// dns::RdataList: rdatas kept in order across the move between the inline buffer and the heap,
// through erase, copy and move.
#include <gtest/gtest.h>

#include <vector>

#include "dns/rdata_list.h"

namespace dns {
namespace {

std::vector<std::vector<uint8_t>> contents(const RdataList& list) {
  std::vector<std::vector<uint8_t>> out;
  for (const auto rd : list) out.emplace_back(rd.begin(), rd.end());
  return out;
}

TEST(RdataList, KeepsOrderAcrossInlineAndHeapThroughEraseCopyAndMove) {
  RdataList list;
  std::vector<std::vector<uint8_t>> model;
  for (uint8_t i = 0; i < 12; ++i) {  // sizes 0..33: crosses kInline early, grows the heap block
    std::vector<uint8_t> rd(i * 3, i);
    list.push_back(rd);
    model.push_back(rd);
    ASSERT_EQ(contents(list), model) << "after push " << int(i);
  }
  EXPECT_EQ(list.size(), 12u);
  EXPECT_EQ(std::vector<uint8_t>(list[5].begin(), list[5].end()), model[5]);
  RdataList copy = list;
  list.mutable_at(3)[0] = 99;  // the copy has its own buffer
  EXPECT_EQ(copy[3][0], 3);
  EXPECT_EQ(list[3][0], 99);
  model[3][0] = 99;
  while (list.size() > 1) {  // erase from the middle down to one small rdata: back inline
    const size_t at = list.size() / 2;
    list.erase(at);
    model.erase(model.begin() + at);
    ASSERT_EQ(contents(list), model);
  }
  EXPECT_LE(list.octets(), RdataList::kInline);
  RdataList moved = std::move(copy);
  EXPECT_EQ(moved.size(), 12u);
  EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty by design
  moved = list;
  EXPECT_EQ(contents(moved), model);
}

}  // namespace
}  // namespace dns
