// Tests of the authoritative answer logic: one test per rule of design.md §6, asserting the
// header bits and the sections of the response.
#include "dns/answer.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

#include <fmt/format.h>

#include "dns/message.h"
#include "dns/rdata.h"
#include "dns/types.h"
#include "dns/zone_parser.h"

namespace dns {
namespace {

std::string txt_rrset(std::string_view owner, int count) {
  std::string out;
  for (int i = 0; i < count; ++i)
    out += fmt::format("{} 300 TXT \"{:03}{}\"\n", owner, i, std::string(97, 'x'));
  return out;
}

const std::string kZones = R"(
$ORIGIN example.com.
@           3600 SOA   ns1 hostmaster 2024 7200 900 1209600 300
@           3600 NS    ns1
@           3600 NS    ns2.example.net.
@            300 MX    10 mail
ns1         3600 A     192.0.2.53
www          300 A     192.0.2.1
www          300 AAAA  2001:db8::1
mail         300 A     192.0.2.25
alias        300 CNAME www
chain1       300 CNAME chain2
chain2       300 CNAME www
dangling     300 CNAME nothere
loop1        300 CNAME loop2
loop2        300 CNAME loop1
away         300 CNAME www.example.net.
cross        300 CNAME www.example.org.
a.b.c        300 A     192.0.2.7
*.wild       300 A     192.0.2.99
exists.wild  300 TXT   "x"
*.cwild      300 CNAME www
*.w2         300 CNAME next.w2
sub         3600 NS    ns1.sub
sub         3600 NS    ns.example.net.
ns1.sub     3600 A     192.0.2.77
both         300 A     192.0.2.5
both         300 CNAME www
_sip._tcp    300 SRV   0 5 5060 www
)" + txt_rrset("mid", 9) + txt_rrset("big", 40) +
                           R"(
$ORIGIN example.org.
@           3600 SOA   ns hm 1 1 1 1 60
www          300 A     198.51.100.1
)";

class AnswerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ZoneParseOptions opts;
    auto warnings = db_.load(parse_master_file(kZones, "answer_test.zone", opts).records);
    ASSERT_EQ(warnings.size(), 1u);  // the CNAME beside data at both.example.com.
  }

  static std::vector<uint8_t> query(std::string_view name, uint16_t qtype,
                                    std::optional<Edns> edns = std::nullopt,
                                    uint16_t qclass = rclass::IN) {
    Message m;
    m.header.id = 0xbeef;
    m.header.rd = true;
    m.questions.push_back(Question{Name::from_text(name), qtype, qclass});
    m.edns = std::move(edns);
    return encode_message(m);
  }

  std::vector<uint8_t> respond(std::span<const uint8_t> q, AnswerOptions options = {}) {
    std::vector<uint8_t> out(65535);
    out.resize(answer_query(*db_.current(), q, out, options));
    return out;
  }

  Message ask(std::string_view name, uint16_t qtype, std::optional<Edns> edns = std::nullopt,
              AnswerOptions options = {}) {
    const auto wire = respond(query(name, qtype, std::move(edns)), options);
    EXPECT_FALSE(wire.empty());
    return decode_message(wire);
  }

  Database db_;
};

Record rr(std::string_view owner, uint32_t ttl, std::string_view type_text,
          std::string_view rdata_text) {
  std::vector<TextToken> tokens;
  size_t start = 0;
  while (start < rdata_text.size()) {
    size_t end = rdata_text.find(' ', start);
    if (end == std::string_view::npos) end = rdata_text.size();
    tokens.push_back(TextToken{std::string(rdata_text.substr(start, end - start))});
    start = end + 1;
  }
  const uint16_t t = *type_from_text(type_text);
  return Record{Name::from_text(owner), t, rclass::IN, ttl, rdata_from_text(t, tokens, Name())};
}

// Exact owner-name bytes as sent (Name == ignores case).
void expect_same_case(const Name& got, std::string_view want) {
  EXPECT_EQ(got.to_text(), want);
}

const Record kSoa = rr("example.com.", 300, "SOA",
                       "ns1.example.com. hostmaster.example.com. 2024 7200 900 1209600 300");

