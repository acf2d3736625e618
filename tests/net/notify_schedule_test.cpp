// NotifySchedule: coalescing, retransmission with backoff, giving up, replies; on made-up times.
#include "net/notify_schedule.h"

#include <gtest/gtest.h>

#include <vector>

#include "dns/types.h"

namespace net {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct Seen {
  NotifyEvent event;
  std::uint32_t serial;
};

class NotifyScheduleTest : public ::testing::Test {
 protected:
  dns::Name zone = dns::Name::from_text("example.com.");
  dns::Name other = dns::Name::from_text("example.org.");
  engine::TimePoint t0{seconds(1000)};
  std::uint16_t next_id = 100;
  std::vector<Seen> events;

  NotifySchedule make(std::vector<NotifyChannel> channels, NotifyRetryPolicy policy = {}) {
    return NotifySchedule(
        std::move(channels), policy, [this] { return next_id++; },
        [this](const NotifyChannel&, NotifyEvent e, std::uint32_t s) {
          events.push_back({e, s});
        });
  }
  static ListenAddress target(std::uint16_t port) {
    return ListenAddress::parse("127.0.0.1:" + std::to_string(port));
  }
  int count(NotifyEvent e) const {
    int n = 0;
    for (const Seen& s : events) n += s.event == e;
    return n;
  }
};

TEST_F(NotifyScheduleTest, NothingIsDueUntilASerialIsSet) {
  NotifySchedule s = make({{zone, target(1)}});
  EXPECT_TRUE(s.due(t0).empty());
  EXPECT_FALSE(s.next_due().has_value());
}

TEST_F(NotifyScheduleTest, ANewSerialIsSentAtOnceToEveryTargetOfItsZoneOnly) {
  NotifySchedule s = make({{zone, target(1)}, {other, target(2)}, {zone, target(3)}});
  s.set_serial(zone, 7, t0);
  const auto sent = s.due(t0);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].channel, 0u);
  EXPECT_EQ(sent[1].channel, 2u);
  EXPECT_EQ(sent[0].serial, 7u);
  EXPECT_EQ(sent[0].attempt, 1);
  EXPECT_NE(sent[0].id, sent[1].id);
  EXPECT_FALSE(s.outstanding(1));
  EXPECT_TRUE(s.outstanding(0));
}

TEST_F(NotifyScheduleTest, ABurstOfSerialsWhileOutstandingSendsOnlyTheNewestAfterTheReply) {
  NotifySchedule s = make({{zone, target(1)}});
  s.set_serial(zone, 1, t0);
  const auto first = s.due(t0);
  ASSERT_EQ(first.size(), 1u);
  for (std::uint32_t serial = 2; serial <= 50; ++serial) {
    s.set_serial(zone, serial, t0 + milliseconds(serial));
    EXPECT_TRUE(s.due(t0 + milliseconds(serial)).empty()) << "at most one outstanding";
  }
  const engine::TimePoint reply_at = t0 + milliseconds(60);
  EXPECT_TRUE(s.on_reply(0, first[0].id, dns::rcode::NOERROR, reply_at));
  const auto next = s.due(reply_at);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].serial, 50u);
  EXPECT_EQ(next[0].attempt, 1);
  EXPECT_TRUE(s.on_reply(0, next[0].id, dns::rcode::NOERROR, reply_at + milliseconds(1)));
  EXPECT_FALSE(s.outstanding(0));
  EXPECT_FALSE(s.next_due().has_value());
  EXPECT_TRUE(s.due(reply_at + seconds(100)).empty());
  EXPECT_EQ(count(NotifyEvent::Acked), 2);
  EXPECT_EQ(count(NotifyEvent::Retry), 0);
}

