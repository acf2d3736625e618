// Tests of the per-thread answer cache: a hit is byte for byte what answer_query writes for the
// new query, and nothing survives a new database version.
#include "dns/answer_cache.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "dns/answer.h"
#include "dns/message.h"
#include "dns/types.h"
#include "dns/zone_db.h"
#include "dns/zone_parser.h"

namespace dns {
namespace {

constexpr std::string_view kZone = R"(
$ORIGIN example.com.
@      3600 SOA   ns1 hostmaster 1 7200 900 1209600 300
@      3600 NS    ns1
@       300 MX    10 mail
ns1    3600 A     192.0.2.53
www     300 A     192.0.2.1
www     300 AAAA  2001:db8::1
mail    300 A     192.0.2.25
alias   300 CNAME www
*.wild  300 TXT   "w"
)";

std::vector<Record> records(std::string_view text) {
  ZoneParseOptions opts;
  opts.origin = Name::from_text("example.com.");
  return parse_master_file(text, "test.zone", opts).records;
}

std::vector<uint8_t> query(uint16_t id, const std::string& name, uint16_t qtype, bool edns,
                           bool rd = false) {
  Message m;
  m.header.id = id;
  m.header.rd = rd;
  m.questions.push_back({Name::from_text(name), qtype, rclass::IN});
  if (edns) m.edns = Edns{};  // udp_size 1232
  return encode_message(m);
}

// What a worker does: the cache first, else the answer logic, whose answer is then remembered.
struct CachedAnswerer {
  const Database& db;
  AnswerCache cache{64};
  std::vector<uint8_t> ask(const std::vector<uint8_t>& q, bool tcp = false) {
    std::vector<uint8_t> out(65535);
    const uint64_t version = db.current()->number();
    size_t n = cache.lookup(version, q, tcp, out);
    if (n == 0) {
      n = answer_query(*db.current(), q, out, AnswerOptions{.tcp = tcp});
      cache.store(version, q, tcp, std::span<const uint8_t>(out).first(n));
    }
    out.resize(n);
    return out;
  }
};

std::vector<uint8_t> fresh(const Database& db, const std::vector<uint8_t>& q, bool tcp = false) {
  std::vector<uint8_t> out(65535);
  out.resize(answer_query(*db.current(), q, out, AnswerOptions{.tcp = tcp}));
  return out;
}

TEST(AnswerCache, HitCarriesTheNewIdAndEqualsAFreshAnswer) {
  Database db;
  db.load(records(kZone));
  CachedAnswerer a{db};
  const auto first = a.ask(query(1, "www.example.com.", type::A, true));
  EXPECT_EQ(a.cache.hits(), 0u);
  const auto q2 = query(0xBEEF, "www.example.com.", type::A, true);
  const auto second = a.ask(q2);
  EXPECT_EQ(a.cache.hits(), 1u);
  EXPECT_EQ(second, fresh(db, q2));
  EXPECT_EQ(second[0], 0xBE);
  EXPECT_EQ(second[1], 0xEF);
  EXPECT_NE(first, second);  // only the ID differs
}

TEST(AnswerCache, CaseFlagsEdnsAndTransportAreDifferentQueries) {
  Database db;
  db.load(records(kZone));
  CachedAnswerer a{db};
  a.ask(query(1, "www.example.com.", type::A, true));
  for (const auto& q : {query(2, "WWW.example.com.", type::A, true),   // case is echoed
                        query(3, "www.example.com.", type::A, false),  // no OPT
                        query(4, "www.example.com.", type::A, true, true)}) {  // RD copied
    const uint64_t hits = a.cache.hits();
    EXPECT_EQ(a.ask(q), fresh(db, q));
    EXPECT_EQ(a.cache.hits(), hits) << "a different query must miss";
  }
  const auto q = query(5, "www.example.com.", type::A, true);
  EXPECT_EQ(a.ask(q, true), fresh(db, q, true));
  EXPECT_EQ(a.cache.hits(), 0u);
}

TEST(AnswerCache, NewVersionIsNeverAnsweredFromTheOldOne) {
  Database db;
  db.load(records(kZone));
  CachedAnswerer a{db};
  const auto q = query(9, "www.example.com.", type::A, true);
  a.ask(q);
  a.ask(q);
  ASSERT_EQ(a.cache.hits(), 1u);
  const std::vector<Record> change = records("www 300 A 192.0.2.2\n");
  db.apply(std::vector<Change>{Change{Change::Add, change.at(0)}});
  const auto after = a.ask(q);
  EXPECT_EQ(a.cache.hits(), 1u);
  EXPECT_EQ(after, fresh(db, q));
  EXPECT_EQ(decode_message(after).answer.size(), 2u);
}

TEST(AnswerCache, TooLargeOrTooShortIsNotCached) {
  Database db;
  db.load(records(kZone));
  AnswerCache cache(8);
  const auto q = query(1, "www.example.com.", type::A, false);
  std::vector<uint8_t> big(AnswerCache::kSlotBytes, 0);
  cache.store(db.current()->number(), q, false, big);
  std::vector<uint8_t> out(65535);
  EXPECT_EQ(cache.lookup(db.current()->number(), q, false, out), 0u);
  const std::vector<uint8_t> short_query(11, 0);
  cache.store(db.current()->number(), short_query, false, std::vector<uint8_t>(20, 1));
  EXPECT_EQ(cache.lookup(db.current()->number(), short_query, false, out), 0u);
}

// Many queries (names in and out of the zone, mixed case, types, EDNS, transports) through a
// small cache, so that slots are shared and evicted: every answer equals the uncached one.
RC_GTEST_PROP(AnswerCacheProperty, AlwaysEqualsTheAnswerLogic, ()) {
  Database db;
  db.load(records(kZone));
  CachedAnswerer a{db};
  const std::vector<std::string> names = {"www.example.com.", "WwW.Example.com.", "example.com.",
                                          "alias.example.com.", "x.wild.example.com.",
                                          "nope.example.com.", "www.example.org."};
  const std::vector<uint16_t> types = {type::A, type::AAAA, type::MX, type::NS, type::TXT,
                                       type::SOA, type::ANY};
  const auto picks = *rc::gen::container<std::vector<std::tuple<size_t, size_t, bool, bool>>>(
      rc::gen::tuple(rc::gen::inRange<size_t>(0, names.size()),
                     rc::gen::inRange<size_t>(0, types.size()), rc::gen::arbitrary<bool>(),
                     rc::gen::arbitrary<bool>()));
  uint16_t id = 0;
  for (const auto& [n, t, edns, tcp] : picks) {
    const auto q = query(++id, names[n], types[t], edns);
    RC_ASSERT(a.ask(q, tcp) == fresh(db, q, tcp));
  }
}

}  // namespace
}  // namespace dns
