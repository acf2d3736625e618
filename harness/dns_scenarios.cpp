#include "harness/dns_scenarios.h"

namespace harness {

const std::vector<Scenario>& dns_scenarios() {
  static const std::vector<Scenario> all = [] {
    std::vector<Scenario> s;
    auto dns = [](const char* name, const char* summary) {
      Scenario x;
      x.name = name;
      x.summary = summary;
      x.dns = true;
      x.defaults.delay_min_ms = 1;
      x.defaults.delay_max_ms = 10;
      x.defaults.checkpoint_ms = 300;
      x.w_crash = 1, x.w_crash_leader = 0;
      x.proposals_per_second = 20;
      return x;
    };
    {
      Scenario x = dns("checkpoint-race",
                       "short checkpoint intervals: acks cross with crashes (torn), partitions, "
                       "isolations and one-way links");
      x.defaults.checkpoint_ms = 100;
      x.defaults.loss = 0.02;
      x.defaults.crash_rate = 0.6;
      x.defaults.partition_rate = 0.6;
      x.defaults.torn = true;
      x.w_partition = 2, x.w_isolate = 1, x.w_one_way = 1, x.w_clog = 1;
      x.w_crash = 2, x.w_crash_leader = 1;
      x.min_fault = 50 * sim::kMillisecond, x.max_fault = 1 * sim::kSecond;
      s.push_back(x);
    }
    {
      Scenario x = dns("majority-loss",
                       "a majority crashes or one node is cut off: the survivor keeps answering "
                       "with the same data, its writes get 'no quorum' in time");
      s.push_back(x);
    }
    {
      Scenario x = dns("leader-crash-mid-write",
                       "writes submitted to the leader, which crashes milliseconds later");
      x.defaults.loss = 0.01;
      x.defaults.torn = true;
      s.push_back(x);
    }
    {
      Scenario x = dns("crash-before-fsync",
                       "a node crashes right after taking writes, before its next checkpoint; "
                       "unsynced disk data is lost or torn");
      x.defaults.torn = true;
      x.defaults.checkpoint_ms = 500;
      s.push_back(x);
    }
    {
      Scenario x = dns("long-down-node",
                       "one node down or cut off for most of the run: pending grows, then "
                       "drains after it returns");
      s.push_back(x);
    }
    {
      Scenario x = dns("whole-cluster-restart",
                       "every node loses power at once, again and again: all data survives");
      x.defaults.torn = true;
      s.push_back(x);
    }
    {
      Scenario x = dns("random-dns",
                       "every fault kind (loss, duplication, delays, torn crashes, leader "
                       "crashes, partitions, one-way links, clogs, clock drift) plus a "
                       "write/query workload");
      x.defaults.loss = 0.02;
      x.defaults.dup = 0.02;
      x.defaults.delay_max_ms = 30;
      x.defaults.crash_rate = 0.3;
      x.defaults.partition_rate = 0.5;
      x.defaults.clock_drift_ppm = 500;
      x.defaults.torn = true;
      x.w_partition = 2, x.w_one_way = 1, x.w_isolate = 1, x.w_clog = 1;
      x.w_crash = 3, x.w_crash_leader = 1;
      s.push_back(x);
    }
    return s;
  }();
  return all;
}

}  // namespace harness
