#pragma once
// What the engine::Node tests share: records from zone-file text, fast timings for a small
// deterministic cluster, and a client write's single reply.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <string_view>
#include <vector>

#include "dns/zone_db.h"
#include "dns/zone_parser.h"
#include "engine/node.h"

namespace engine::testing {

// The smallest zone a node test needs: apex SOA and NS, and the name server's address.
inline constexpr std::string_view kExampleZone =
    R"(example.com. 300 IN SOA ns1.example.com. admin.example.com. 1 7200 3600 1209600 300
example.com. 300 IN NS ns1.example.com.
ns1.example.com. 300 IN A 192.0.2.1
)";

inline std::vector<dns::Record> records(std::string_view text) {
  return dns::parse_master_file(text, "test", {}).records;
}

inline dns::Record record(std::string_view line) {
  return records(line).at(0);
}

inline bool has(dns::Database& db, const dns::Record& r) {
  const auto all = db.all_records();
  return std::find(all.begin(), all.end(), r) != all.end();
}

// Ticks of 10 ms, so that elections and retries take simulated tens of milliseconds.
inline NodeOptions fast_options(std::size_t import_batch = NodeOptions{}.import_batch) {
  using namespace std::chrono_literals;
  NodeOptions o;
  o.tick = 10ms;
  o.election_ticks = 10;
  o.checkpoint_interval = 200ms;
  o.write_timeout = 1s;
  o.retry_interval = 200ms;
  o.import_batch = import_batch;
  return o;
}

// A write's answer; into() fails the test if it comes twice.
struct Reply {
  bool done = false;
  WriteResult result;
};

inline std::function<void(const WriteResult&)> into(Reply& reply) {
  return [&reply](const WriteResult& r) {
    EXPECT_FALSE(reply.done) << "answered twice";
    reply.done = true;
    reply.result = r;
  };
}

}  // namespace engine::testing
