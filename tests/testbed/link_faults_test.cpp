#include "testbed/link_faults.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace testbed {
namespace {

using Kind = LinkFault::Kind;

LinkFault fault(Kind kind, std::uint64_t a, std::uint64_t b = 0) {
  LinkFault f;
  f.kind = kind;
  f.a = a;
  f.b = b;
  return f;
}

TEST(LinkFaults, NoFaultsLeaveEveryLinkOpen) {
  LinkFaults faults(3);
  for (int a = 1; a <= 3; ++a)
    for (int b = 1; b <= 3; ++b) EXPECT_EQ(faults.state(a, b), LinkState{});
}

TEST(LinkFaults, IsolateCutsEveryLinkOfTheNodeBothWaysAndNoOther) {
  LinkFaults faults(3);
  faults.add(fault(Kind::Isolate, 2));
  EXPECT_TRUE(faults.state(1, 2).blocked);
  EXPECT_TRUE(faults.state(2, 1).blocked);
  EXPECT_TRUE(faults.state(3, 2).blocked);
  EXPECT_TRUE(faults.state(2, 3).blocked);
  EXPECT_FALSE(faults.state(1, 3).blocked);
  EXPECT_FALSE(faults.state(3, 1).blocked);
}

TEST(LinkFaults, PartitionCutsOnlyLinksAcrossTheSides) {
  LinkFaults faults(5);
  faults.add(fault(Kind::Partition, 0b000110));  // {n1, n2} | {n3, n4, n5}
  EXPECT_FALSE(faults.state(1, 2).blocked);
  EXPECT_FALSE(faults.state(4, 5).blocked);
  EXPECT_TRUE(faults.state(1, 3).blocked);
  EXPECT_TRUE(faults.state(5, 2).blocked);
}

TEST(LinkFaults, OneWayCutsOneDirectionOnly) {
  LinkFaults faults(3);
  faults.add(fault(Kind::OneWay, 1, 3));
  EXPECT_TRUE(faults.state(1, 3).blocked);
  EXPECT_FALSE(faults.state(3, 1).blocked);
}

TEST(LinkFaults, ClogHoldsOneDirectionWithoutCuttingIt) {
  LinkFaults faults(3);
  faults.add(fault(Kind::Clog, 3, 2));
  EXPECT_TRUE(faults.state(3, 2).clogged);
  EXPECT_FALSE(faults.state(3, 2).blocked);
  EXPECT_FALSE(faults.state(2, 3).clogged);
}

TEST(LinkFaults, OverlappingFaultsComposeAndEndSeparately) {
  LinkFaults faults(3);
  const auto iso = faults.add(fault(Kind::Isolate, 1));
  const auto one = faults.add(fault(Kind::OneWay, 1, 2));
  ASSERT_TRUE(faults.remove(iso));
  EXPECT_TRUE(faults.state(1, 2).blocked);  // the one-way is still on
  EXPECT_FALSE(faults.state(2, 1).blocked);
  EXPECT_FALSE(faults.state(1, 3).blocked);
  ASSERT_TRUE(faults.remove(one));
  EXPECT_FALSE(faults.remove(one));
  EXPECT_FALSE(faults.state(1, 2).blocked);
}

TEST(LinkFaults, DelayTakesTheLargestAndLossesCombine) {
  LinkFaults faults(3);
  LinkFault d = fault(Kind::Delay, 1, 2);
  d.delay_ms = 40, d.jitter_ms = 5;
  faults.add(d);
  d.delay_ms = 20, d.jitter_ms = 10;
  faults.add(d);
  LinkFault l = fault(Kind::Loss, 1, 2);
  l.loss = 0.5;
  faults.add(l);
  faults.add(l);
  const LinkState s = faults.state(1, 2);
  EXPECT_EQ(s.delay_ms, 40u);
  EXPECT_EQ(s.jitter_ms, 10u);
  EXPECT_DOUBLE_EQ(s.loss, 0.75);
  EXPECT_EQ(faults.state(2, 1), LinkState{});
}

TEST(LinkFaults, BadNodeNumbersAreRefusedNamingTheField) {
  LinkFaults faults(3);
  try {
    faults.add(fault(Kind::OneWay, 1, 4));
    FAIL() << "node 4 of 3 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "one-way: node b is 4 (nodes are 1..3)");
  }
  EXPECT_THROW(faults.add(fault(Kind::Isolate, 0)), std::invalid_argument);
  EXPECT_THROW(faults.add(fault(Kind::Clog, 2, 2)), std::invalid_argument);
  EXPECT_THROW(faults.add(fault(Kind::Partition, 0b1110)), std::invalid_argument);  // everyone
  EXPECT_THROW(faults.add(fault(Kind::Partition, 0b0001)), std::invalid_argument);  // bit 0
  LinkFault l = fault(Kind::Loss, 1, 2);
  l.loss = 1.5;
  EXPECT_THROW(faults.add(l), std::invalid_argument);
  EXPECT_TRUE(faults.active().empty());
}

TEST(LinkFaults, SimulatorLinkKindsMapAndProcessKindsAreTheRunners) {
  std::string why;
  auto mapped = link_fault_of(harness::Fault{0, harness::FaultKind::Partition, 0b100, 0, 1}, &why);
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->kind, Kind::Partition);
  EXPECT_EQ(mapped->a, 0b100u);
  EXPECT_FALSE(link_fault_of(harness::Fault{0, harness::FaultKind::CrashLeader, 1, 0, 1}, &why));
  EXPECT_NE(why.find("runner"), std::string::npos);
  EXPECT_FALSE(
      link_fault_of(harness::Fault{0, harness::FaultKind::IsolateFollower, 1, 0, 1}, &why));
  EXPECT_NE(why.find("leader"), std::string::npos);
}

TEST(LinkFaults, SimulatorDelayAndLossMapWithTheirParameters) {
  const auto parsed = harness::parse_schedule("delay@0/1/2/0/75/5,loss@0/2/1/0/0.5");
  auto delay = link_fault_of(parsed[0], nullptr);
  ASSERT_TRUE(delay);
  EXPECT_EQ(delay->kind, Kind::Delay);
  EXPECT_EQ(delay->delay_ms, 75u);
  EXPECT_EQ(delay->jitter_ms, 5u);
  auto loss = link_fault_of(parsed[1], nullptr);
  ASSERT_TRUE(loss);
  EXPECT_EQ(loss->kind, Kind::Loss);
  EXPECT_DOUBLE_EQ(loss->loss, 0.5);
}

TEST(LinkFaults, SiteDelaysAddToFaultDelaysAndOutliveClear) {
  LinkFaults faults(3);
  LinkFault site = fault(Kind::Delay, 1, 3);
  site.delay_ms = 75, site.jitter_ms = 5;
  faults.set_site_delays({site});
  LinkFault d = fault(Kind::Delay, 1, 3);
  d.delay_ms = 100;
  faults.add(d);
  EXPECT_EQ(faults.state(1, 3).delay_ms, 175u);
  EXPECT_EQ(faults.state(1, 3).jitter_ms, 5u);
  EXPECT_EQ(faults.state(3, 1), LinkState{});
  faults.clear();
  EXPECT_EQ(faults.state(1, 3).delay_ms, 75u);
  EXPECT_THROW(faults.set_site_delays({fault(Kind::Delay, 1, 4)}), std::invalid_argument);
  EXPECT_THROW(faults.set_site_delays({fault(Kind::OneWay, 1, 2)}), std::invalid_argument);
  EXPECT_EQ(faults.state(1, 3).delay_ms, 75u);  // a refused set changes nothing
}

}  // namespace
}  // namespace testbed