TEST_F(AnswerTest, AnswerFromOurZoneHasAaRaClearRdCopiedIdKept) {
  Message m = ask("www.example.com.", type::A);
  EXPECT_EQ(m.header.id, 0xbeef);
  EXPECT_TRUE(m.header.qr);
  EXPECT_TRUE(m.header.aa);
  EXPECT_FALSE(m.header.ra);
  EXPECT_TRUE(m.header.rd);
  EXPECT_FALSE(m.header.tc);
  EXPECT_EQ(m.header.rcode, rcode::NOERROR);
  ASSERT_EQ(m.questions.size(), 1u);
  ASSERT_EQ(m.answer.size(), 1u);
  EXPECT_EQ(m.answer[0], rr("www.example.com.", 300, "A", "192.0.2.1"));
  EXPECT_TRUE(m.authority.empty());
  EXPECT_TRUE(m.additional.empty());
  EXPECT_FALSE(m.edns.has_value());
}

TEST_F(AnswerTest, RdClearInQueryIsClearInResponse) {
  Message q = decode_message(query("www.example.com.", type::A));
  q.header.rd = false;
  Message m = decode_message(respond(encode_message(q)));
  EXPECT_FALSE(m.header.rd);
  EXPECT_TRUE(m.header.aa);
}

TEST_F(AnswerTest, MatchingIsCaseInsensitiveAndTheQueryCaseIsPreserved) {
  Message m = ask("WwW.ExAmPlE.CoM.", type::A);
  EXPECT_EQ(m.header.rcode, rcode::NOERROR);
  expect_same_case(m.questions.at(0).name, "WwW.ExAmPlE.CoM.");
  ASSERT_EQ(m.answer.size(), 1u);
  expect_same_case(m.answer[0].owner, "WwW.ExAmPlE.CoM.");
}

TEST_F(AnswerTest, NxdomainCarriesTheSoaWithTheNegativeTtl) {
  Message m = ask("nothere.example.com.", type::A);
  EXPECT_EQ(m.header.rcode, rcode::NXDOMAIN);
  EXPECT_TRUE(m.header.aa);
  EXPECT_TRUE(m.answer.empty());
  ASSERT_EQ(m.authority.size(), 1u);
  EXPECT_EQ(m.authority[0], kSoa);  // TTL min(3600, minimum 300)
  EXPECT_EQ(m.authority[0].ttl, 300u);
}

TEST_F(AnswerTest, NodataCarriesTheSoa) {
  Message m = ask("www.example.com.", type::MX);
  EXPECT_EQ(m.header.rcode, rcode::NOERROR);
  EXPECT_TRUE(m.header.aa);
  EXPECT_TRUE(m.answer.empty());
  ASSERT_EQ(m.authority.size(), 1u);
  EXPECT_EQ(m.authority[0], kSoa);
}

TEST_F(AnswerTest, EmptyNonTerminalIsNodataNotNxdomain) {
  for (const char* name : {"b.c.example.com.", "c.example.com."}) {
    Message m = ask(name, type::A);
    EXPECT_EQ(m.header.rcode, rcode::NOERROR) << name;
    EXPECT_TRUE(m.answer.empty());
    ASSERT_EQ(m.authority.size(), 1u);
    EXPECT_EQ(m.authority[0].type, type::SOA);
  }
  EXPECT_EQ(ask("x.c.example.com.", type::A).header.rcode, rcode::NXDOMAIN);
}

TEST_F(AnswerTest, CnameIsFollowedInsideOurData) {
  Message m = ask("Alias.example.com.", type::A);
  EXPECT_EQ(m.header.rcode, rcode::NOERROR);
  EXPECT_TRUE(m.header.aa);
  ASSERT_EQ(m.answer.size(), 2u);
  EXPECT_EQ(m.answer[0], rr("alias.example.com.", 300, "CNAME", "www.example.com."));
  expect_same_case(m.answer[0].owner, "Alias.example.com.");
  EXPECT_EQ(m.answer[1], rr("www.example.com.", 300, "A", "192.0.2.1"));
}

TEST_F(AnswerTest, CnameChainOfTwoIsFollowed) {
  Message m = ask("chain1.example.com.", type::AAAA);
  ASSERT_EQ(m.answer.size(), 3u);
  EXPECT_EQ(m.answer[0].type, type::CNAME);
  EXPECT_EQ(m.answer[1].type, type::CNAME);
  EXPECT_EQ(m.answer[2], rr("www.example.com.", 300, "AAAA", "2001:db8::1"));
}