TEST_F(NotifyScheduleTest, NoReplyRetransmitsWithDoublingIntervalsAndGivesUpAtTheBudget) {
  NotifyRetryPolicy policy;  // 1 s doubling to 16 s, 60 s, 8 attempts
  NotifySchedule s = make({{zone, target(1)}}, policy);
  s.set_serial(zone, 9, t0);
  ASSERT_EQ(s.due(t0).size(), 1u);
  std::vector<engine::Duration> sent_at;
  engine::TimePoint now = t0;
  for (int step = 0; step < 20 && s.next_due(); ++step) {
    now = *s.next_due();
    EXPECT_TRUE(s.due(now - milliseconds(1)).empty()) << "nothing before its time";
    for (const NotifyTransmission& t : s.due(now)) {
      EXPECT_EQ(t.serial, 9u);
      sent_at.push_back(now - t0);
    }
  }
  const std::vector<engine::Duration> expected = {seconds(1),  seconds(3),  seconds(7),
                                                  seconds(15), seconds(31), seconds(47)};
  EXPECT_EQ(sent_at, expected);
  EXPECT_EQ(now - t0, seconds(60)) << "gives up when the budget ends";
  EXPECT_EQ(count(NotifyEvent::Retry), 6);
  EXPECT_EQ(count(NotifyEvent::GaveUp), 1);
  EXPECT_FALSE(s.outstanding(0));
  // The next change starts over.
  s.set_serial(zone, 10, now + seconds(5));
  const auto again = s.due(now + seconds(5));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempt, 1);
}

TEST_F(NotifyScheduleTest, GivesUpAfterMaxAttemptsWhenTheBudgetIsLarge) {
  NotifyRetryPolicy policy;
  policy.budget = seconds(3600);
  policy.max_attempts = 3;
  NotifySchedule s = make({{zone, target(1)}}, policy);
  s.set_serial(zone, 1, t0);
  std::size_t sent = s.due(t0).size();
  for (int step = 0; step < 20 && s.next_due(); ++step) sent += s.due(*s.next_due()).size();
  EXPECT_EQ(sent, 3u);
  EXPECT_EQ(count(NotifyEvent::GaveUp), 1);
  EXPECT_EQ(count(NotifyEvent::Retry), 2);
}

TEST_F(NotifyScheduleTest, ANewSerialSupersedesAnUnansweredNotifyAfterTheFirstTimeout) {
  NotifySchedule s = make({{zone, target(1)}});
  s.set_serial(zone, 1, t0);
  const auto first = s.due(t0);
  s.set_serial(zone, 2, t0 + milliseconds(100));
  EXPECT_TRUE(s.due(t0 + milliseconds(249)).empty()) << "the reply may still come";
  const auto second = s.due(t0 + milliseconds(250));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].serial, 2u);
  EXPECT_EQ(second[0].attempt, 1) << "a series of its own";
  // The reply to the first transmission arrives late: it acknowledges serial 1 only; serial 2
  // is already on its way, so nothing more is sent until its reply or timeout.
  EXPECT_TRUE(s.on_reply(0, first[0].id, dns::rcode::NOERROR, t0 + milliseconds(1100)));
  EXPECT_TRUE(s.due(t0 + milliseconds(1100)).empty());
  EXPECT_TRUE(s.outstanding(0));
  EXPECT_TRUE(s.on_reply(0, second[0].id, dns::rcode::NOERROR, t0 + milliseconds(1200)));
  EXPECT_FALSE(s.outstanding(0));
  EXPECT_FALSE(s.next_due().has_value());
  EXPECT_EQ(count(NotifyEvent::Acked), 2);
  EXPECT_EQ(count(NotifyEvent::Retry), 0);
}

TEST_F(NotifyScheduleTest, ALateReplyToAnOlderSerialSendsTheNewestWhenItIsNotOnItsWay) {
  NotifySchedule s = make({{zone, target(1)}});
  s.set_serial(zone, 1, t0);
  const auto first = s.due(t0);
  s.set_serial(zone, 2, t0 + milliseconds(50));
  EXPECT_TRUE(s.on_reply(0, first[0].id, dns::rcode::NOERROR, t0 + milliseconds(150)));
  const auto next = s.due(t0 + milliseconds(150));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].serial, 2u);
  EXPECT_EQ(next[0].attempt, 1);
}

