// Tests of the versioned zone database: zones by SOA, changes, serials, name index, versions.
#include "dns/zone_db.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "dns/rdata.h"
#include "dns/types.h"
#include "dns/zone_parser.h"

namespace dns {
namespace {

std::vector<Record> zone_text(std::string_view text) {
  ZoneParseOptions opts;
  opts.origin = Name::from_text("example.com.");
  return parse_master_file(text, "test.zone", opts).records;
}

Record rec(std::string_view line) {
  return zone_text(line).at(0);
}

Change add(std::string_view line) {
  return Change{Change::Add, rec(line)};
}
Change del(std::string_view line) {
  return Change{Change::Remove, rec(line)};
}

constexpr std::string_view kZone = R"(
$ORIGIN example.com.
@        3600 IN SOA ns1 hostmaster 100 7200 900 1209600 300
@        3600 IN NS  ns1
ns1      3600 IN A   192.0.2.53
www       300 IN A   192.0.2.1
a.b.c     300 IN A   192.0.2.7
)";

std::string key(std::string_view text) {
  return name_key(Name::from_text(text));
}

uint32_t serial_of(const DatabaseVersion& v, std::string_view apex) {
  const Zone* z = v.find_zone(key(apex));
  EXPECT_NE(z, nullptr);
  return z ? soa_serial(z->soa()->rdatas[0]) : 0;
}

const ZoneNode* node(const DatabaseVersion& v, std::string_view name) {
  const Zone* z = v.find_zone(key(name));
  return z ? z->find(key(name)) : nullptr;
}

TEST(ZoneDb, EmptyDatabaseHasNoZones) {
  Database db;
  EXPECT_EQ(db.current()->number(), 0u);
  EXPECT_TRUE(db.current()->zones().empty());
  EXPECT_EQ(db.current()->find_zone(key("www.example.com.")), nullptr);
}

TEST(ZoneDb, LoadDefinesZonesBySoaAndFindsTheDeepest) {
  Database db;
  auto records = zone_text(kZone);
  auto sub = zone_text("sub 60 SOA ns1.sub hm.sub 1 2 3 4 5\nwww.sub 60 A 192.0.2.9\n");
  records.insert(records.end(), sub.begin(), sub.end());
  EXPECT_TRUE(db.load(records).empty());
  auto v = db.current();
  EXPECT_EQ(v->number(), 1u);
  ASSERT_EQ(v->zones().size(), 2u);
  EXPECT_EQ(v->find_zone(key("www.example.com."))->apex(), Name::from_text("example.com."));
  EXPECT_EQ(v->find_zone(key("WWW.SUB.example.com."))->apex(), Name::from_text("sub.example.com."));
  EXPECT_EQ(v->find_zone(key("example.org.")), nullptr);
  EXPECT_EQ(v->record_count(), records.size());
  EXPECT_NE(node(*v, "www.sub.example.com."), nullptr);
  // The child zone's data is not in the parent zone.
  EXPECT_EQ(v->find_zone(key("example.com."))->find(key("www.sub.example.com.")), nullptr);
}

TEST(ZoneDb, LoadWarnsAboutRecordsOutsideZonesAndKeepsThem) {
  Database db;
  auto records = zone_text(kZone);
  records.push_back(rec("www.example.org. 60 A 192.0.2.2"));
  auto warnings = db.load(records);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("www.example.org."), std::string::npos) << warnings[0];
  EXPECT_EQ(db.current()->find_zone(key("www.example.org.")), nullptr);
  EXPECT_EQ(db.current()->outside_zones().record_count(), 1u);
  EXPECT_EQ(db.all_records().size(), records.size());
}

TEST(ZoneDb, LoadWarnsAboutCnameBesideOtherData) {
  Database db;
  auto records = zone_text(kZone);
  records.push_back(rec("www 300 CNAME elsewhere.example.net."));
  auto warnings = db.load(records);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("CNAME beside other data"), std::string::npos) << warnings[0];
  // Both are kept: the answer logic decides.
  const ZoneNode* n = node(*db.current(), "www.example.com.");
  ASSERT_NE(n, nullptr);
  EXPECT_NE(n->find(type::A), nullptr);
  EXPECT_NE(n->find(type::CNAME), nullptr);
}

