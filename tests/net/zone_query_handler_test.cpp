// The zone handler's answer cache seen from outside: a change is answered at once, and requests
// that go to a service (UPDATE) reach it every time, however often the same bytes come.
#include "net/zone_query_handler.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dns/message.h"
#include "dns/zone_parser.h"

namespace net {
namespace {

constexpr const char* kZone = R"($ORIGIN example.com.
$TTL 300
@   IN SOA ns1 hostmaster 41 3600 600 86400 300
@   IN NS  ns1
ns1 IN A   192.0.2.1
www IN A   192.0.2.2
)";

std::vector<std::uint8_t> message(std::uint16_t id, std::uint8_t opcode, std::uint16_t qtype) {
  dns::Message m;
  m.header.id = id;
  m.header.opcode = opcode;
  m.questions.push_back({dns::Name::from_text("www.example.com."), qtype, dns::rclass::IN});
  return dns::encode_message(m);
}

class CountingUpdates : public UpdateSink {
 public:
  void handle(std::span<const std::uint8_t>, QueryHandler::Reply) override { ++calls; }
  int calls = 0;
};

std::vector<std::uint8_t> ask(QueryHandler& h, const std::vector<std::uint8_t>& q) {
  std::vector<std::uint8_t> out(65535);
  const std::size_t n = h.handle(q, out, false);
  if (n == QueryHandler::kDeferred) return {};
  out.resize(n);
  return out;
}

TEST(ZoneQueryHandlerCache, AnswersAChangeAtOnce) {
  dns::Database db;
  db.load(dns::parse_zone(kZone, "example.com.zone", {}).records);
  ZoneQueryHandler handler(db);
  for (std::uint16_t id = 1; id <= 3; ++id)  // warm: later ones are cache hits
    EXPECT_EQ(dns::decode_message(ask(handler, message(id, 0, dns::type::A))).answer.size(), 1u);
  const auto added = dns::parse_zone("www.example.com. 300 IN A 192.0.2.3\n", "change", {});
  db.apply(std::vector<dns::Change>{dns::Change{dns::Change::Add, added.records.at(0)}});
  const auto after = dns::decode_message(ask(handler, message(4, 0, dns::type::A)));
  EXPECT_EQ(after.header.id, 4);
  EXPECT_EQ(after.answer.size(), 2u);
}

TEST(ZoneQueryHandlerCache, UpdatesAreDeferredEveryTime) {
  dns::Database db;
  db.load(dns::parse_zone(kZone, "example.com.zone", {}).records);
  CountingUpdates updates;
  ZoneQueryHandler handler(db, &updates);
  const auto update = message(7, dns::opcode::UPDATE, dns::type::SOA);
  std::vector<std::uint8_t> out(65535);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(handler.handle(update, out, false), QueryHandler::kDeferred);
    handler.handle_deferred(update, false, [](std::vector<std::uint8_t>) {});
  }
  EXPECT_EQ(updates.calls, 3);
}

}  // namespace
}  // namespace net
