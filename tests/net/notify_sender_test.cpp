// NotifySender over real loopback UDP: the NOTIFY it builds, retransmission without a reply,
// a new serial after a change, replies counted in the metrics; and the message helpers.
#include "net/notify_sender.h"

#include <gtest/gtest.h>

#include <array>
#include <functional>

#include <boost/asio/ip/udp.hpp>

#include "dns/message.h"
#include "dns/tsig.h"
#include "dns/zone.h"
#include "dns/zone_parser.h"
#include "net/asio_clock.h"
#include "net/os_random.h"

namespace net {
namespace {

namespace ip = boost::asio::ip;
using std::chrono::milliseconds;

constexpr const char* kZone = R"($ORIGIN example.com.
$TTL 300
@   IN SOA ns1 hostmaster 41 3600 600 86400 300
@   IN NS  ns1
ns1 IN A   192.0.2.1
)";

std::uint32_t serial_of(const dns::Record& soa) {
  return dns::soa_serial(soa.rdata);
}

TEST(NotifyMessage, IsANotifyForTheZoneWithTheSoaAsHint) {
  dns::Database db;
  db.load(dns::parse_zone(kZone, "example.com.zone", {}).records);
  const dns::Name zone = dns::Name::from_text("example.com.");
  const std::optional<dns::Record> soa = served_soa(*db.current(), zone);
  ASSERT_TRUE(soa.has_value());
  EXPECT_EQ(serial_of(*soa), 41u);
  const dns::Message m = dns::decode_message(notify_message(0x1234, zone, *soa));
  EXPECT_EQ(m.header.id, 0x1234);
  EXPECT_EQ(m.header.opcode, dns::opcode::NOTIFY);
  EXPECT_TRUE(m.header.aa);
  EXPECT_FALSE(m.header.qr);
  EXPECT_FALSE(m.header.rd);
  ASSERT_EQ(m.questions.size(), 1u);
  EXPECT_EQ(m.questions[0].name, zone);
  EXPECT_EQ(m.questions[0].qtype, dns::type::SOA);
  ASSERT_EQ(m.answer.size(), 1u);
  EXPECT_EQ(m.answer[0], *soa);
  // Only zone apexes with an SOA are announced.
  EXPECT_FALSE(served_soa(*db.current(), dns::Name::from_text("ns1.example.com.")));
  EXPECT_FALSE(served_soa(*db.current(), dns::Name::from_text("example.org.")));
}

TEST(NotifyReplyParse, TakesIdRcodeAndZoneOfNotifyResponsesOnly) {
  dns::Message m;
  m.header.id = 77;
  m.header.qr = true;
  m.header.opcode = dns::opcode::NOTIFY;
  m.header.rcode = dns::rcode::REFUSED;
  m.questions.push_back({dns::Name::from_text("example.com."), dns::type::SOA, dns::rclass::IN});
  auto wire = dns::encode_message(m);
  const auto reply = parse_notify_reply(wire);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->id, 77);
  EXPECT_EQ(reply->rcode, dns::rcode::REFUSED);
  EXPECT_EQ(reply->zone, dns::Name::from_text("example.com."));
  m.header.qr = false;  // a request, not a reply
  EXPECT_FALSE(parse_notify_reply(dns::encode_message(m)));
  m.header.qr = true;
  m.header.opcode = dns::opcode::QUERY;
  EXPECT_FALSE(parse_notify_reply(dns::encode_message(m)));
  EXPECT_FALSE(parse_notify_reply(std::vector<std::uint8_t>(5, 0xff)));
  // A body that does not decode still gives the header's id and rcode.
  wire.push_back(0x01);
  const auto truncated = parse_notify_reply(wire);
  ASSERT_TRUE(truncated.has_value());
  EXPECT_EQ(truncated->id, 77);
  EXPECT_FALSE(truncated->zone.has_value());
}