TEST(ZoneDb, LoadWarnsAboutASecondSoaAndKeepsTheFirst) {
  Database db;
  auto records = zone_text(kZone);
  records.push_back(rec("@ 60 SOA other hm 999 1 1 1 1"));
  auto warnings = db.load(records);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(serial_of(*db.current(), "example.com."), 100u);
}

TEST(ZoneDb, EmptyNonTerminalsAreIndexedAndRemovedWithTheirLastDescendant) {
  Database db;
  db.load(zone_text(kZone));
  auto v1 = db.current();
  const ZoneNode* b = node(*v1, "b.c.example.com.");
  ASSERT_NE(b, nullptr);
  EXPECT_FALSE(b->has_data());
  EXPECT_EQ(b->names_below, 1u);
  ASSERT_NE(node(*v1, "c.example.com."), nullptr);
  EXPECT_EQ(node(*v1, "x.c.example.com."), nullptr);

  Change changes[] = {del("a.b.c 300 A 192.0.2.7")};
  EXPECT_EQ(db.apply(changes).applied, 1u);
  auto v2 = db.current();
  EXPECT_EQ(node(*v2, "a.b.c.example.com."), nullptr);
  EXPECT_EQ(node(*v2, "b.c.example.com."), nullptr);
  EXPECT_EQ(node(*v2, "c.example.com."), nullptr);
  // The old version a reader may still hold is untouched.
  EXPECT_NE(node(*v1, "a.b.c.example.com."), nullptr);
  EXPECT_NE(node(*v1, "b.c.example.com."), nullptr);
}

TEST(ZoneDb, ApplyBumpsTheSerialOfEachTouchedZoneByExactlyOne) {
  Database db;
  auto records = zone_text(kZone);
  auto org = zone_text("$ORIGIN example.org.\n@ 60 SOA ns hm 7 1 1 1 1\n");
  records.insert(records.end(), org.begin(), org.end());
  db.load(records);
  Change changes[] = {add("new 60 A 192.0.2.10"), add("new 60 A 192.0.2.11"),
                      del("www 300 A 192.0.2.1")};
  ApplyResult r = db.apply(changes);
  EXPECT_EQ(r.applied, 3u);
  EXPECT_EQ(r.noops, 0u);
  EXPECT_EQ(serial_of(*db.current(), "example.com."), 101u);  // once per batch, not per change
  EXPECT_EQ(serial_of(*db.current(), "example.org."), 7u);    // untouched
  EXPECT_EQ(db.current()->number(), 2u);
}

TEST(ZoneDb, SerialWrapsAroundAt32Bits) {
  Database db;
  db.load(zone_text("@ 60 SOA ns hm 4294967295 1 1 1 1\n"));
  Change changes[] = {add("x 60 A 192.0.2.1")};
  db.apply(changes);
  EXPECT_EQ(serial_of(*db.current(), "example.com."), 0u);
}

TEST(ZoneDb, AddOfExistingAndRemoveOfMissingAreNoops) {
  Database db;
  db.load(zone_text(kZone));
  Change changes[] = {add("WWW 300 A 192.0.2.1"), del("www 300 A 192.0.2.99"),
                      del("nothere 300 A 192.0.2.1"), del("www 300 AAAA 2001:db8::1")};
  ApplyResult r = db.apply(changes);
  EXPECT_EQ(r.applied, 0u);
  EXPECT_EQ(r.noops, 4u);
  EXPECT_EQ(db.current()->number(), 1u);  // nothing changed: no new version, no serial bump
  EXPECT_EQ(serial_of(*db.current(), "example.com."), 100u);
}

TEST(ZoneDb, AddWithANewTtlUpdatesTheRRsetTtl) {
  Database db;
  db.load(zone_text(kZone));
  Change changes[] = {add("www 60 A 192.0.2.2")};
  EXPECT_EQ(db.apply(changes).applied, 1u);
  const RRset* a = node(*db.current(), "www.example.com.")->find(type::A);
  EXPECT_EQ(a->ttl, 60u);
  EXPECT_EQ(a->rdatas.size(), 2u);
}

TEST(ZoneDb, RemoveMatchesEmbeddedNamesCaseInsensitively) {
  Database db;
  db.load(zone_text(kZone));
  Change changes[] = {del("@ 3600 NS NS1.EXAMPLE.COM.")};
  EXPECT_EQ(db.apply(changes).applied, 1u);
  EXPECT_EQ(node(*db.current(), "example.com.")->find(type::NS), nullptr);
}

