// Tests of the zone transfer messages: AXFR order (SOA first and last, every record once),
// splitting into messages within the limit, the question in the first message only, and the
// one-message answers.
#include "dns/zone_transfer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "dns/message.h"
#include "dns/types.h"
#include "dns/zone_parser.h"

namespace dns {
namespace {

std::vector<Record> zone_text(std::string_view text) {
  ZoneParseOptions opts;
  opts.origin = Name::from_text("example.com.");
  return parse_master_file(text, "test.zone", opts).records;
}

// example.com with `bulk` TXT names, a delegation with glue, a big RRset, and a child zone
// (whose records an AXFR of the parent must leave out).
std::vector<Record> sample_zone(int bulk, int big_rrset) {
  std::string text = R"($ORIGIN example.com.
@        3600 IN SOA ns1 hostmaster 100 7200 900 1209600 300
@        3600 IN NS  ns1
ns1      3600 IN A   192.0.2.1
sub      3600 IN NS  ns.sub
ns.sub   3600 IN A   192.0.2.53
child    3600 IN SOA ns1 hostmaster 5 7200 900 1209600 300
x.child  3600 IN A   192.0.2.99
)";
  for (int i = 0; i < bulk; ++i)
    text += fmt::format("bulk{} 300 IN TXT \"record {} with some padding text\"\n", i, i);
  for (int i = 0; i < big_rrset; ++i)
    text += fmt::format("big 300 IN A 10.0.{}.{}\n", i / 250, i % 250);
  return zone_text(text);
}

TransferHeader axfr_header(std::string_view zone = "example.com.") {
  return TransferHeader{0x1234, Name::from_text(zone).wire(), type::AXFR, rclass::IN};
}

std::vector<Message> drain(MessageStream& stream, size_t limit,
                           std::vector<size_t>* sizes = nullptr) {
  std::vector<Message> out;
  std::vector<uint8_t> wire;
  for (int guard = 0; guard < 100000 && stream.next(wire); ++guard) {
    EXPECT_LE(wire.size(), limit);
    if (sizes) sizes->push_back(wire.size());
    out.push_back(decode_message(wire));
  }
  return out;
}

std::vector<std::string> texts(const std::vector<Record>& records) {
  std::vector<std::string> t;
  for (const Record& r : records) t.push_back(to_text(r));
  return t;
}

std::vector<Record> answers(const std::vector<Message>& messages) {
  std::vector<Record> all;
  for (const Message& m : messages) all.insert(all.end(), m.answer.begin(), m.answer.end());
  return all;
}

const Zone& zone_of(const DatabaseVersion& v, std::string_view apex) {
  const Zone* z = v.find_zone(name_key(Name::from_text(apex)));
  EXPECT_NE(z, nullptr);
  return *z;
}

TEST(ZoneTransfer, AxfrHasSoaFirstAndLastAndEveryRecordOnce) {
  Database db;
  db.load(sample_zone(50, 3));
  auto version = db.current();
  auto stream = axfr_stream(version, zone_of(*version, "example.com."), axfr_header(), 65535);
  const std::vector<Message> messages = drain(*stream, 65535);
  ASSERT_EQ(messages.size(), 1u);
  const std::vector<Record> got = answers(messages);
  ASSERT_GE(got.size(), 2u);
  EXPECT_EQ(got.front().type, type::SOA);
  EXPECT_EQ(got.back(), got.front());
  // Every record of the zone exactly once between the SOAs; the child zone's are not there.
  std::vector<Record> expected;
  zone_of(*version, "example.com.").append_records(expected);
  std::vector<std::string> want = texts(expected), have = texts({got.begin(), got.end() - 1});
  std::sort(want.begin(), want.end());
  std::sort(have.begin(), have.end());
  EXPECT_EQ(have, want);
  for (const std::string& line : have) EXPECT_EQ(line.find("child"), std::string::npos) << line;
  EXPECT_NE(
      std::find(have.begin(), have.end(), to_text(zone_text("ns.sub 3600 IN A 192.0.2.53")[0])),
      have.end());  // glue below the cut belongs to the transfer
}

TEST(ZoneTransfer, SplitsIntoMessagesWithinTheLimitQuestionOnlyFirst) {
  Database db;
  db.load(sample_zone(400, 0));
  auto version = db.current();
  constexpr size_t kLimit = 2048;
  auto stream = axfr_stream(version, zone_of(*version, "example.com."), axfr_header(), kLimit);
  std::vector<size_t> sizes;
  const std::vector<Message> messages = drain(*stream, kLimit, &sizes);
  ASSERT_GT(messages.size(), 5u);
  for (size_t i = 0; i < messages.size(); ++i) {
    const Message& m = messages[i];
    EXPECT_EQ(m.header.id, 0x1234);
    EXPECT_TRUE(m.header.qr);
    EXPECT_TRUE(m.header.aa);
    EXPECT_EQ(m.header.rcode, rcode::NOERROR);
    EXPECT_EQ(m.questions.size(), i == 0 ? 1u : 0u);
    EXPECT_FALSE(m.answer.empty());
    // Full: the next message's first record would not have fitted (names compress, so a TXT
    // record of this zone takes at most ~60 octets).
    if (i + 1 < messages.size()) EXPECT_GT(sizes[i], kLimit - 80) << i;
  }
  EXPECT_EQ(answers(messages).size(), 400u + 5u + 1u);
  EXPECT_EQ(messages[0].questions[0].qtype, type::AXFR);
}

TEST(ZoneTransfer, NamesAreCompressed) {
  Database db;
  db.load(sample_zone(100, 0));
  auto version = db.current();
  auto stream = axfr_stream(version, zone_of(*version, "example.com."), axfr_header(), 65535);
  std::vector<size_t> sizes;
  const std::vector<Message> messages = drain(*stream, 65535, &sizes);
  ASSERT_EQ(messages.size(), 1u);
  size_t uncompressed = kHeaderSize;
  for (const Record& r : messages[0].answer)
    uncompressed += r.owner.wire().size() + 10 + r.rdata.size();
  EXPECT_LT(sizes[0] + 100 * 10, uncompressed);  // "example.com" is a pointer in every owner
}

TEST(ZoneTransfer, AnRRsetLargerThanOneMessageIsSplit) {
  Database db;
  db.load(sample_zone(0, 600));  // 600 A records at one name: ~10 KiB
  auto version = db.current();
  constexpr size_t kLimit = 1024;
  auto stream = axfr_stream(version, zone_of(*version, "example.com."), axfr_header(), kLimit);
  const std::vector<Message> messages = drain(*stream, kLimit);
  const std::vector<Record> got = answers(messages);
  EXPECT_EQ(std::count_if(got.begin(), got.end(),
                          [](const Record& r) { return r.owner.to_text() == "big.example.com."; }),
            600);
  EXPECT_GT(messages.size(), 5u);
}

TEST(ZoneTransfer, TheStreamKeepsItsVersionAcrossChanges) {
  Database db;
  db.load(sample_zone(200, 0));
  auto stream = [&] {
    auto version = db.current();
    return axfr_stream(version, zone_of(*version, "example.com."), axfr_header(), 1024);
  }();
  std::vector<uint8_t> first;
  ASSERT_TRUE(stream->next(first));
  // A change published mid-transfer does not show: the transfer is one consistent snapshot.
  db.apply(std::vector<Change>{{Change::Add, zone_text("late 300 IN A 192.0.2.200")[0]}});
  std::vector<Record> got = decode_message(first).answer;
  std::vector<uint8_t> wire;
  while (stream->next(wire)) {
    const Message m = decode_message(wire);
    got.insert(got.end(), m.answer.begin(), m.answer.end());
  }
  EXPECT_EQ(got.size(), 200u + 5u + 1u);
  EXPECT_EQ(soa_serial(got.front().rdata), 100u);
  EXPECT_EQ(soa_serial(got.back().rdata), 100u);
}

TEST(ZoneTransfer, RecordStreamKeepsOrder) {
  std::vector<Record> records = sample_zone(30, 0);
  TransferHeader h = axfr_header();
  h.qtype = type::IXFR;
  auto stream = record_stream(records, h, 512);
  const std::vector<Message> messages = drain(*stream, 512);
  EXPECT_GT(messages.size(), 2u);
  EXPECT_EQ(texts(answers(messages)), texts(records));
}

TEST(ZoneTransfer, AnEmptyRecordStreamIsOneMessage) {
  auto stream = record_stream({}, axfr_header(), 512);
  EXPECT_EQ(drain(*stream, 512).size(), 1u);
}

TEST(ZoneTransfer, ErrorAnswerEchoesTheQuestion) {
  const Message refused = decode_message(transfer_error(axfr_header(), rcode::REFUSED));
  EXPECT_EQ(refused.header.rcode, rcode::REFUSED);
  EXPECT_FALSE(refused.header.aa);
  ASSERT_EQ(refused.questions.size(), 1u);
  EXPECT_EQ(refused.questions[0].name, Name::from_text("example.com."));
  const Message tc = decode_message(transfer_error(axfr_header(), rcode::NOERROR, true));
  EXPECT_TRUE(tc.header.tc);
  EXPECT_TRUE(tc.answer.empty());
}

}  // namespace
}  // namespace dns