TEST_F(AnswerTest, CnameToAMissingNameGivesNxdomainOfTheLastName) {
  Message m = ask("dangling.example.com.", type::A);
  EXPECT_EQ(m.header.rcode, rcode::NXDOMAIN);
  EXPECT_TRUE(m.header.aa);
  ASSERT_EQ(m.answer.size(), 1u);
  EXPECT_EQ(m.answer[0].type, type::CNAME);
  ASSERT_EQ(m.authority.size(), 1u);
  EXPECT_EQ(m.authority[0].type, type::SOA);
}

TEST_F(AnswerTest, CnameLoopStopsAfterEachNameOnce) {
  Message m = ask("loop1.example.com.", type::A);
  EXPECT_EQ(m.header.rcode, rcode::NOERROR);
  ASSERT_EQ(m.answer.size(), 2u);
  EXPECT_EQ(m.answer[0].owner, Name::from_text("loop1.example.com."));
  EXPECT_EQ(m.answer[1].owner, Name::from_text("loop2.example.com."));
}

TEST_F(AnswerTest, CnameChainIsBoundedAt16) {
  std::vector<Change> changes;
  for (int i = 0; i < 30; ++i)
    changes.push_back(Change{Change::Add, rr(fmt::format("l{}.example.com.", i), 60, "CNAME",
                                             fmt::format("l{}.example.com.", i + 1))});
  db_.apply(changes);
  Message m = ask("l0.example.com.", type::A);
  EXPECT_EQ(m.header.rcode, rcode::NOERROR);
  EXPECT_EQ(m.answer.size(), kMaxCnameChain + 1);
}

TEST_F(AnswerTest, CnameIntoAnotherOfOurZonesIsFollowed) {
  Message m = ask("cross.example.com.", type::A);
  EXPECT_TRUE(m.header.aa);
  ASSERT_EQ(m.answer.size(), 2u);
  EXPECT_EQ(m.answer[1], rr("www.example.org.", 300, "A", "198.51.100.1"));
}

TEST_F(AnswerTest, CnameLeavingOurZonesEndsTheAnswer) {
  Message m = ask("away.example.com.", type::A);
  EXPECT_EQ(m.header.rcode, rcode::NOERROR);
  EXPECT_TRUE(m.header.aa);
  ASSERT_EQ(m.answer.size(), 1u);
  EXPECT_EQ(m.answer[0].type, type::CNAME);
  EXPECT_TRUE(m.authority.empty());
}

TEST_F(AnswerTest, QueryForTheCnameItselfIsNotChased) {
  Message m = ask("alias.example.com.", type::CNAME);
  ASSERT_EQ(m.answer.size(), 1u);
  EXPECT_EQ(m.answer[0].type, type::CNAME);
}

TEST_F(AnswerTest, ExactTypeDataWinsOverACnameBesideIt) {
  Message m = ask("both.example.com.", type::A);
  ASSERT_EQ(m.answer.size(), 1u);
  EXPECT_EQ(m.answer[0], rr("both.example.com.", 300, "A", "192.0.2.5"));
}

TEST_F(AnswerTest, CnameBesideDataIsChasedForOtherTypes) {
  Message m = ask("both.example.com.", type::AAAA);
  ASSERT_EQ(m.answer.size(), 2u);
  EXPECT_EQ(m.answer[0].type, type::CNAME);
  EXPECT_EQ(m.answer[1], rr("www.example.com.", 300, "AAAA", "2001:db8::1"));
}

TEST_F(AnswerTest, WildcardIsSynthesizedWithTheQueryNameAsOwner) {
  Message m = ask("Foo.Bar.wild.example.com.", type::A);
  EXPECT_EQ(m.header.rcode, rcode::NOERROR);
  EXPECT_TRUE(m.header.aa);
  ASSERT_EQ(m.answer.size(), 1u);
  expect_same_case(m.answer[0].owner, "Foo.Bar.wild.example.com.");
  EXPECT_EQ(m.answer[0].rdata, rr("x.", 300, "A", "192.0.2.99").rdata);
}

TEST_F(AnswerTest, WildcardOfOtherTypeIsNodata) {
  Message m = ask("foo.wild.example.com.", type::MX);
  EXPECT_EQ(m.header.rcode, rcode::NOERROR);
  EXPECT_TRUE(m.answer.empty());
  ASSERT_EQ(m.authority.size(), 1u);
  EXPECT_EQ(m.authority[0].type, type::SOA);
}