TEST(ZoneDb, AddingASoaReplacesTheSoaAndKeepsItsSerial) {
  Database db;
  db.load(zone_text(kZone));
  Change changes[] = {add("@ 3600 SOA ns1 hostmaster 500 7200 900 1209600 60")};
  EXPECT_EQ(db.apply(changes).applied, 1u);
  const RRset* soa = db.current()->find_zone(key("example.com."))->soa();
  ASSERT_EQ(soa->rdatas.size(), 1u);
  EXPECT_EQ(soa_serial(soa->rdatas[0]), 500u);
  EXPECT_EQ(soa_minimum(soa->rdatas[0]), 60u);
}

TEST(ZoneDb, AddingASoaBelowAZoneCreatesAZoneThatAdoptsItsRecords) {
  Database db;
  db.load(zone_text(kZone));
  Change changes[] = {add("c 60 SOA ns hm 1 1 1 1 1"), add("d.c 60 A 192.0.2.8")};
  EXPECT_EQ(db.apply(changes).applied, 2u);
  auto v = db.current();
  ASSERT_EQ(v->zones().size(), 2u);
  const Zone* c = v->find_zone(key("a.b.c.example.com."));
  EXPECT_EQ(c->apex(), Name::from_text("c.example.com."));
  EXPECT_NE(c->find(key("a.b.c.example.com.")), nullptr);
  EXPECT_NE(c->find(key("d.c.example.com.")), nullptr);
  EXPECT_EQ(soa_serial(c->soa()->rdatas[0]), 1u);  // set explicitly in this batch
  const Zone* parent = v->find_zone(key("example.com."));
  EXPECT_EQ(parent->find(key("a.b.c.example.com.")), nullptr);
  EXPECT_EQ(parent->find(key("c.example.com.")), nullptr);
  EXPECT_EQ(serial_of(*v, "example.com."), 101u);  // lost records: changed
  EXPECT_EQ(v->record_count(), zone_text(kZone).size() + 2);
}

TEST(ZoneDb, RecordsAddedBeforeTheirSoaAreServedOnceItArrives) {
  Database db;
  Change first[] = {add("www 60 A 192.0.2.1")};
  db.apply(first);
  EXPECT_EQ(db.current()->find_zone(key("www.example.com.")), nullptr);
  EXPECT_EQ(db.all_records().size(), 1u);
  Change second[] = {add("@ 60 SOA ns hm 1 1 1 1 1")};
  db.apply(second);
  EXPECT_NE(node(*db.current(), "www.example.com."), nullptr);
  EXPECT_EQ(db.current()->outside_zones().record_count(), 0u);
}

TEST(ZoneDb, RemovingTheSoaDeletesTheZoneButKeepsItsRecords) {
  Database db;
  db.load(zone_text(kZone));
  // The serial has moved on since the SOA was written; the removal still matches.
  Change bump[] = {add("x 60 A 192.0.2.1")};
  db.apply(bump);
  Change stale_fields[] = {del("@ 3600 SOA ns1 hostmaster 100 7200 900 1209600 301")};
  EXPECT_EQ(db.apply(stale_fields).noops, 1u);
  Change changes[] = {del("@ 3600 SOA ns1 hostmaster 100 7200 900 1209600 300")};
  EXPECT_EQ(db.apply(changes).applied, 1u);
  EXPECT_TRUE(db.current()->zones().empty());
  EXPECT_EQ(db.all_records().size(), zone_text(kZone).size());  // all but the SOA, plus x
}

TEST(ZoneDb, NonInClassAndMalformedRecordsAreNoops) {
  Database db;
  db.load(zone_text(kZone));
  Record chaos = rec("www 60 A 192.0.2.1");
  chaos.rclass = rclass::CH;
  Record broken = rec("www 60 A 192.0.2.1");
  broken.rdata.pop_back();
  Change changes[] = {{Change::Add, chaos}, {Change::Add, broken}};
  EXPECT_EQ(db.apply(changes).noops, 2u);
}

TEST(ZoneDb, AllRecordsRoundTripsThroughLoad) {
  Database db;
  db.load(zone_text(kZone));
  Change changes[] = {add("mail 60 MX 10 www"), add("txt 60 TXT \"a b\" c")};
  db.apply(changes);
  auto all = db.all_records();
  Database copy;
  EXPECT_TRUE(copy.load(all).empty());
  EXPECT_EQ(copy.all_records(), all);
}

