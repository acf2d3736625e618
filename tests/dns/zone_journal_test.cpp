// Tests of the IXFR journal's pure parts: what diff_versions() makes of a batch (and diff_from()
// inside one Database batch of many applies), the per-zone bound, the serial chain between()
// walks (and when it gives up, for the AXFR fallback), and the RFC 1995 record order.
#include "dns/zone_journal.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "dns/types.h"
#include "dns/zone.h"
#include "dns/zone_diff.h"
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

constexpr std::string_view kZone = R"($ORIGIN example.com.
@    300 IN SOA ns1 hostmaster 10 7200 900 1209600 300
@    300 IN NS  ns1
ns1  300 IN A   192.0.2.1
www  300 IN A   192.0.2.10
www  300 IN A   192.0.2.11
)";

constexpr size_t kNoLimit = size_t{1} << 40;

// Applies `changes` and returns what diff_versions() makes of them.
VersionDiff apply(Database& db, std::vector<Change> changes, size_t max_bytes = kNoLimit) {
  auto before = db.current();
  db.apply(changes);
  return diff_versions(*before, *db.current(), changes, max_bytes);
}

std::vector<std::string> texts(const std::vector<Record>& records) {
  std::vector<std::string> out;
  for (const Record& r : records) out.push_back(to_text(r));
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ZoneDiff, AddsAndRemovesWithTheSerialStep) {
  Database db;
  db.load(zone_text(kZone));
  const VersionDiff vd = apply(db, {{Change::Remove, rec("www 300 IN A 192.0.2.10")},
                                    {Change::Add, rec("mail 300 IN A 192.0.2.25")},
                                    {Change::Add, rec("www 300 IN A 192.0.2.11")}});  // a no-op
  ASSERT_EQ(vd.diffs.size(), 1u);
  EXPECT_TRUE(vd.reset.empty());
  const ZoneDiff& d = vd.diffs[0];
  EXPECT_EQ(d.apex, Name::from_text("example.com."));
  EXPECT_EQ(d.from(), 10u);
  EXPECT_EQ(d.to(), 11u);
  EXPECT_EQ(texts(d.removed), texts({rec("www 300 IN A 192.0.2.10")}));
  EXPECT_EQ(texts(d.added), texts({rec("mail 300 IN A 192.0.2.25")}));
}

TEST(ZoneDiff, ANewTtlReplacesTheWholeRRset) {
  Database db;
  db.load(zone_text(kZone));
  const VersionDiff vd = apply(db, {{Change::Add, rec("www 60 IN A 192.0.2.12")}});
  ASSERT_EQ(vd.diffs.size(), 1u);
  EXPECT_EQ(vd.diffs[0].removed.size(), 2u);
  EXPECT_EQ(texts(vd.diffs[0].added),
            texts({rec("www 60 IN A 192.0.2.10"), rec("www 60 IN A 192.0.2.11"),
                   rec("www 60 IN A 192.0.2.12")}));
}

TEST(ZoneDiff, NothingChangedIsNoDiff) {
  Database db;
  db.load(zone_text(kZone));
  const VersionDiff vd = apply(db, {{Change::Add, rec("www 300 IN A 192.0.2.10")}});
  EXPECT_TRUE(vd.diffs.empty());
  EXPECT_TRUE(vd.reset.empty());
}

TEST(ZoneDiff, ANewZoneBelowResetsBothZones) {
  Database db;
  db.load(zone_text(kZone));
  const VersionDiff vd =
      apply(db, {{Change::Add, rec("www 300 IN SOA ns1 hostmaster 1 7200 900 1209600 300")}});
  EXPECT_TRUE(vd.diffs.empty());
  std::vector<std::string> reset;
  for (const Name& n : vd.reset) reset.push_back(n.to_text());
  std::sort(reset.begin(), reset.end());
  EXPECT_EQ(reset, (std::vector<std::string>{"example.com.", "www.example.com."}));
}

TEST(ZoneDiff, ABatchOverTheByteBoundResetsInsteadOfDiffing) {
  Database db;
  db.load(zone_text(kZone));
  const VersionDiff vd = apply(db, {{Change::Add, rec("big 300 IN A 192.0.2.99")}}, 10);
  EXPECT_TRUE(vd.diffs.empty());
  ASSERT_EQ(vd.reset.size(), 1u);
}

TEST(ZoneDiff, AnExplicitNewSoaIsTheDiffsHeader) {
  Database db;
  db.load(zone_text(kZone));
  const VersionDiff vd =
      apply(db, {{Change::Add, rec("@ 300 IN SOA ns1 hostmaster 500 7200 900 1209600 300")}});
  ASSERT_EQ(vd.diffs.size(), 1u);
  EXPECT_EQ(vd.diffs[0].from(), 10u);
  EXPECT_EQ(vd.diffs[0].to(), 500u);
  EXPECT_TRUE(vd.diffs[0].added.empty());
}