TEST_F(AnswerTest, WildcardDoesNotMatchAnExistingNameOrBelowIt) {
  Message exact = ask("exists.wild.example.com.", type::A);
  EXPECT_EQ(exact.header.rcode, rcode::NOERROR);  // the name exists: NODATA
  EXPECT_TRUE(exact.answer.empty());
  Message below = ask("x.exists.wild.example.com.", type::A);
  EXPECT_EQ(below.header.rcode, rcode::NXDOMAIN);  // closest encloser exists.wild has no *
  Message beside = ask("x.example.com.", type::A);
  EXPECT_EQ(beside.header.rcode, rcode::NXDOMAIN);
}

TEST_F(AnswerTest, WildcardCnameIsChased) {
  Message m = ask("any.cwild.example.com.", type::A);
  ASSERT_EQ(m.answer.size(), 2u);
  EXPECT_EQ(m.answer[0], rr("any.cwild.example.com.", 300, "CNAME", "www.example.com."));
  EXPECT_EQ(m.answer[1].type, type::A);
}

TEST_F(AnswerTest, OneWildcardCnameCanSynthesizeTwoLinksOfAChain) {
  Message m = ask("x.w2.example.com.", type::A);
  EXPECT_EQ(m.header.rcode, rcode::NOERROR);
  ASSERT_EQ(m.answer.size(), 2u);  // x.w2 -> next.w2 -> next.w2 (a loop: stop)
  EXPECT_EQ(m.answer[0], rr("x.w2.example.com.", 300, "CNAME", "next.w2.example.com."));
  EXPECT_EQ(m.answer[1], rr("next.w2.example.com.", 300, "CNAME", "next.w2.example.com."));
}

TEST_F(AnswerTest, QueryBelowAZoneCutGetsAReferralWithGlue) {
  Message m = ask("www.SUB.example.com.", type::A);
  EXPECT_EQ(m.header.rcode, rcode::NOERROR);
  EXPECT_FALSE(m.header.aa);
  EXPECT_TRUE(m.answer.empty());
  ASSERT_EQ(m.authority.size(), 2u);
  for (const Record& r : m.authority) {
    EXPECT_EQ(r.type, type::NS);
    expect_same_case(r.owner, "SUB.example.com.");
  }
  ASSERT_EQ(m.additional.size(), 1u);  // ns.example.net. is not ours to give
  EXPECT_EQ(m.additional[0], rr("ns1.sub.example.com.", 3600, "A", "192.0.2.77"));
}

TEST_F(AnswerTest, QueryAtTheZoneCutGetsAReferral) {
  Message m = ask("sub.example.com.", type::NS);
  EXPECT_FALSE(m.header.aa);
  EXPECT_TRUE(m.answer.empty());
  EXPECT_EQ(m.authority.size(), 2u);
}

TEST_F(AnswerTest, DsAtTheZoneCutIsAnsweredByTheParent) {
  Message m = ask("sub.example.com.", type::DS);
  EXPECT_TRUE(m.header.aa);
  EXPECT_EQ(m.header.rcode, rcode::NOERROR);
  ASSERT_EQ(m.authority.size(), 1u);
  EXPECT_EQ(m.authority[0].type, type::SOA);
}

TEST_F(AnswerTest, NameOutsideAllZonesIsRefusedWithoutAa) {
  Message m = ask("www.example.net.", type::A);
  EXPECT_EQ(m.header.rcode, rcode::REFUSED);
  EXPECT_FALSE(m.header.aa);
  EXPECT_EQ(m.questions.size(), 1u);
  EXPECT_TRUE(m.answer.empty() && m.authority.empty());
}

TEST_F(AnswerTest, MxAnswerCarriesTheExchangeAddressInAdditional) {
  Message m = ask("example.com.", type::MX);
  ASSERT_EQ(m.answer.size(), 1u);
  ASSERT_EQ(m.additional.size(), 1u);
  EXPECT_EQ(m.additional[0], rr("mail.example.com.", 300, "A", "192.0.2.25"));
}

