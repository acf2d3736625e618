// Tests of DNS UPDATE (RFC 2136): reading UPDATE messages (section checks) and evaluating them
// against a database version: the five prerequisite kinds, the four update forms, and the SOA,
// apex NS and CNAME rules. Applying the changes must bump the serial by one.
#include "dns/update.h"

#include <gtest/gtest.h>

#include "dns/rdata.h"
#include "dns/types.h"
#include "dns/zone.h"
#include "dns/zone_parser.h"

namespace dns::update {
namespace {

constexpr std::string_view kZone = R"(
$ORIGIN example.com.
@     300 IN SOA ns1 hostmaster 100 7200 900 1209600 300
@     300 IN NS  ns1
@     300 IN NS  ns2
ns1   300 IN A   192.0.2.1
ns2   300 IN A   192.0.2.2
www   300 IN A   192.0.2.10
www   300 IN A   192.0.2.11
alias 300 IN CNAME www
)";

Record rec(std::string_view line) {
  ZoneParseOptions opts;
  opts.origin = Name::from_text("example.com.");
  return parse_master_file(line, "test", opts).records.at(0);
}

// A prerequisite or update of class ANY/NONE with no rdata.
Record meta(std::string_view owner, uint16_t type, uint16_t rclass) {
  return Record{Name::from_text(owner), type, rclass, 0, {}};
}

Record none_rr(std::string_view line) {
  Record r = rec(line);
  r.rclass = rclass::NONE;
  r.ttl = 0;
  return r;
}

Record value_prereq(std::string_view line) {
  Record r = rec(line);
  r.ttl = 0;
  return r;
}

class UpdateTest : public ::testing::Test {
 protected:
  UpdateTest() {
    ZoneParseOptions opts;
    db_.load(parse_master_file(kZone, "test.zone", opts).records);
  }

  Outcome run(std::vector<Record> prerequisites, std::vector<Record> updates) {
    Request r{Name::from_text("example.com."), std::move(prerequisites), std::move(updates)};
    return evaluate(*db_.current(), r);
  }
  // Evaluates and applies; returns the rcode.
  uint16_t apply(std::vector<Record> prerequisites, std::vector<Record> updates) {
    Outcome o = run(std::move(prerequisites), std::move(updates));
    if (o.rcode == rcode::NOERROR && !o.changes.empty()) db_.apply(o.changes);
    return o.rcode;
  }
  uint32_t serial() const {
    return soa_serial(
        db_.current()->find_zone(Name::from_text("example.com.").wire())->soa()->rdatas.front());
  }
  std::vector<std::string> rdatas(std::string_view owner, uint16_t type) const {
    const Zone* z = db_.current()->find_zone(Name::from_text("example.com.").wire());
    const ZoneNode* n = z->find(Name::from_text(owner).lowercased().wire());
    std::vector<std::string> out;
    if (!n || !n->find(type)) return out;
    for (const auto& r : n->find(type)->rdatas) out.push_back(rdata_to_text(type, r));
    return out;
  }

