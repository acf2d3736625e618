// Delay and Loss faults and site delays in the simulator: a shaped link waits its delay plus at
// most its jitter, in order on FIFO links; loss drops messages (on FIFO links it breaks the
// stream); the heal ends the faults and keeps the sites; and the --faults and --sites syntax.

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "harness/faults.h"
#include "harness/scenario.h"
#include "harness/scenario_run.h"
#include "harness/sim_links.h"
#include "harness/sites.h"

namespace harness {
namespace {

sim::WorldOptions two_nodes() {
  sim::WorldOptions w;
  w.nodes = 2;
  w.network.min_delay = 1 * sim::kMillisecond;
  w.network.max_delay = 1 * sim::kMillisecond;
  return w;
}

LinkOptions fifo() {
  LinkOptions o;
  o.kind = LinkKind::Fifo;
  o.fifo_delay = sim::kMillisecond;
  return o;
}

struct Arrival {
  int value;
  sim::SimTime at;
};

TEST(LinkShaping, DelayWithJitterKeepsFifoOrderWithinTheBound) {
  for (const LinkOptions& options : {fifo(), LinkOptions{}}) {
    sim::World world(4, two_nodes());
    std::vector<Arrival> got;
    SimLinks links(world, options, [&](engine::NodeId, engine::NodeId, engine::Bytes b) {
      got.push_back({b.at(0), world.now()});
    });
    links.shape(1, 2, 40 * sim::kMillisecond, 20 * sim::kMillisecond, 0);
    for (int i = 0; i < 50; ++i) links.send(1, 2, {static_cast<std::uint8_t>(i)});
    links.send(2, 1, {99});  // the other direction is not shaped
    world.queue().run_until(sim::kSecond);
    ASSERT_EQ(got.size(), 51u);
    EXPECT_EQ(got[0].value, 99);
    EXPECT_LE(got[0].at, 2 * sim::kMillisecond);
    bool jittered = false;
    for (std::size_t i = 1; i < got.size(); ++i) {
      EXPECT_GE(got[i].at, 41 * sim::kMillisecond);
      EXPECT_LE(got[i].at, 62 * sim::kMillisecond);
      jittered |= got[i].at != got[1].at;
    }
    EXPECT_TRUE(jittered);
    if (options.kind == LinkKind::Fifo)
      EXPECT_TRUE(std::is_sorted(got.begin() + 1, got.end(),
                                 [](const Arrival& x, const Arrival& y) { return x.at < y.at; }));
  }
}

TEST(LinkShaping, LossDropsAShareAndOnFifoLinksBreaksTheStream) {
  sim::World world(2, two_nodes());
  int got = 0;
  SimLinks links(world, fifo(), [&](engine::NodeId, engine::NodeId, engine::Bytes) { ++got; });
  links.shape(1, 2, 0, 0, 0.3);
  for (int i = 0; i < 1000; ++i) {
    links.send(1, 2, {1});
    world.queue().run_until(world.now() + 10 * sim::kMillisecond);  // one in flight at a time
  }
  EXPECT_GT(got, 600);
  EXPECT_LT(got, 800);
  links.shape(1, 2, 0, 0, 1);
  links.send(1, 2, {1});
  links.shape(1, 2, 0, 0, 0);
  world.queue().run_until(world.now() + sim::kSecond);
  const int before = got;
  // In flight when a loss breaks the stream: gone with it.
  links.send(1, 2, {1});
  links.shape(1, 2, 0, 0, 1);
  links.send(1, 2, {2});
  world.queue().run_until(world.now() + sim::kSecond);
  EXPECT_EQ(got, before);
}

TEST(LinkShaping, HealEndsFaultShapingButKeepsSiteDelays) {
  sim::World world(1, two_nodes());
  std::vector<sim::SimTime> at;
  SimLinks links(world, fifo(),
                 [&](engine::NodeId, engine::NodeId, engine::Bytes) { at.push_back(world.now()); });
  links.set_site_delay(1, 2, 75 * sim::kMillisecond, 0);
  links.shape(1, 2, 100 * sim::kMillisecond, 0, 0);
  links.send(1, 2, {1});
  world.queue().run_until(sim::kSecond);
  links.heal_all();
  links.send(1, 2, {2});
  world.queue().run_until(2 * sim::kSecond);
  ASSERT_EQ(at.size(), 2u);
  EXPECT_EQ(at[0], 176 * sim::kMillisecond);  // site + fault + the link's 1 ms
  EXPECT_EQ(at[1], sim::kSecond + 76 * sim::kMillisecond);
}

TEST(LinkShaping, DelayAndLossItemsRoundTripAndBadFieldsAreNamed) {
  const auto parsed = parse_schedule("delay@100/1/2/0/75/5,loss@200/2/3/500/0.25,delay@0/3/1/9/8");
  ASSERT_EQ(parsed.size(), 3u);
  EXPECT_EQ(parsed[0].kind, FaultKind::Delay);
  EXPECT_EQ(parsed[0].delay_ms, 8u);
  EXPECT_EQ(parsed[0].jitter_ms, 0u);
  EXPECT_EQ(parsed[1].delay_ms, 75u);
  EXPECT_EQ(parsed[1].jitter_ms, 5u);
  EXPECT_EQ(parsed[1].duration, 0);
  EXPECT_EQ(parsed[2].kind, FaultKind::Loss);
  EXPECT_DOUBLE_EQ(parsed[2].loss, 0.25);
  EXPECT_EQ(format_schedule(parsed),
            "delay@0/3/1/9/8/0,delay@100/1/2/0/75/5,loss@200/2/3/500/0.25");
  EXPECT_EQ(format_schedule(parse_schedule(format_schedule(parsed))), format_schedule(parsed));
  auto message = [](const std::string& spec) {
    try {
      parse_schedule(spec);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message("delay@0/1/2/0").find("delay wants 5 or 6"), std::string::npos);
  EXPECT_NE(message("loss@0/1/2/0/1.5").find("P '1.5' is not a probability"), std::string::npos);
  EXPECT_NE(message("delay@0/1/2/0/x").find("DELAY_MS 'x'"), std::string::npos);
  EXPECT_NE(message("delay@0/1/2/0/700000").find("DELAY_MS"), std::string::npos);
  EXPECT_NE(message("crash@0/1/2/0/5").find("crash wants 4"), std::string::npos);
  EXPECT_NE(message("one-way@0/1/2").find("3 fields"), std::string::npos);
}

TEST(Sites, ParseGivesHalfTheRoundTripPerDirectionBetweenSitesOnly) {
  const SiteMap m = parse_sites("1,1,2,2,3/20,80,150/5", 5);
  EXPECT_EQ(m.sites(), 3u);
  EXPECT_EQ(m.rtt(1, 2), 20u);
  EXPECT_EQ(m.rtt(3, 1), 80u);
  EXPECT_EQ(m.rtt(2, 3), 150u);
  EXPECT_EQ(m.max_rtt_ms(), 150u);
  const std::vector<Fault> d = m.delays();
  EXPECT_EQ(d.size(), 16u);  // 20 directed links, 4 inside a site
  for (const Fault& f : d) {
    EXPECT_EQ(f.kind, FaultKind::Delay);
    EXPECT_EQ(f.duration, 0);
    EXPECT_EQ(f.jitter_ms, 5u);
    EXPECT_NE(m.site_of[f.a - 1], m.site_of[f.b - 1]);
    EXPECT_EQ(f.delay_ms, m.rtt(m.site_of[f.a - 1], m.site_of[f.b - 1]) / 2);
  }
  EXPECT_TRUE(parse_sites("1,1,1/", 3).delays().empty());
}

TEST(Sites, BadSpecsAreRefusedNamingTheField) {
  auto message = [](const std::string& spec, std::size_t nodes) {
    try {
      parse_sites(spec, nodes);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message("1,2,3/20,80", 3).find("3 sites need 3 round trips"), std::string::npos);
  EXPECT_NE(message("1,2/20", 3).find("2 sites given for 3 nodes"), std::string::npos);
  EXPECT_NE(message("1,3,3/20", 3).find("site 2 has no node"), std::string::npos);
  EXPECT_NE(message("1,x,2/20", 3).find("site 'x'"), std::string::npos);
  EXPECT_NE(message("1,2,2/20/y", 3).find("JITTER_MS 'y'"), std::string::npos);
  EXPECT_NE(message("1,2,2", 3).find("want SITES/RTT_MS"), std::string::npos);
}

// A DNS run over three sites: leader isolated, a new one elected, all converge; the sites change
// the run, and --sites and the timeouts are in the reproduce line.
TEST(Sites, ADnsRunOverThreeSitesElectsANewLeaderAndConverges) {
  RunOptions near = default_options(1, "random-dns");
  near.knobs.loss = near.knobs.dup = 0;
  near.knobs.time_s = 5;
  near.knobs.election_ms = 1000;
  near.knobs.heartbeat_ms = 100;
  near.schedule = parse_schedule("isolate-leader@2000/1/0/2000");
  RunOptions far = near;
  far.knobs.sites = "1,2,3/20,80,150";
  const RunResult a = run_scenario(near), b = run_scenario(far);
  ASSERT_TRUE(a.ok) << a.detail;
  ASSERT_TRUE(b.ok) << b.detail;
  EXPECT_NE(a.trace_hash, b.trace_hash);
  EXPECT_GE(b.elections, 2u);
  EXPECT_NE(reproduce_command(far).find("--sites 1,2,3/20,80,150 --election-ms 1000"),
            std::string::npos);
}

}  // namespace
}  // namespace harness