TEST_F(AnswerTest, NsAnswerAtTheApexCarriesOurNameserverAddresses) {
  Message m = ask("example.com.", type::NS);
  EXPECT_TRUE(m.header.aa);
  ASSERT_EQ(m.answer.size(), 2u);
  ASSERT_EQ(m.additional.size(), 1u);
  EXPECT_EQ(m.additional[0], rr("ns1.example.com.", 3600, "A", "192.0.2.53"));
}

TEST_F(AnswerTest, SrvAnswerCarriesTheTargetAddresses) {
  Message m = ask("_sip._tcp.example.com.", type::SRV);
  ASSERT_EQ(m.answer.size(), 1u);
  ASSERT_EQ(m.additional.size(), 2u);
  EXPECT_EQ(m.additional[0].type, type::A);
  EXPECT_EQ(m.additional[1].type, type::AAAA);
}

TEST_F(AnswerTest, AnyIsAnsweredWithOneRRset) {
  Message m = ask("www.example.com.", type::ANY);
  EXPECT_EQ(m.header.rcode, rcode::NOERROR);
  ASSERT_EQ(m.answer.size(), 1u);
  EXPECT_EQ(m.answer[0].type, type::A);  // the lowest type number at the name
  Message ent = ask("c.example.com.", type::ANY);
  EXPECT_TRUE(ent.answer.empty());
  EXPECT_EQ(ent.authority.at(0).type, type::SOA);
}

TEST_F(AnswerTest, ClassAnyIsAnsweredOtherClassesRefused) {
  auto any = decode_message(respond(query("www.example.com.", type::A, {}, rclass::ANY)));
  EXPECT_EQ(any.header.rcode, rcode::NOERROR);
  EXPECT_EQ(any.answer.size(), 1u);
  auto chaos = decode_message(respond(query("version.bind.", type::TXT, {}, rclass::CH)));
  EXPECT_EQ(chaos.header.rcode, rcode::REFUSED);
  EXPECT_FALSE(chaos.header.aa);
}

TEST_F(AnswerTest, ZoneTransfersAreRefused) {
  EXPECT_EQ(ask("example.com.", type::AXFR).header.rcode, rcode::REFUSED);
  EXPECT_EQ(ask("example.com.", type::IXFR).header.rcode, rcode::REFUSED);
  EXPECT_EQ(ask("example.com.", type::AXFR, {}, {.tcp = true}).header.rcode, rcode::REFUSED);
}

TEST_F(AnswerTest, EdnsIsEchoedWithOurPayloadSizeAndTheDoBit) {
  Edns e;
  e.udp_size = 4096;
  e.dnssec_ok = true;
  Message m = ask("www.example.com.", type::A, e);
  ASSERT_TRUE(m.edns.has_value());
  EXPECT_EQ(m.edns->udp_size, kMaxUdpPayload);
  EXPECT_EQ(m.edns->version, 0);
  EXPECT_TRUE(m.edns->dnssec_ok);
  EXPECT_EQ(m.answer.size(), 1u);
}

TEST_F(AnswerTest, EdnsVersionAboveZeroGetsBadvers) {
  Edns e;
  e.version = 1;
  const auto wire = respond(query("www.example.com.", type::A, e));
  ASSERT_GE(wire.size(), 12u + 11u);
  EXPECT_EQ(wire[3] & 0x0f, 0);              // low 4 bits of 16
  EXPECT_EQ(wire[wire.size() - 11 + 5], 1);  // extended rcode: 16 >> 4
  Message m = decode_message(wire);
  EXPECT_EQ(m.header.rcode, rcode::BADVERS);
  EXPECT_EQ(m.edns->version, 0);
  EXPECT_TRUE(m.answer.empty());
  EXPECT_FALSE(m.header.aa);
}

TEST_F(AnswerTest, UdpAnswerOver512WithoutEdnsIsTruncatedToTheQuestion) {
  Message m = ask("mid.example.com.", type::TXT);
  EXPECT_TRUE(m.header.tc);
  EXPECT_TRUE(m.header.aa);
  EXPECT_EQ(m.questions.size(), 1u);
  EXPECT_TRUE(m.answer.empty() && m.authority.empty() && m.additional.empty());
}