std::vector<std::string> texts(const std::vector<Name>& names) {
  std::vector<std::string> out;
  for (const Name& n : names) out.push_back(n.to_text());
  return out;
}

TEST(TouchedZones, EachZoneOnceAndNothingOutsideAZone) {
  Database db;
  db.load(zone_text(kZone));
  std::vector<Change> changes = {{Change::Add, rec("a 300 IN A 192.0.2.1")},
                                 {Change::Add, rec("b 300 IN A 192.0.2.2")},
                                 {Change::Remove, rec("www 300 IN A 192.0.2.10")},
                                 {Change::Add, rec("other.org. 300 IN A 192.0.2.3")}};
  Record chaos = rec("c 300 IN A 192.0.2.4");
  chaos.rclass = rclass::CH;
  changes.push_back({Change::Add, chaos});
  db.apply(changes);
  EXPECT_EQ(texts(touched_zones(*db.current(), changes)),
            (std::vector<std::string>{"example.com."}));
  EXPECT_TRUE(touched_zones(*db.current(), {}).empty());
}

TEST(TouchedZones, ANewApexTouchesTheZoneAroundItToo) {
  Database db;
  db.load(zone_text(kZone));
  const std::vector<Change> changes = {
      {Change::Add, rec("sub 300 IN SOA ns1 hostmaster 1 7200 900 1209600 300")},
      {Change::Add, rec("x.sub 300 IN A 192.0.2.5")}};
  db.apply(changes);
  EXPECT_EQ(texts(touched_zones(*db.current(), changes)),
            (std::vector<std::string>{"sub.example.com.", "example.com."}));
}

TEST(ZoneJournal, HoldsAZoneUntilItIsReset) {
  Database db;
  db.load(zone_text(kZone));
  ZoneJournal j;
  EXPECT_FALSE(j.holds(Name::from_text("example.com.")));
  VersionDiff vd = apply(db, {{Change::Add, rec("h 300 IN A 192.0.2.7")}});
  j.add(std::make_shared<const ZoneDiff>(vd.diffs.at(0)));
  EXPECT_TRUE(j.holds(Name::from_text("EXAMPLE.com.")));
  EXPECT_FALSE(j.holds(Name::from_text("other.org.")));
  j.reset(Name::from_text("example.com."));
  EXPECT_FALSE(j.holds(Name::from_text("example.com.")));
}

// A journal filled by `n` single-record changes of example.com (serials 10 -> 10 + n).
std::unique_ptr<ZoneJournal> filled(int n, JournalLimits limits = {}) {
  Database db;
  db.load(zone_text(kZone));
  auto j = std::make_unique<ZoneJournal>(limits);
  for (int i = 0; i < n; ++i) {
    VersionDiff vd =
        apply(db, {{Change::Add, rec("h" + std::to_string(i) + " 300 IN A 192.0.2.7")}});
    for (ZoneDiff& d : vd.diffs) j->add(std::make_shared<const ZoneDiff>(std::move(d)));
  }
  return j;
}

const Name kApex = Name::from_text("example.com.");

TEST(ZoneJournal, BetweenWalksTheChain) {
  const auto j = filled(5);
  auto diffs = j->between(kApex, 12, 15);
  ASSERT_TRUE(diffs);
  ASSERT_EQ(diffs->size(), 3u);
  EXPECT_EQ((*diffs)[0]->from(), 12u);
  EXPECT_EQ((*diffs)[2]->to(), 15u);
  EXPECT_FALSE(j->between(kApex, 9, 15));   // older than the journal: AXFR fallback
  EXPECT_FALSE(j->between(kApex, 12, 16));  // newer than the journal (not yet recorded)
  EXPECT_FALSE(j->between(Name::from_text("other.org."), 12, 15));
}

TEST(ZoneJournal, KeepsAtMostMaxDiffsPerZone) {
  const auto j = filled(20, JournalLimits{.max_diffs = 5, .max_bytes = kNoLimit});
  EXPECT_EQ(j->diffs(), 5u);
  EXPECT_TRUE(j->between(kApex, 25, 30));
  EXPECT_FALSE(j->between(kApex, 24, 30));
}

TEST(ZoneJournal, KeepsAtMostMaxBytesPerZone) {
  const auto unbounded = filled(20);
  size_t last_four = 0;
  const auto newest = unbounded->between(kApex, 26, 30);
  ASSERT_TRUE(newest);
  for (const auto& d : *newest) last_four += d->bytes();
  const auto j = filled(20, JournalLimits{.max_diffs = 1000, .max_bytes = last_four});
  EXPECT_LE(j->bytes(), last_four);
  EXPECT_EQ(j->diffs(), 4u);
  EXPECT_TRUE(j->between(kApex, 26, 30));
}