TEST(ZoneDb, ReaderRefreshesOnlyWhenANewVersionIsPublished) {
  Database db;
  db.load(zone_text(kZone));
  DatabaseReader reader(db);
  const DatabaseVersion* first = &reader.get();
  EXPECT_EQ(&reader.get(), first);
  Change changes[] = {add("x 60 A 192.0.2.1")};
  db.apply(changes);
  EXPECT_NE(&reader.get(), first);
  EXPECT_EQ(reader.get().number(), 2u);
}

TEST(ZoneDb, ManyNamesSurviveInsertAndRemoveInTheHashTrie) {
  auto name = [](int i) { return fmt::format("h{}.n{}", i, i % 7); };
  Database db;
  std::vector<Record> records = zone_text(kZone);
  for (int i = 0; i < 20000; ++i) records.push_back(rec(name(i) + " 60 A 192.0.2.1"));
  db.load(records);
  std::vector<Change> removals;
  for (int i = 0; i < 20000; i += 2) removals.push_back(del(name(i) + " 60 A 192.0.2.1"));
  EXPECT_EQ(db.apply(removals).applied, 10000u);
  auto v = db.current();
  for (int i = 0; i < 20000; ++i)
    EXPECT_EQ(node(*v, name(i) + ".example.com.") != nullptr, i % 2 == 1) << name(i);
  EXPECT_EQ(v->record_count(), zone_text(kZone).size() + 10000);
}

// Hash collisions and near-collisions, forced with made-up hashes: full collisions go to the
// bucket at the deepest level; erasing collapses branches back to single nodes.
TEST(NodeMap, CollidingAndNearCollidingHashesAreKeptApart) {
  auto make = [](std::string_view key, uint64_t hash) { return ZoneNode::create(key, key, hash); };
  const uint64_t h = 0x0123456789abcdefULL;
  NodeMap map;
  map.put(make("a", h), 1);
  map.put(make("b", h), 1);                 // same hash: collision bucket
  map.put(make("c", h ^ (1ULL << 63)), 1);  // differs only in the last bits used
  map.put(make("d", h ^ 1), 1);             // differs at the first level
  EXPECT_EQ(map.size(), 4u);
  NodeMap before = map;      // a published version
  map.put(make("b", h), 2);  // replace, not add
  EXPECT_EQ(map.size(), 4u);
  for (auto [key, hash] : {std::pair{"a", h}, {"b", h}, {"c", h ^ (1ULL << 63)}, {"d", h ^ 1}}) {
    ASSERT_NE(map.find(key, hash), nullptr) << key;
    EXPECT_EQ(map.find(key, hash)->key(), key);
  }
  EXPECT_EQ(map.find("e", h), nullptr);
  EXPECT_EQ(map.find("a", h ^ 2), nullptr);
  map.erase("a", h, 3);
  map.erase("a", h, 3);  // already gone
  map.erase("c", h ^ (1ULL << 63), 3);
  EXPECT_EQ(map.size(), 2u);
  EXPECT_EQ(map.find("a", h), nullptr);
  EXPECT_NE(map.find("b", h), nullptr);
  EXPECT_NE(map.find("d", h ^ 1), nullptr);
  map.erase("b", h, 3);
  map.erase("d", h ^ 1, 3);
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(map.find("d", h ^ 1), nullptr);
  // The earlier version still has everything.
  EXPECT_EQ(before.size(), 4u);
  EXPECT_NE(before.find("a", h), nullptr);
  EXPECT_NE(before.find("c", h ^ (1ULL << 63)), nullptr);
  size_t visited = 0;
  before.for_each([&](const ZoneNode&) { ++visited; });
  EXPECT_EQ(visited, 4u);
}