// A signed answer's TSIG is appended after answering (net/signed_query_service.h): the
// reserve keeps room for it, so an answer that would fit only without it is truncated instead.
TEST_F(AnswerTest, ReserveLowersTheLimitForARecordAppendedLater) {
  Edns large;
  large.udp_size = 4096;
  const auto q = query("mid.example.com.", type::TXT, large);
  const auto full = respond(q);
  ASSERT_FALSE(decode_message(full).header.tc);
  const std::size_t spare = kMaxUdpPayload - full.size();
  const auto still_fits = respond(q, AnswerOptions{.reserve = spare});
  EXPECT_EQ(still_fits, full);
  const auto cut = respond(q, AnswerOptions{.reserve = spare + 1});
  const Message m = decode_message(cut);
  EXPECT_TRUE(m.header.tc);
  EXPECT_TRUE(m.answer.empty());
  EXPECT_LE(cut.size() + spare + 1, kMaxUdpPayload);
  // Over TCP the same reserve changes nothing: 64 KiB is far away.
  EXPECT_FALSE(
      decode_message(respond(q, AnswerOptions{.tcp = true, .reserve = spare + 1})).header.tc);
}

TEST_F(AnswerTest, UdpLimitIsTheClientsEdnsSizeCappedAt1232AndAtLeast512) {
  Edns large;
  large.udp_size = 4096;
  Message fits = ask("mid.example.com.", type::TXT, large);
  EXPECT_FALSE(fits.header.tc);
  EXPECT_EQ(fits.answer.size(), 9u);
  Message capped = ask("big.example.com.", type::TXT, large);
  EXPECT_TRUE(capped.header.tc);
  EXPECT_TRUE(capped.answer.empty());
  ASSERT_TRUE(capped.edns.has_value());  // OPT kept when truncated
  Edns small;
  small.udp_size = 600;
  EXPECT_TRUE(ask("mid.example.com.", type::TXT, small).header.tc);
  Edns tiny;
  tiny.udp_size = 100;  // treated as 512: a short answer still fits
  Message www = ask("www.example.com.", type::A, tiny);
  EXPECT_FALSE(www.header.tc);
  EXPECT_EQ(www.answer.size(), 1u);
}

TEST_F(AnswerTest, TcpAllowsLargeAnswers) {
  Message m = ask("big.example.com.", type::TXT, {}, {.tcp = true});
  EXPECT_FALSE(m.header.tc);
  EXPECT_EQ(m.answer.size(), 40u);
}

TEST_F(AnswerTest, AdditionalDataThatDoesNotFitIsLeftOutWithoutTc) {
  // The MX answer fits in 512 octets only without its additional A records.
  std::vector<Change> changes;
  for (int i = 0; i < 12; ++i) {
    const std::string host = fmt::format("mx{}.example.com.", i);
    changes.push_back(
        Change{Change::Add, rr("mxs.example.com.", 60, "MX", fmt::format("{} {}", i, host))});
    changes.push_back(Change{Change::Add, rr(host, 60, "AAAA", "2001:db8::25")});
  }
  db_.apply(changes);
  Message m = ask("mxs.example.com.", type::MX);
  EXPECT_FALSE(m.header.tc);
  EXPECT_EQ(m.answer.size(), 12u);
  EXPECT_LT(m.additional.size(), 12u);
  EXPECT_LE(respond(query("mxs.example.com.", type::MX)).size(), 512u);
}

TEST_F(AnswerTest, ResponsesAndShortPacketsAreDropped) {
  auto q = query("www.example.com.", type::A);
  q[2] |= 0x80;  // QR
  EXPECT_TRUE(respond(q).empty());
  const std::vector<uint8_t> short_packet(11, 0);
  EXPECT_TRUE(respond(short_packet).empty());
}

TEST_F(AnswerTest, OtherOpcodesGetNotimpWithTheQuestionEchoed) {
  Message q = decode_message(query("example.com.", type::SOA));
  q.header.opcode = opcode::UPDATE;
  Message m = decode_message(respond(encode_message(q)));
  EXPECT_EQ(m.header.rcode, rcode::NOTIMP);
  EXPECT_EQ(m.header.opcode, opcode::UPDATE);
  EXPECT_EQ(m.header.id, 0xbeef);
  EXPECT_FALSE(m.header.aa);
  EXPECT_EQ(m.questions.size(), 1u);
}

