// DNS query metrics (net/metrics_dns.h): classification of queries and responses, counting
// through the metered handler, and the rendered families.

#include "net/metrics_dns.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dns/message.h"
#include "dns/zone_parser.h"
#include "net/zone_query_handler.h"

namespace net {
namespace {

constexpr const char* kZone = R"($ORIGIN example.com.
$TTL 300
@   IN SOA ns1 hostmaster 41 3600 600 86400 300
@   IN NS  ns1
ns1 IN A   192.0.2.1
www IN A   192.0.2.2
)";

std::vector<std::uint8_t> query(const std::string& name, std::uint16_t qtype,
                                std::optional<dns::Edns> edns = std::nullopt) {
  dns::Message m;
  m.header.id = 7;
  m.questions.push_back({dns::Name::from_text(name), qtype, dns::rclass::IN});
  m.edns = edns;
  return dns::encode_message(m);
}

class MeteredZone : public ::testing::Test {
 protected:
  MeteredZone() {
    db_.load(dns::parse_zone(kZone, "example.com.zone", {}).records);
    handler_ = metrics_.metered(std::make_unique<ZoneQueryHandler>(db_));
  }
  // Answers `q` as a worker would; returns the response.
  std::vector<std::uint8_t> ask(const std::vector<std::uint8_t>& q, bool tcp = false) {
    std::vector<std::uint8_t> out(65535);
    out.resize(handler_->handle(q, out, tcp));
    return out;
  }
  std::string rendered() const {
    MetricsText out;
    metrics_.render(out);
    return out.take();
  }

  dns::Database db_;
  DnsMetrics metrics_;
  std::unique_ptr<QueryHandler> handler_;
};

TEST(QueryClassification, QtypeOfTheFirstQuestion) {
  EXPECT_EQ(qtype_label(qtype_slot(query("www.example.com", 1))), "A");
  EXPECT_EQ(qtype_label(qtype_slot(query("example.com", 28))), "AAAA");
  EXPECT_EQ(qtype_label(qtype_slot(query("example.com", 257))), "CAA");
  EXPECT_EQ(qtype_label(qtype_slot(query("example.com", 255))), "ANY");
  EXPECT_EQ(qtype_label(qtype_slot(query(".", 6))), "SOA");
  EXPECT_EQ(qtype_label(qtype_slot(query("example.com", 99))), "OTHER");
}

TEST(QueryClassification, UnreadableQuestionsAreNone) {
  EXPECT_EQ(qtype_slot({}), kQtypeNone);
  std::vector<std::uint8_t> q = query("www.example.com", 1);
  EXPECT_EQ(qtype_slot(std::span(q).first(12)), kQtypeNone);            // header only
  EXPECT_EQ(qtype_slot(std::span(q).first(q.size() - 3)), kQtypeNone);  // cut in the type
  q[5] = 0;                                                             // QDCOUNT 0
  EXPECT_EQ(qtype_slot(q), kQtypeNone);
  std::vector<std::uint8_t> long_label(12, 0);
  long_label[5] = 1;
  long_label.push_back(63);  // a label claiming 63 bytes that are not there
  EXPECT_EQ(qtype_slot(long_label), kQtypeNone);
}

TEST(QueryClassification, RcodeFromHeaderAndEmptyResponse) {
  std::vector<std::uint8_t> r(12, 0);
  EXPECT_EQ(rcode_label(rcode_slot(r)), "NOERROR");
  r[3] = 3;
  EXPECT_EQ(rcode_label(rcode_slot(r)), "NXDOMAIN");
  r[3] = 5;
  EXPECT_EQ(rcode_label(rcode_slot(r)), "REFUSED");
  EXPECT_EQ(rcode_slot({}), kRcodeNone);
  EXPECT_EQ(rcode_label(kRcodeNone), "NONE");
}

TEST_F(MeteredZone, AnswersAreCountedByTransportQtypeAndRcode) {
  ask(query("www.example.com", 1));
  ask(query("www.example.com", 1));
  ask(query("nope.example.com", 1));        // NXDOMAIN
  ask(query("www.example.org", 28), true);  // REFUSED, over TCP
  dns::Edns v1;
  v1.version = 1;
  EXPECT_EQ(rcode_label(rcode_slot(ask(query("example.com", 6, v1)))), "BADVERS");
  ask({1, 2, 3});  // too short to answer: no response
  EXPECT_EQ(metrics_.total(), 6u);
  const std::string text = rendered();
  EXPECT_NE(
      text.find("raftdns_dns_queries_total{transport=\"udp\",qtype=\"A\",rcode=\"NOERROR\"} 2\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("{transport=\"udp\",qtype=\"A\",rcode=\"NXDOMAIN\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("{transport=\"tcp\",qtype=\"AAAA\",rcode=\"REFUSED\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("{transport=\"udp\",qtype=\"SOA\",rcode=\"BADVERS\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("{transport=\"udp\",qtype=\"NONE\",rcode=\"NONE\"} 1\n"), std::string::npos);
  // Only combinations seen are listed.
  EXPECT_EQ(text.find("rcode=\"SERVFAIL\""), std::string::npos);
  EXPECT_NE(text.find("raftdns_dns_query_duration_seconds_bucket{le=\"+Inf\"} 6\n"),
            std::string::npos);
  EXPECT_NE(text.find("raftdns_dns_query_duration_seconds_count 6\n"), std::string::npos);
}

TEST_F(MeteredZone, WorkersAreMergedAtScrape) {
  std::unique_ptr<QueryHandler> second = metrics_.metered(std::make_unique<ZoneQueryHandler>(db_));
  ask(query("www.example.com", 1));
  std::vector<std::uint8_t> out(65535);
  second->handle(query("www.example.com", 1), out, false);
  EXPECT_NE(rendered().find("{transport=\"udp\",qtype=\"A\",rcode=\"NOERROR\"} 2\n"),
            std::string::npos);
}

TEST_F(MeteredZone, ZoneSerialAndRecordCount) {
  MetricsText out;
  render_zone_metrics(db_, out);
  EXPECT_NE(out.text().find("raftdns_zone_serial{zone=\"example.com.\"} 41\n"), std::string::npos)
      << out.text();
  EXPECT_NE(out.text().find("raftdns_zone_records{zone=\"example.com.\"} 4\n"), std::string::npos)
      << out.text();
}

}  // namespace
}  // namespace net