  Database db_;
};

TEST_F(UpdateTest, AddBumpsSerialByOne) {
  EXPECT_EQ(serial(), 100u);
  EXPECT_EQ(apply({}, {rec("new 300 IN A 192.0.2.50")}), rcode::NOERROR);
  EXPECT_EQ(rdatas("new.example.com.", type::A), (std::vector<std::string>{"192.0.2.50"}));
  EXPECT_EQ(serial(), 101u);
  // Adding what is there changes nothing: no changes, no bump.
  Outcome again = run({}, {rec("new 300 IN A 192.0.2.50")});
  EXPECT_EQ(again.rcode, rcode::NOERROR);
  EXPECT_TRUE(again.changes.empty());
}

TEST_F(UpdateTest, PrerequisitesOfEveryKind) {
  using V = std::vector<Record>;
  // Name is in use / not in use.
  EXPECT_EQ(run(V{meta("www.example.com.", type::ANY, rclass::ANY)}, {}).rcode, rcode::NOERROR);
  EXPECT_EQ(run(V{meta("nope.example.com.", type::ANY, rclass::ANY)}, {}).rcode, rcode::NXDOMAIN);
  EXPECT_EQ(run(V{meta("nope.example.com.", type::ANY, rclass::NONE)}, {}).rcode, rcode::NOERROR);
  EXPECT_EQ(run(V{meta("www.example.com.", type::ANY, rclass::NONE)}, {}).rcode, rcode::YXDOMAIN);
  // RRset exists / does not exist.
  EXPECT_EQ(run(V{meta("www.example.com.", type::A, rclass::ANY)}, {}).rcode, rcode::NOERROR);
  EXPECT_EQ(run(V{meta("www.example.com.", type::MX, rclass::ANY)}, {}).rcode, rcode::NXRRSET);
  EXPECT_EQ(run(V{meta("www.example.com.", type::MX, rclass::NONE)}, {}).rcode, rcode::NOERROR);
  EXPECT_EQ(run(V{meta("www.example.com.", type::A, rclass::NONE)}, {}).rcode, rcode::YXRRSET);
  // RRset exists with exactly these values (order and duplicates do not matter).
  EXPECT_EQ(run(V{value_prereq("www 0 IN A 192.0.2.11"), value_prereq("www 0 IN A 192.0.2.10")}, {})
                .rcode,
            rcode::NOERROR);
  EXPECT_EQ(run(V{value_prereq("www 0 IN A 192.0.2.10")}, {}).rcode, rcode::NXRRSET);
  EXPECT_EQ(run(V{value_prereq("www 0 IN A 192.0.2.10"), value_prereq("www 0 IN A 192.0.2.11"),
                  value_prereq("www 0 IN A 192.0.2.12")},
                {})
                .rcode,
            rcode::NXRRSET);
  EXPECT_EQ(run(V{value_prereq("nope 0 IN A 192.0.2.10")}, {}).rcode, rcode::NXRRSET);
}

TEST_F(UpdateTest, UnmetPrerequisiteChangesNothing) {
  Outcome o =
      run({meta("www.example.com.", type::A, rclass::NONE)}, {rec("new 300 IN A 192.0.2.50")});
  EXPECT_EQ(o.rcode, rcode::YXRRSET);
  EXPECT_TRUE(o.changes.empty());
  EXPECT_FALSE(o.detail.empty());
}

TEST_F(UpdateTest, DeleteRrsetNameAndRr) {
  EXPECT_EQ(apply({}, {none_rr("www 300 IN A 192.0.2.10")}), rcode::NOERROR);
  EXPECT_EQ(rdatas("www.example.com.", type::A), (std::vector<std::string>{"192.0.2.11"}));
  EXPECT_EQ(
      apply({}, {rec("www 300 IN TXT \"hi\""), meta("www.example.com.", type::A, rclass::ANY)}),
      rcode::NOERROR);
  EXPECT_TRUE(rdatas("www.example.com.", type::A).empty());
  EXPECT_EQ(rdatas("www.example.com.", type::TXT).size(), 1u);
  EXPECT_EQ(apply({}, {meta("www.example.com.", type::ANY, rclass::ANY)}), rcode::NOERROR);
  EXPECT_TRUE(rdatas("www.example.com.", type::TXT).empty());
  EXPECT_EQ(serial(), 103u);
}

TEST_F(UpdateTest, LaterUpdatesSeeEarlierOnesOfTheSameRequest) {
  Outcome o =
      run({}, {rec("tmp 300 IN A 192.0.2.60"), meta("tmp.example.com.", type::ANY, rclass::ANY),
               rec("tmp 300 IN A 192.0.2.61")});
  ASSERT_EQ(o.rcode, rcode::NOERROR);
  ASSERT_EQ(o.changes.size(), 1u);
  EXPECT_EQ(rdata_to_text(type::A, o.changes[0].record.rdata), "192.0.2.61");
}

TEST_F(UpdateTest, ApexSoaAndNsAreProtected) {
  // Deleting everything at the apex keeps SOA and NS; deleting the NS RRset or SOA is ignored.
  EXPECT_TRUE(run({}, {meta("example.com.", type::ANY, rclass::ANY)}).changes.empty());
  EXPECT_TRUE(run({}, {meta("example.com.", type::NS, rclass::ANY)}).changes.empty());
  EXPECT_TRUE(run({}, {meta("example.com.", type::SOA, rclass::ANY)}).changes.empty());
  // One NS of two may go, the last may not.
  EXPECT_EQ(apply({}, {none_rr("@ 300 IN NS ns2")}), rcode::NOERROR);
  EXPECT_EQ(rdatas("example.com.", type::NS), (std::vector<std::string>{"ns1.example.com."}));
  EXPECT_TRUE(run({}, {none_rr("@ 300 IN NS ns1")}).changes.empty());
  // SOA: an older serial is ignored; a newer one replaces it and is kept as given.
  EXPECT_TRUE(
      run({}, {rec("@ 300 IN SOA ns1 hostmaster 50 7200 900 1209600 300")}).changes.empty());
  EXPECT_EQ(apply({}, {rec("@ 300 IN SOA ns1 hostmaster 500 7200 900 1209600 300")}),
            rcode::NOERROR);
  EXPECT_EQ(serial(), 500u);
}

TEST_F(UpdateTest, CnameDoesNotMixWithOtherData) {
  EXPECT_TRUE(run({}, {rec("alias 300 IN A 192.0.2.70")}).changes.empty());
  EXPECT_TRUE(run({}, {rec("www 300 IN CNAME ns1")}).changes.empty());
  EXPECT_EQ(apply({}, {rec("alias 300 IN CNAME ns1")}), rcode::NOERROR);  // replaces the CNAME
  EXPECT_EQ(rdatas("alias.example.com.", type::CNAME),
            (std::vector<std::string>{"ns1.example.com."}));
}

TEST_F(UpdateTest, ZoneNotServedIsNotauth) {
  Request r{Name::from_text("other.org."), {}, {}};
  EXPECT_EQ(evaluate(*db_.current(), r).rcode, rcode::NOTAUTH);
  Request below{Name::from_text("www.example.com."), {}, {}};  // not an apex
  EXPECT_EQ(evaluate(*db_.current(), below).rcode, rcode::NOTAUTH);
}

Message update_message(std::vector<Record> prereqs, std::vector<Record> updates) {
  Message m;
  m.header.opcode = opcode::UPDATE;
  m.questions.push_back({Name::from_text("example.com."), type::SOA, rclass::IN});
  m.answer = std::move(prereqs);
  m.authority = std::move(updates);
  return m;
}

TEST(UpdateParse, SurvivesTheWireAndChecksSections) {
  Message m = update_message(
      {meta("www.example.com.", type::A, rclass::ANY)},
      {rec("new 300 IN A 192.0.2.50"), meta("old.example.com.", type::ANY, rclass::ANY),
       none_rr("www 300 IN A 192.0.2.10")});
  Parsed p = parse(decode_message(encode_message(m)));
  ASSERT_EQ(p.rcode, rcode::NOERROR) << p.error;
  EXPECT_EQ(p.request.prerequisites.size(), 1u);
  EXPECT_EQ(p.request.updates.size(), 3u);

  Message two_zones = m;
  two_zones.questions.push_back(two_zones.questions.front());
  EXPECT_EQ(parse(two_zones).rcode, rcode::FORMERR);
  Message not_soa = m;
  not_soa.questions.front().qtype = type::A;
  EXPECT_EQ(parse(not_soa).rcode, rcode::FORMERR);
  EXPECT_EQ(parse(update_message({}, {rec("www.other.org. 300 IN A 192.0.2.1")})).rcode,
            rcode::NOTZONE);
  EXPECT_EQ(parse(update_message({rec("www 300 IN A 192.0.2.1")}, {})).rcode,
            rcode::FORMERR);  // prerequisite TTL must be 0
  Record any_with_ttl = meta("www.example.com.", type::A, rclass::ANY);
  any_with_ttl.ttl = 5;
  EXPECT_EQ(parse(update_message({}, {any_with_ttl})).rcode, rcode::FORMERR);
  Record chaos = rec("www 300 IN A 192.0.2.1");
  chaos.rclass = rclass::CH;
  EXPECT_EQ(parse(update_message({}, {chaos})).rcode, rcode::FORMERR);
  EXPECT_EQ(parse(update_message({}, {meta("www.example.com.", type::AXFR, rclass::ANY)})).rcode,
            rcode::FORMERR);
}

}  // namespace
}  // namespace dns::update