// The cluster is a primary, never a secondary: a NOTIFY to it is refused (NSD answers REFUSED for
// its primary zones too), whatever zone it names.
TEST_F(AnswerTest, NotifyIsRefusedWithTheQuestionEchoed) {
  for (const char* zone : {"example.com.", "not-served.org."}) {
    Message q = decode_message(query(zone, type::SOA));
    q.header.opcode = opcode::NOTIFY;
    q.header.aa = true;
    Message m = decode_message(respond(encode_message(q)));
    EXPECT_EQ(m.header.rcode, rcode::REFUSED) << zone;
    EXPECT_EQ(m.header.opcode, opcode::NOTIFY);
    EXPECT_TRUE(m.header.qr);
    EXPECT_EQ(m.header.id, 0xbeef);
    ASSERT_EQ(m.questions.size(), 1u);
    EXPECT_EQ(m.questions[0].name, Name::from_text(zone));
    EXPECT_TRUE(m.answer.empty());
  }
}

TEST_F(AnswerTest, OtherOpcodesGetRdCdAndAdClear) {
  for (uint8_t op : {uint8_t{1}, uint8_t{2}, opcode::NOTIFY, opcode::UPDATE, uint8_t{15}}) {
    Message q = decode_message(query("example.com.", type::SOA));
    q.header.opcode = op;
    q.header.rd = q.header.cd = q.header.ad = true;
    Message m = decode_message(respond(encode_message(q)));
    EXPECT_EQ(m.header.rcode, op == opcode::NOTIFY ? rcode::REFUSED : rcode::NOTIMP) << int{op};
    EXPECT_EQ(m.header.opcode, op);
    EXPECT_FALSE(m.header.rd) << "opcode " << int{op};
    EXPECT_FALSE(m.header.cd) << "opcode " << int{op};
    EXPECT_FALSE(m.header.ad) << "opcode " << int{op};
  }
  // A QUERY keeps echoing RD and CD.
  Message q = decode_message(query("example.com.", type::SOA));
  q.header.rd = q.header.cd = true;
  Message m = decode_message(respond(encode_message(q)));
  EXPECT_TRUE(m.header.rd);
  EXPECT_TRUE(m.header.cd);
}

TEST_F(AnswerTest, TwoQuestionsAreFormerr) {
  Message q = decode_message(query("www.example.com.", type::A));
  q.questions.push_back(q.questions[0]);
  Message m = decode_message(respond(encode_message(q)));
  EXPECT_EQ(m.header.rcode, rcode::FORMERR);
  EXPECT_EQ(m.header.id, 0xbeef);
  EXPECT_FALSE(m.header.aa);
  EXPECT_EQ(m.questions.size(), 1u);  // the first one, as it could be read
  EXPECT_TRUE(m.answer.empty());
}

TEST_F(AnswerTest, NoQuestionIsFormerr) {
  Message q;
  q.header.id = 7;
  Message m = decode_message(respond(encode_message(q)));
  EXPECT_EQ(m.header.rcode, rcode::FORMERR);
  EXPECT_EQ(m.header.id, 7);
  EXPECT_TRUE(m.questions.empty());
}

TEST_F(AnswerTest, AnswerSectionInAQueryIsFormerr) {
  Message q = decode_message(query("www.example.com.", type::A));
  q.answer.push_back(rr("www.example.com.", 60, "A", "192.0.2.1"));
  Message m = decode_message(respond(encode_message(q)));
  EXPECT_EQ(m.header.rcode, rcode::FORMERR);
  EXPECT_EQ(m.questions.size(), 1u);
}

TEST_F(AnswerTest, TruncatedQuestionIsFormerrWithTheIdKept) {
  auto q = query("www.example.com.", type::A);
  q.resize(q.size() - 2);
  Message m = decode_message(respond(q));
  EXPECT_EQ(m.header.rcode, rcode::FORMERR);
  EXPECT_EQ(m.header.id, 0xbeef);
  EXPECT_TRUE(m.questions.empty());
}

TEST_F(AnswerTest, TrailingOctetsAreFormerrWithTheQuestionEchoed) {
  auto q = query("www.example.com.", type::A);
  q.push_back(0);
  q.push_back(1);
  Message m = decode_message(respond(q));
  EXPECT_EQ(m.header.rcode, rcode::FORMERR);
  EXPECT_EQ(m.questions.size(), 1u);
}

TEST_F(AnswerTest, MalformedOptIsFormerr) {
  Edns e;
  e.options = {0, 10, 0, 8, 1, 2};  // option claims 8 octets, has 2
  auto q = query("www.example.com.", type::A, e);
  Message m = decode_message(respond(q));
  EXPECT_EQ(m.header.rcode, rcode::FORMERR);
}

