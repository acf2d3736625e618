// NodeMap::Cursor: a zone walked a piece at a time visits what for_each_node visits, in the same
// order, and a copied cursor resumes where it was (the datastore transfer's chunk starts).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <fmt/format.h>

#include "dns/rdata.h"
#include "dns/zone.h"
#include "dns/zone_parser.h"

namespace dns {
namespace {

Zone zone_with(std::size_t names) {
  Zone zone(Name::from_text("example.com."));
  ZoneParseOptions opts;
  opts.origin = Name::from_text("example.com.");
  std::string text = "@ 3600 IN SOA ns1 hostmaster 1 7200 900 1209600 300\n";
  for (std::size_t i = 0; i < names; ++i)
    text += fmt::format("h{} 300 IN A 192.0.{}.{}\n", i, (i / 250) % 250, i % 250);
  for (const Record& r : parse_master_file(text, "t.zone", opts).records) zone.add(r, 1);
  zone.cache_apex();
  return zone;
}

std::vector<const ZoneNode*> by_for_each(const Zone& zone) {
  std::vector<const ZoneNode*> out;
  zone.for_each_node([&](const ZoneNode& n) { out.push_back(&n); });
  return out;
}

std::vector<const ZoneNode*> by_cursor(NodeMap::Cursor c) {
  std::vector<const ZoneNode*> out;
  for (; c.node(); c.next()) out.push_back(c.node());
  return out;
}

TEST(ZoneCursor, AnEmptyZoneHasNoFirstNode) {
  Zone zone(Name::from_text("example.com."));
  EXPECT_EQ(zone.first_node().node(), nullptr);
  NodeMap::Cursor c = zone.first_node();
  c.next();  // past the end stays there
  EXPECT_EQ(c.node(), nullptr);
}

TEST(ZoneCursor, WalksEveryNodeInForEachOrderAndCopiesResume) {
  for (std::size_t names : {0u, 1u, 31u, 33u, 1000u, 20000u}) {
    const Zone zone = zone_with(names);
    const std::vector<const ZoneNode*> all = by_for_each(zone);
    ASSERT_EQ(all.size(), zone.name_count());
    EXPECT_EQ(by_cursor(zone.first_node()), all) << names << " names";
    // Stop every 97 nodes, keep a copy, and go on from the copy.
    NodeMap::Cursor c = zone.first_node();
    for (std::size_t i = 0; i < all.size(); ++i, c.next()) {
      if (i % 97 != 0) continue;
      const std::vector<const ZoneNode*> rest = by_cursor(c);
      ASSERT_EQ(rest, std::vector<const ZoneNode*>(all.begin() + i, all.end())) << "from " << i;
    }
  }
}

RC_GTEST_PROP(ZoneCursor, AWalkInPiecesListsTheZonesRecords, ()) {
  const std::size_t names = *rc::gen::inRange<std::size_t>(0, 3000);
  const std::size_t piece = *rc::gen::inRange<std::size_t>(1, 50);
  const Zone zone = zone_with(names);
  std::vector<Record> whole, pieces;
  zone.append_records(whole);
  std::vector<NodeMap::Cursor> starts{zone.first_node()};
  while (starts.back().node()) {
    NodeMap::Cursor c = starts.back();
    for (std::size_t i = 0; i < piece && c.node(); ++i, c.next())
      Zone::append_records(*c.node(), pieces);
    starts.push_back(c);
  }
  RC_ASSERT(pieces == whole);
}

}  // namespace
}  // namespace dns