// Model check: a random sequence of batches against a plain set of records, checking record
// sets, which names exist (data or descendants), and that every older version is unchanged.
// A batch applied in parts (an import by copy served a slice at a time) ends as apply() of the
// whole: the same records and one serial bump per zone touched, none where the batch set the SOA.
TEST(ZoneDb, ABatchAppliedInPartsEqualsItAppliedWhole) {
  std::vector<Change> batch;
  batch.push_back(
      add("new.example. 300 IN SOA ns.new.example. admin.new.example. 7 3600 600 "
          "86400 300"));
  for (int i = 0; i < 40; ++i) {
    batch.push_back(add(fmt::format("h{}.new.example. 300 IN A 192.0.2.{}", i, i + 1)));
    batch.push_back(add(fmt::format("h{}.example.com. 300 IN A 198.51.100.{}", i, i + 1)));
  }
  batch.push_back(del("www.example.com. 300 IN A 192.0.2.1"));
  batch.push_back(add("www.example.com. 300 IN A 192.0.2.1"));
  Database whole, parts;
  whole.load(zone_text(kZone));
  parts.load(zone_text(kZone));
  const ApplyResult want = whole.apply(batch);
  parts.begin_batch();
  Database::PartialApply partial;
  for (std::size_t at = 0; at < batch.size(); at += 7)
    parts.apply_part(
        std::span<const Change>(batch).subspan(at, std::min<std::size_t>(7, batch.size() - at)),
        partial);
  // Nothing is shown before the batch is published.
  EXPECT_EQ(parts.current()->find_zone(key("new.example.")), nullptr);
  parts.finish_parts(partial);
  parts.publish_batch();
  EXPECT_EQ(partial.result.applied, want.applied);
  EXPECT_EQ(partial.result.noops, want.noops);
  auto sorted = [](std::vector<Record> rs) {
    std::vector<std::string> out;
    for (const Record& r : rs) out.push_back(to_text(r));
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(sorted(parts.all_records()), sorted(whole.all_records()));
  EXPECT_EQ(serial_of(*parts.current(), "example.com."), 101u);
  EXPECT_EQ(serial_of(*parts.current(), "new.example."), 7u);
}

RC_GTEST_PROP(ZoneDbProperty, MatchesASetModelAcrossVersions, ()) {
  const std::vector<std::string> names = {"@", "a", "b.a", "c.b.a", "x", "y.x", "*.x", "z.y.x"};
  const std::vector<std::string> addresses = {"192.0.2.1", "192.0.2.2"};
  Database db;
  db.load(zone_text("@ 60 SOA ns hm 1 1 1 1 1\n"));
  using Key = std::pair<std::string, std::string>;  // owner key, address
  std::set<Key> model;
  std::vector<std::pair<std::shared_ptr<const DatabaseVersion>, std::set<Key>>> history;
  const int batches = *rc::gen::inRange(1, 8);
  for (int b = 0; b < batches; ++b) {
    const auto picks = *rc::gen::container<std::vector<std::tuple<bool, size_t, size_t>>>(
        rc::gen::tuple(rc::gen::arbitrary<bool>(), rc::gen::inRange<size_t>(0, names.size()),
                       rc::gen::inRange<size_t>(0, addresses.size())));
    std::vector<Change> changes;
    size_t expect_applied = 0;
    for (auto [is_add, n, a] : picks) {
      Record r = rec(names[n] + " 60 A " + addresses[a]);
      const Key k{name_key(r.owner), addresses[a]};
      const bool present = model.contains(k);
      if (is_add != present) ++expect_applied;
      if (is_add)
        model.insert(k);
      else
        model.erase(k);
      changes.push_back(Change{is_add ? Change::Add : Change::Remove, r});
    }
    const ApplyResult r = db.apply(changes);
    RC_ASSERT(r.applied == expect_applied);
    RC_ASSERT(r.applied + r.noops == changes.size());
    history.emplace_back(db.current(), model);
  }
  for (const auto& [version, expected] : history) {
    const Zone* z = version->find_zone(key("example.com."));
    RC_ASSERT(z != nullptr);
    RC_ASSERT(z->record_count() == expected.size() + 1);  // + SOA
    for (const std::string& n : names) {
      const std::string k = name_key(Name::from_text(n, Name::from_text("example.com.")));
      bool exists = k == z->apex_key();
      size_t count = 0;
      for (const auto& [owner, addr] : expected) {
        if (owner == k) ++count;
        // owner at or below k: k is a suffix at a label boundary
        if (owner.size() >= k.size() && owner.ends_with(k)) exists = true;
      }
      const ZoneNode* node = z->find(k);
      RC_ASSERT((node != nullptr) == exists);
      const RRset* a = node ? node->find(type::A) : nullptr;
      RC_ASSERT((a ? a->rdatas.size() : 0u) == count);
    }
  }
}

}  // namespace
}  // namespace dns