TEST_F(AnswerTest, ResponseNamesAreCompressed) {
  const auto wire = respond(query("example.com.", type::NS));
  Message m = decode_message(wire);
  ASSERT_EQ(m.answer.size(), 2u);
  // Uncompressed, the two NS records and the glue alone would take more than this.
  EXPECT_LT(wire.size(), 110u);
}

TEST_F(AnswerTest, AnswersComeFromTheVersionPassedIn) {
  auto before = db_.current();
  Change changes[] = {{Change::Add, rr("new.example.com.", 60, "A", "192.0.2.200")}};
  db_.apply(changes);
  std::vector<uint8_t> out(512);
  const auto q = query("new.example.com.", type::A);
  Message old_answer = decode_message(std::span(out).first(answer_query(*before, q, out)));
  EXPECT_EQ(old_answer.header.rcode, rcode::NXDOMAIN);
  EXPECT_EQ(soa_from_rdata(old_answer.authority.at(0).rdata).serial, 2024u);
  Message new_answer = ask("new.example.com.", type::A);
  EXPECT_EQ(new_answer.answer.size(), 1u);
  Message soa = ask("example.com.", type::SOA);
  EXPECT_EQ(soa_from_rdata(soa.answer.at(0).rdata).serial, 2025u);
}

// Whatever arrives, the answer logic never crashes, and whatever it sends decodes, keeps the ID
// and is a response.
RC_GTEST_PROP(AnswerProperty, RandomPacketsNeverCrashAndResponsesDecode,
              (std::vector<uint8_t> packet)) {
  static Database* db = [] {
    auto* d = new Database;
    d->load(parse_master_file(kZones, "answer_test.zone", ZoneParseOptions{}).records);
    return d;
  }();
  std::vector<uint8_t> out(65535);
  const size_t n = answer_query(*db->current(), packet, out, {});
  if (n == 0) return;
  RC_ASSERT(n <= 512u);
  const Message m = decode_message(std::span(out).first(n));
  RC_ASSERT(m.header.qr);
  RC_ASSERT(m.header.id == (packet[0] << 8 | packet[1]));
}

RC_GTEST_PROP(AnswerProperty, RandomQueriesGetWellFormedResponses, ()) {
  static const std::vector<uint16_t> kTypes = {type::A,   type::AAAA, type::NS,    type::MX,
                                               type::TXT, type::SOA,  type::CNAME, type::ANY,
                                               type::SRV, type::DS,   65280};
  static Database* db = [] {
    auto* d = new Database;
    d->load(parse_master_file(kZones, "answer_test.zone", ZoneParseOptions{}).records);
    return d;
  }();
  const std::vector<std::string> names = {
      "www.example.com.",     "example.com.",       "x.wild.example.com.", "b.c.example.com.",
      "alias.example.com.",   "loop1.example.com.", "a.sub.example.com.",  "big.example.com.",
      "nothere.example.org.", "example.net.",       "*.wild.example.com.", "mid.example.com."};
  const auto name = *rc::gen::elementOf(names);
  const auto qtype = *rc::gen::elementOf(kTypes);
  const bool tcp = *rc::gen::arbitrary<bool>();
  Message q;
  q.header.id = *rc::gen::arbitrary<uint16_t>();
  q.questions.push_back(Question{Name::from_text(name), qtype, rclass::IN});
  if (*rc::gen::arbitrary<bool>()) {
    Edns e;
    e.udp_size = *rc::gen::arbitrary<uint16_t>();
    q.edns = e;
  }
  std::vector<uint8_t> out(65535);
  const size_t n = answer_query(*db->current(), encode_message(q), out, {.tcp = tcp});
  RC_ASSERT(n > 0u);
  const size_t limit = tcp ? 65535 : q.edns ? std::clamp<size_t>(q.edns->udp_size, 512, 1232) : 512;
  RC_ASSERT(n <= limit);
  const Message m = decode_message(std::span(out).first(n));
  RC_ASSERT(m.header.id == q.header.id);
  RC_ASSERT(m.questions == q.questions);
  RC_ASSERT(m.edns.has_value() == q.edns.has_value());
  RC_ASSERT(!m.header.ra);
}

}  // namespace
}  // namespace dns