TEST_F(NotifyScheduleTest, ATargetThatMissedRepliesHearsOfANewSerialAtOnce) {
  NotifySchedule s = make({{zone, target(1)}});
  s.set_serial(zone, 1, t0);
  ASSERT_EQ(s.due(t0).size(), 1u);
  for (engine::Duration at : {seconds(1), seconds(3), seconds(7)})
    ASSERT_EQ(s.due(t0 + at).size(), 1u);  // retransmissions; the next is due at 15 s
  EXPECT_EQ(s.next_due(), t0 + seconds(15));
  // The target comes back; a change at 10 s is announced at once (it missed replies before:
  // waiting for this one says little), not at 15 s.
  s.set_serial(zone, 2, t0 + seconds(10));
  EXPECT_EQ(s.next_due(), t0 + seconds(10));
  const auto sent = s.due(t0 + seconds(10));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].serial, 2u);
  EXPECT_EQ(sent[0].attempt, 1);
  EXPECT_EQ(s.next_due(), t0 + seconds(11)) << "its own backoff starts at the first timeout";
  EXPECT_EQ(count(NotifyEvent::Retry), 3);
  EXPECT_EQ(count(NotifyEvent::GaveUp), 0);
}

TEST_F(NotifyScheduleTest, ChangesToADeadTargetCostAtMostOneNotifyPerReplyWait) {
  NotifySchedule s = make({{zone, target(1)}});
  int sent = 0;
  for (std::uint32_t serial = 1; serial <= 1000; ++serial) {  // 10 s of changes every 10 ms
    const engine::TimePoint now = t0 + milliseconds(10) * serial;
    s.set_serial(zone, serial, now);
    sent += static_cast<int>(s.due(now).size());
  }
  EXPECT_GE(sent, 39);  // 10 s / 250 ms
  EXPECT_LE(sent, 41);
  EXPECT_EQ(count(NotifyEvent::GaveUp), 0) << "each new serial starts its own budget";
}

TEST_F(NotifyScheduleTest, RepliesWithUnknownIdsOrChannelsAreIgnored) {
  NotifySchedule s = make({{zone, target(1)}, {zone, target(2)}});
  s.set_serial(zone, 1, t0);
  const auto sent = s.due(t0);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_FALSE(s.on_reply(0, sent[1].id, dns::rcode::NOERROR, t0)) << "another channel's id";
  EXPECT_FALSE(s.on_reply(0, static_cast<std::uint16_t>(sent[0].id + 1000), 0, t0));
  EXPECT_FALSE(s.on_reply(7, sent[0].id, dns::rcode::NOERROR, t0));
  EXPECT_TRUE(s.outstanding(0));
  EXPECT_TRUE(s.on_reply(0, sent[0].id, dns::rcode::NOERROR, t0));
  EXPECT_FALSE(s.on_reply(0, sent[0].id, dns::rcode::NOERROR, t0)) << "a duplicate reply";
  EXPECT_EQ(count(NotifyEvent::Acked), 1);
}

TEST_F(NotifyScheduleTest, AnErrorReplyStopsRetriesUntilTheNextChange) {
  NotifySchedule s = make({{zone, target(1)}});
  s.set_serial(zone, 4, t0);
  const auto sent = s.due(t0);
  EXPECT_TRUE(s.on_reply(0, sent[0].id, dns::rcode::REFUSED, t0 + milliseconds(3)));
  EXPECT_EQ(count(NotifyEvent::Rejected), 1);
  EXPECT_FALSE(s.next_due().has_value());
  EXPECT_TRUE(s.due(t0 + seconds(30)).empty());
  s.set_serial(zone, 5, t0 + seconds(31));
  EXPECT_EQ(s.due(t0 + seconds(31)).size(), 1u);
}

TEST_F(NotifyScheduleTest, ZonesMatchCaseInsensitivelyAndUnknownZonesAreIgnored) {
  NotifySchedule s = make({{zone, target(1)}});
  s.set_serial(dns::Name::from_text("EXAMPLE.Com."), 3, t0);
  EXPECT_EQ(s.due(t0).size(), 1u);
  s.set_serial(dns::Name::from_text("nowhere.net."), 3, t0);
  EXPECT_TRUE(s.due(t0).empty());
}

}  // namespace
}  // namespace net
