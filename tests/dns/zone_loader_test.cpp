// Tests of building the database from batches (Database::Loader, which load() uses too) and of
// parsing a zone file into batches (parse_zone_batches): both must give exactly what the
// two-pass load (load_streamed) and the whole-file parse give.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dns/rdata.h"
#include "dns/types.h"
#include "dns/zone_db.h"
#include "dns/zone_parser.h"

namespace dns {
namespace {

Record rec(std::string_view line) {
  ZoneParseOptions opts;
  opts.origin = Name::from_text("example.com.");
  return parse_master_file(line, "test.zone", opts).records.at(0);
}

// Every zone (apex, then its records as sorted text), then the records outside every zone.
std::vector<std::string> contents(const Database& db) {
  std::vector<std::string> out;
  auto list = [&](const Zone& zone, const std::string& title) {
    out.push_back(title);
    std::vector<Record> records;
    zone.append_records(records);
    std::vector<std::string> lines;
    for (const Record& r : records) lines.push_back(to_text(r));
    std::sort(lines.begin(), lines.end());
    out.insert(out.end(), lines.begin(), lines.end());
  };
  const auto version = db.current();
  for (const auto& zone : version->zones()) list(*zone, "zone " + zone->apex().to_text());
  list(version->outside_zones(), "outside");
  return out;
}

std::vector<RecordBatch> split(const std::vector<Record>& records, std::vector<size_t> sizes) {
  std::vector<RecordBatch> batches;
  size_t at = 0;
  for (size_t size : sizes) {
    const size_t end = std::min(records.size(), at + size);
    batches.push_back(
        std::make_shared<const std::vector<Record>>(records.begin() + at, records.begin() + end));
    at = end;
  }
  if (at < records.size())
    batches.push_back(
        std::make_shared<const std::vector<Record>>(records.begin() + at, records.end()));
  return batches;
}

// load_streamed(): load()'s two passes over the records, with no batches and no prefetching.
std::vector<std::string> load_in_two_passes(Database& db, const std::vector<Record>& records) {
  return db.load_streamed([&](const Database::RecordVisitor& visit) {
    for (const Record& r : records) visit(r);
  });
}

// Loads `records` both ways and expects the same zones, records, warnings and version number.
void expect_same_as_load(const std::vector<Record>& records, std::vector<size_t> batch_sizes) {
  Database whole;
  const std::vector<std::string> whole_warnings = load_in_two_passes(whole, records);
  Database batched;
  Database::Loader loader(batched);
  for (RecordBatch& batch : split(records, std::move(batch_sizes))) loader.add(std::move(batch));
  const std::vector<std::string> batched_warnings = loader.finish();
  EXPECT_EQ(batched_warnings, whole_warnings);
  EXPECT_EQ(contents(batched), contents(whole));
  EXPECT_EQ(batched.current()->number(), whole.current()->number());
}

const std::vector<Record> kZoneFirst = {
    rec("@ 3600 SOA ns1 hostmaster 1 7200 900 1209600 300"),
    rec("@ 3600 NS ns1"),
    rec("ns1 3600 A 192.0.2.53"),
    rec("www 300 A 192.0.2.1"),
    rec("sub 3600 SOA ns1 hostmaster 7 7200 900 1209600 300"),
    rec("a.sub 300 A 192.0.2.9"),
    rec("alias 300 CNAME www"),
    rec("alias 300 TXT \"beside\""),
    rec("www.example.org. 60 A 192.0.2.2"),
    rec("@ 60 SOA other hm 999 1 1 1 1"),
};

TEST(ZoneLoader, SoaFirstFileInAnyBatchingIsWhatLoadBuilds) {
  for (size_t size : {1u, 2u, 3u, 100u}) {
    SCOPED_TRACE(size);
    expect_same_as_load(kZoneFirst, std::vector<size_t>(20, size));
  }
}

TEST(ZoneLoader, AnSoaAfterRecordsOfItsZoneMovesThemThere) {
  // The subzone's record comes first and would sit in example.com. without its SOA.
  const std::vector<Record> records = {
      rec("@ 3600 SOA ns1 hostmaster 1 7200 900 1209600 300"),
      rec("a.sub 300 A 192.0.2.9"),
      rec("www 300 A 192.0.2.1"),
      rec("sub 3600 SOA ns1 hostmaster 7 7200 900 1209600 300"),
      rec("other.test. 300 A 192.0.2.3"),
      rec("test. 3600 SOA ns1 hostmaster 3 7200 900 1209600 300"),
  };
  expect_same_as_load(records, {1, 1, 1, 1, 1, 1});
  expect_same_as_load(records, {6});
  Database db;
  Database::Loader loader(db);
  loader.add(std::make_shared<const std::vector<Record>>(records));
  EXPECT_TRUE(loader.finish().empty());
  const Zone* sub = db.current()->find_zone(name_key(Name::from_text("a.sub.example.com.")));
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(sub->apex(), Name::from_text("sub.example.com."));
  EXPECT_EQ(db.current()->outside_zones().record_count(), 0u);
}

TEST(ZoneLoader, NothingIsPublishedBeforeFinish) {
  Database db;
  db.load({rec("@ 3600 SOA ns1 hostmaster 1 7200 900 1209600 300")});
  const uint64_t before = db.current()->number();
  {
    Database::Loader loader(db);
    loader.add(std::make_shared<const std::vector<Record>>(kZoneFirst));
  }  // abandoned, as when the parse of a later file fails
  EXPECT_EQ(db.current()->number(), before);
  EXPECT_EQ(db.current()->record_count(), 1u);
}

// Records under a few apexes that nest (example.com, sub.example.com, outside either), in any
// order: SOAs may come before or after the records they take, twice, or not at all.
Record random_record() {
  static const std::vector<std::string> kOwners = {
      "example.com.",       "www.example.com.", "sub.example.com.", "x.sub.example.com.",
      "ALIAS.example.com.", "example.org.",     "y.example.org.",   "alias.example.com."};
  const std::string owner = *rc::gen::elementOf(kOwners);
  switch (*rc::gen::inRange(0, 7)) {
    case 0:
      return rec(owner + " 3600 SOA ns1 hm " + std::to_string(*rc::gen::inRange(1, 4)) +
                 " 1 1 1 1");
    case 1:
      return rec(owner + " 300 CNAME www.example.com.");
    case 2: {
      Record r = rec(owner + " 300 A 192.0.2.1");
      r.rclass = rclass::CH;
      return r;
    }
    case 3: {
      Record r = rec(owner + " 300 A 192.0.2.1");
      r.rdata.pop_back();  // malformed
      return r;
    }
    case 4:
      return rec(owner + " 300 TXT \"t" + std::to_string(*rc::gen::inRange(0, 3)) + "\"");
    default:
      return rec(owner + " 300 A 192.0.2." + std::to_string(*rc::gen::inRange(1, 5)));
  }
}

RC_GTEST_PROP(ZoneLoader, AnyRecordsInAnyBatchesBuildWhatLoadBuilds, ()) {
  std::vector<Record> records;
  const int n = *rc::gen::inRange(0, 30);
  for (int i = 0; i < n; ++i) records.push_back(random_record());
  std::vector<size_t> sizes;
  for (int i = *rc::gen::inRange(0, 6); i > 0; --i) sizes.push_back(*rc::gen::inRange(0, 8));
  Database whole;
  const std::vector<std::string> whole_warnings = load_in_two_passes(whole, records);
  Database batched;
  Database::Loader loader(batched);
  for (RecordBatch& batch : split(records, sizes)) loader.add(std::move(batch));
  RC_ASSERT(loader.finish() == whole_warnings);
  RC_ASSERT(contents(batched) == contents(whole));
}

TEST(ZonePrefetch, IsOnlyAHint) {
  Zone zone(Name::from_text("example.com."));
  std::vector<uint64_t> hashes;
  for (int i = 0; i < 40; ++i) hashes.push_back(name_key_hash(std::to_string(i)));
  zone.prefetch(hashes);  // an empty trie, more hashes than it walks
  for (int i = 0; i < 2000; ++i) zone.add(rec("h" + std::to_string(i) + " 300 A 192.0.2.1"), 1);
  for (int i = 0; i < 2000; i += 8) {
    std::vector<uint64_t> some;
    for (int k = i; k < i + 8; ++k)
      some.push_back(
          name_key_hash(name_key(Name::from_text("h" + std::to_string(k) + ".example.com."))));
    zone.prefetch(some);
  }
  zone.prefetch({});
  EXPECT_EQ(zone.record_count(), 2000u);
  EXPECT_NE(zone.find(name_key(Name::from_text("h1999.example.com."))), nullptr);
}

constexpr std::string_view kMasterFile = R"($ORIGIN example.com.
$TTL 300
@       IN SOA ns1 hostmaster 1 7200 900 1209600 300
        IN NS  ns1
ns1        A   192.0.2.53
alias      CNAME www
www        A   192.0.2.1
alias      TXT "beside a CNAME, and the line of the CNAME is named"
w2         CNAME www
w2         TYPE46 \# 3 010203
)";

TEST(ZoneParserBatches, GiveTheRecordsAndWarningsOfTheWholeParse) {
  const ZoneParseResult whole = parse_zone(kMasterFile, "b.zone", {});
  ASSERT_EQ(whole.warnings.size(), 1u);
  for (size_t size : {1u, 2u, 4u, 8192u}) {
    SCOPED_TRACE(size);
    std::vector<Record> records;
    size_t batches = 0;
    const std::vector<ZoneWarning> warnings = parse_zone_batches(
        kMasterFile, "b.zone", {},
        [&](RecordBatch batch) {
          EXPECT_LE(batch->size(), size);
          EXPECT_FALSE(batch->empty());
          records.insert(records.end(), batch->begin(), batch->end());
          ++batches;
        },
        size);
    EXPECT_EQ(records, whole.records);
    EXPECT_EQ(warnings, whole.warnings);
    EXPECT_EQ(batches, (whole.records.size() + size - 1) / size);
  }
}

TEST(ZoneParserBatches, ThePrototypeFormatComesAsOneBatch) {
  constexpr std::string_view kPrototype =
      "example.com SOA [\"ns1.example.com\", \"hostmaster.example.com\"]\n"
      "www.example.com A 192.0.2.1\n";
  const ZoneParseResult whole = parse_zone(kPrototype, "p.txt", {});
  std::vector<RecordBatch> batches;
  parse_zone_batches(
      kPrototype, "p.txt", {}, [&](RecordBatch b) { batches.push_back(b); }, 1);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(*batches[0], whole.records);
}

TEST(ZoneParserBatches, AnErrorStopsTheParseAfterTheBatchesBeforeIt) {
  constexpr std::string_view kBroken =
      "$ORIGIN example.com.\n@ 60 SOA ns hm 1 1 1 1 1\nwww 60 A 192.0.2.1\nbad 60 A nope\n";
  std::vector<RecordBatch> batches;
  try {
    parse_zone_batches(
        kBroken, "broken.zone", {}, [&](RecordBatch b) { batches.push_back(b); }, 1);
    FAIL() << "no error";
  } catch (const ZoneError& e) {
    EXPECT_NE(std::string(e.what()).find("broken.zone:4"), std::string::npos) << e.what();
  }
  EXPECT_EQ(batches.size(), 2u);
}

}  // namespace
}  // namespace dns