// A secondary stand-in: a UDP socket on 127.0.0.1 that receives NOTIFYs and may answer them.
class NotifySenderTest : public ::testing::Test {
 protected:
  NotifySenderTest() {
    db_.load(dns::parse_zone(kZone, "example.com.zone", {}).records);
    target_.open(ip::udp::v4());
    target_.bind(ip::udp::endpoint(ip::address_v4::loopback(), 0));
    ZonePolicy zone;
    zone.zone = dns::Name::from_text("example.com.");
    zone.notify.push_back({ip::address_v4::loopback(), target_.local_endpoint().port()});
    policy_.zones.push_back(zone);
    make_sender();
  }
  // A sender for policy_ with 200 ms retransmissions (long enough that a reply sent at once
  // arrives first even on a loaded machine).
  void make_sender() {
    NotifyRetryPolicy retry;
    retry.first_timeout = milliseconds(200);
    retry.max_timeout = milliseconds(200);
    sender_.reset();
    sender_ = std::make_unique<NotifySender>(io_, clock_, random_, db_, policy_,
                                             ip::address_v4::loopback(), retry, &metrics_);
  }
  ~NotifySenderTest() override {
    sender_.reset();
    target_.close();
  }

  // Runs the io_context until the target holds a NOTIFY (at most 5 s); returns it (its wire
  // form in last_wire_).
  dns::Message receive() {
    std::optional<dns::Message> got;
    std::array<std::uint8_t, 512> buffer{};
    target_.async_receive_from(boost::asio::buffer(buffer), from_,
                               [&](const boost::system::error_code& ec, std::size_t n) {
                                 if (ec) return;
                                 last_wire_.assign(buffer.data(), buffer.data() + n);
                                 got = dns::decode_message(last_wire_);
                               });
    run_until([&] { return got.has_value(); });
    if (!got) {
      target_.cancel();
      io_.run_for(milliseconds(10));
      ADD_FAILURE() << "no NOTIFY arrived";
      return {};
    }
    return *got;
  }
  // Answers `notify` with `rcode`; signed with `key` over `request_mac` when given.
  void answer(const dns::Message& notify, std::uint16_t rcode, const dns::tsig::Key* key = nullptr,
              std::vector<std::uint8_t> request_mac = {}) {
    dns::Message r;
    r.header = notify.header;
    r.header.qr = true;
    r.header.rcode = rcode;
    r.questions = notify.questions;
    std::vector<std::uint8_t> wire = dns::encode_message(r);
    if (key != nullptr) dns::tsig::Signer(*key, std::move(request_mac)).sign(wire, unix_now());
    target_.send_to(boost::asio::buffer(wire), from_);
  }
  static std::uint64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  void run_until(const std::function<bool()>& done) {
    for (int i = 0; i < 500 && !done(); ++i) io_.run_for(milliseconds(10));
  }
  std::string metrics() const {
    MetricsText out;
    metrics_.render(engine::NodeStatus{}, PeerTransportStats{}, out);
    return out.take();
  }
  bool counted(const std::string& sample) const {
    return metrics().find(sample + "\n") != std::string::npos;
  }

  boost::asio::io_context io_;
  AsioClock clock_{io_};
  OsRandom random_{7};
  dns::Database db_;
  ZonePolicyConfig policy_;
  ClusterMetrics metrics_;
  ip::udp::socket target_{io_};
  ip::udp::endpoint from_;
  std::vector<std::uint8_t> last_wire_;
  std::unique_ptr<NotifySender> sender_;
};

