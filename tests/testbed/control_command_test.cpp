#include "testbed/control_command.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace testbed {
namespace {

using Verb = ControlCommand::Verb;

std::string error_of(const std::string& line) {
  try {
    parse_control_command(line);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(ControlCommand, FaultTakesTheSimulatorSyntax) {
  const auto c = parse_control_command("fault isolate@0/2/0/3000,one-way@500/1/3/0");
  EXPECT_EQ(c.verb, Verb::Fault);
  ASSERT_EQ(c.schedule.size(), 2u);
  EXPECT_EQ(c.schedule[0].kind, harness::FaultKind::Isolate);
  EXPECT_EQ(c.schedule[0].a, 2u);
  EXPECT_EQ(c.schedule[0].duration, 3000 * sim::kMillisecond);
  EXPECT_EQ(c.schedule[1].kind, harness::FaultKind::OneWay);
  EXPECT_EQ(c.schedule[1].at, 500 * sim::kMillisecond);
}

TEST(ControlCommand, FaultRefusesProcessKindsAndBadItems) {
  EXPECT_NE(error_of("fault crash@0/1/0/100").find("runner"), std::string::npos);
  EXPECT_NE(error_of("fault isolate@x/1/0/100").find("bad item 'isolate@x/1/0/100'"),
            std::string::npos);
  EXPECT_EQ(error_of("fault"), "fault: want 'fault kind@AT_MS/A/B/DURATION_MS,...'");
}

TEST(ControlCommand, DelayAndLossWithOptionalDuration) {
  auto d = parse_control_command("delay 1 2 40 10");
  EXPECT_EQ(d.verb, Verb::Add);
  EXPECT_EQ(d.fault.kind, LinkFault::Kind::Delay);
  EXPECT_EQ(d.fault.delay_ms, 40u);
  EXPECT_EQ(d.fault.jitter_ms, 10u);
  EXPECT_EQ(d.for_ms, 0u);
  auto l = parse_control_command("loss 3 1 0.25 2000");
  EXPECT_EQ(l.fault.kind, LinkFault::Kind::Loss);
  EXPECT_EQ(l.fault.a, 3u);
  EXPECT_DOUBLE_EQ(l.fault.loss, 0.25);
  EXPECT_EQ(l.for_ms, 2000u);
}

TEST(ControlCommand, ErrorsNameTheBadWord) {
  EXPECT_EQ(error_of("delay 1 2 40 x"), "delay: JITTER_MS 'x' is not an integer in 0..86400000");
  EXPECT_EQ(error_of("loss 1 2 2"), "loss: P '2' is not a probability in [0, 1]");
  EXPECT_EQ(error_of("drop 1"), "drop: want 'drop A B'");
  EXPECT_EQ(error_of("loss 1 2 0.5 99999999999999999999"),
            "loss: FOR_MS '99999999999999999999' is not an integer in 0..86400000");
  EXPECT_EQ(error_of("end -1"), "end: ID '-1' is not an integer in 0..86400000");
  EXPECT_NE(error_of("partition 1").find("unknown command 'partition'"), std::string::npos);
}

TEST(ControlCommand, SimpleVerbsAndBlankLines) {
  EXPECT_EQ(parse_control_command("heal").verb, Verb::Heal);
  EXPECT_EQ(parse_control_command("status").verb, Verb::Status);
  EXPECT_EQ(parse_control_command("end 7").id, 7u);
  EXPECT_EQ(parse_control_command("drop 2 3").verb, Verb::Drop);
  EXPECT_EQ(parse_control_command("  ").verb, Verb::Blank);
  EXPECT_EQ(parse_control_command("# note").verb, Verb::Blank);
  EXPECT_EQ(error_of("heal now"), "heal: want 'heal'");
}

}  // namespace
}  // namespace testbed