TEST(ZoneJournal, ADiffThatDoesNotContinueStartsAfresh) {
  auto j = filled(3);  // 10 -> 13
  ZoneDiff d;
  d.apex = kApex;
  d.old_soa = rec("@ 300 IN SOA ns1 hostmaster 40 7200 900 1209600 300");
  d.new_soa = rec("@ 300 IN SOA ns1 hostmaster 41 7200 900 1209600 300");
  j->add(std::make_shared<const ZoneDiff>(d));
  EXPECT_EQ(j->diffs(), 1u);
  EXPECT_FALSE(j->between(kApex, 10, 13));
  EXPECT_TRUE(j->between(kApex, 40, 41));
  j->reset(kApex);
  EXPECT_EQ(j->diffs(), 0u);
}

TEST(ZoneJournal, IxfrRecordsInRfc1995Order) {
  Database db;
  db.load(zone_text(kZone));
  ZoneJournal j;
  for (auto& d : apply(db, {{Change::Remove, rec("www 300 IN A 192.0.2.10")}}).diffs)
    j.add(std::make_shared<const ZoneDiff>(d));
  for (auto& d : apply(db, {{Change::Add, rec("x 300 IN A 192.0.2.3")}}).diffs)
    j.add(std::make_shared<const ZoneDiff>(d));
  const Record current = rec("@ 300 IN SOA ns1 hostmaster 12 7200 900 1209600 300");
  const std::vector<Record> got = ixfr_records(*j.between(kApex, 10, 12), current);
  std::vector<std::string> lines;
  for (const Record& r : got)
    lines.push_back(r.type == type::SOA ? "SOA " + std::to_string(soa_serial(r.rdata))
                                        : to_text(r));
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "SOA 12", "SOA 10", to_text(rec("www 300 IN A 192.0.2.10")), "SOA 11",
                       "SOA 11", "SOA 12", to_text(rec("x 300 IN A 192.0.2.3")), "SOA 12"}));
}

}  // namespace
}  // namespace dns

namespace dns {
namespace {

// A burst of batches applied inside one Database batch (begin_batch, diff_base and diff_from on
// latest(), publish_batch: what the engine's apply loop does) gives the same records, serials
// and per-batch IXFR diffs as publishing a version per batch, and readers see none of it before
// publish_batch(). The changes create and delete a child zone too, so some diffs are resets.
RC_GTEST_PROP(ZoneDiffProperty, OneBatchOfAppliesMatchesAVersionPerApply, ()) {
  const std::vector<std::string> lines = {"a 60 A 192.0.2.1",
                                          "a 60 A 192.0.2.2",
                                          "a 120 A 192.0.2.1",
                                          "b.a 60 A 192.0.2.1",
                                          "x.sub 60 A 192.0.2.9",
                                          "sub 60 A 192.0.2.8",
                                          "www 300 A 192.0.2.10",
                                          "sub 60 SOA ns hm 1 1 1 1 1",
                                          "@ 300 SOA ns1 hostmaster 77 7200 900 1209600 300"};
  Database one_by_one, batched;
  one_by_one.load(zone_text(kZone));
  batched.load(zone_text(kZone));
  const auto published = batched.current();
  const std::vector<Record> records_before = batched.all_records();
  const std::size_t max_bytes = *rc::gen::element(kNoLimit, std::size_t{200});
  const int batches = *rc::gen::inRange(1, 10);
  batched.begin_batch();
  for (int b = 0; b < batches; ++b) {
    const auto picks = *rc::gen::container<std::vector<std::pair<bool, std::size_t>>>(
        rc::gen::pair(rc::gen::arbitrary<bool>(), rc::gen::inRange<std::size_t>(0, lines.size())));
    std::vector<Change> changes;
    for (auto [is_add, n] : picks)
      changes.push_back(Change{is_add ? Change::Add : Change::Remove, rec(lines[n])});
    const VersionDiff expected = apply(one_by_one, changes, max_bytes);
    const DiffBase base = diff_base(*batched.latest(), changes);
    batched.apply(changes);
    const VersionDiff got = diff_from(base, *batched.latest(), changes, max_bytes);
    RC_ASSERT(got.diffs == expected.diffs);
    RC_ASSERT(got.reset == expected.reset);
    RC_ASSERT(batched.current() == published);  // nothing published yet
  }
  RC_ASSERT(batched.all_records() == records_before);
  batched.publish_batch();
  RC_ASSERT(batched.all_records() == one_by_one.all_records());
  RC_ASSERT(published->record_count() == records_before.size());  // the old version is intact
}

}  // namespace
}  // namespace dns