TEST_F(NotifySenderTest, AnnouncesAtStartRetriesWithoutReplyAndAnnouncesEachChange) {
  ASSERT_TRUE(sender_->active());
  sender_->start();
  const dns::Message first = receive();
  ASSERT_EQ(first.answer.size(), 1u);
  EXPECT_EQ(first.header.opcode, dns::opcode::NOTIFY);
  EXPECT_EQ(serial_of(first.answer[0]), 41u);
  EXPECT_EQ(from_.address(), ip::address_v4::loopback()) << "sent from the node's address";

  // No answer: it comes again (a new id), with the same serial.
  const dns::Message again = receive();
  ASSERT_EQ(again.answer.size(), 1u);
  EXPECT_EQ(serial_of(again.answer[0]), 41u);
  EXPECT_NE(again.header.id, first.header.id);
  answer(again, dns::rcode::NOERROR);
  run_until([&] { return counted(R"(raftdns_notify_total{result="acked"} 1)"); });
  EXPECT_TRUE(counted(R"(raftdns_notify_total{result="acked"} 1)")) << metrics();
  EXPECT_TRUE(counted(R"(raftdns_notify_total{result="retry"} 1)")) << metrics();

  // A change to the zone bumps its serial: announced once the sender hears of it.
  dns::Record r{
      dns::Name::from_text("new.example.com."), dns::type::A, dns::rclass::IN, 300, {192, 0, 2, 9}};
  const std::array<dns::Change, 1> change{dns::Change{dns::Change::Add, r}};
  ASSERT_EQ(db_.apply(change).applied, 1u);
  sender_->serving_changed();
  sender_->serving_changed();  // a burst: one check
  const dns::Message next = receive();
  ASSERT_EQ(next.answer.size(), 1u);
  EXPECT_EQ(serial_of(next.answer[0]), 42u);
  answer(next, dns::rcode::REFUSED);
  run_until([&] { return counted(R"(raftdns_notify_total{result="rejected"} 1)"); });
  EXPECT_TRUE(counted(R"(raftdns_notify_total{result="rejected"} 1)")) << metrics();
  EXPECT_TRUE(counted("raftdns_notify_sent_total 3")) << metrics();

  // Refused: no retransmission follows (the next change would start over).
  bool more = false;
  std::array<std::uint8_t, 512> buffer{};
  target_.async_receive_from(boost::asio::buffer(buffer), from_,
                             [&](const boost::system::error_code& ec, std::size_t) { more = !ec; });
  io_.run_for(milliseconds(350));
  EXPECT_FALSE(more);
}

TEST_F(NotifySenderTest, WithANotifyKeyNotifiesAreSignedAndOnlyASignedReplyCounts) {
  dns::tsig::Key key{dns::Name::from_text("notify-key."), dns::tsig::Algorithm::HmacSha256,
                     std::vector<std::uint8_t>(32, 7)};
  policy_.keys.push_back(key);
  policy_.zones[0].notify_key = key.name;
  make_sender();
  sender_->start();
  const dns::Message first = receive();
  // The request verifies with the key (as a secondary checks it).
  const auto tsig = dns::tsig::find(last_wire_);
  ASSERT_TRUE(tsig.has_value());
  const dns::tsig::Verified v = dns::tsig::verify_request(
      last_wire_, *tsig, [&](const dns::Name& n) { return n == key.name ? &key : nullptr; },
      unix_now());
  EXPECT_EQ(v.error, 0);
  EXPECT_EQ(v.key, &key);
  // An unsigned NOERROR does not count: the NOTIFY comes again.
  answer(first, dns::rcode::NOERROR);
  const dns::Message again = receive();
  EXPECT_NE(again.header.id, first.header.id);
  EXPECT_TRUE(counted(R"(raftdns_notify_total{result="acked"} 0)")) << metrics();
  // Signed with the key over the request's MAC: acknowledged.
  const auto again_tsig = dns::tsig::find(last_wire_);
  ASSERT_TRUE(again_tsig.has_value());
  answer(again, dns::rcode::NOERROR, &key, again_tsig->record.mac);
  run_until([&] { return counted(R"(raftdns_notify_total{result="acked"} 1)"); });
  EXPECT_TRUE(counted(R"(raftdns_notify_total{result="acked"} 1)")) << metrics();
}

TEST_F(NotifySenderTest, NothingToAnnounceWithoutTargets) {
  ZonePolicyConfig none;
  NotifySender sender(io_, clock_, random_, db_, none, ip::address_v4::loopback());
  EXPECT_FALSE(sender.active());
  sender.start();
  sender.serving_changed();
  io_.run_for(milliseconds(20));
  EXPECT_EQ(clock_.pending_timers(), 0u);
}

}  // namespace
}  // namespace net
