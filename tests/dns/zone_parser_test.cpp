// One test per zone-file rule: RFC 1035 master files, the 2017 prototype's format, detection,
// $INCLUDE, warnings and the exact "file:line: message" of each error.

#include "dns/zone_parser.h"

#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "dns/rdata.h"
#include "dns/types.h"

namespace dns {
namespace {

std::vector<uint8_t> bytes(std::initializer_list<int> values) {
  std::vector<uint8_t> out;
  for (int v : values) out.push_back(static_cast<uint8_t>(v));
  return out;
}

std::vector<uint8_t> name_wire(std::string_view text) {
  Name name = Name::from_text(text);
  return {name.wire().begin(), name.wire().end()};
}

std::vector<uint8_t> concat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Records print as master-file lines in failure messages.
}  // namespace
void PrintTo(const Record& r, std::ostream* os) {
  *os << to_text(r);
}
namespace {

// A record built from master-file rdata text (the codec's own parser, tested in its suite).
Record rr(std::string_view owner, uint16_t rtype, uint32_t ttl, std::string_view rdata_text) {
  std::vector<TextToken> fields;
  std::istringstream in{std::string(rdata_text)};
  for (std::string word; in >> word;) fields.push_back({word, false});
  return Record{Name::from_text(owner), rtype, rclass::IN, ttl,
                rdata_from_text(rtype, fields, Name())};
}

Record rr_bytes(std::string_view owner, uint16_t rtype, uint32_t ttl, std::vector<uint8_t> rdata) {
  return Record{Name::from_text(owner), rtype, rclass::IN, ttl, std::move(rdata)};
}

ZoneParseResult master(std::string_view text, ZoneParseOptions opts = {}) {
  return parse_master_file(text, "z.zone", opts);
}

ZoneParseResult prototype(std::string_view text, ZoneParseOptions opts = {}) {
  return parse_prototype_zone(text, "p.txt", opts);
}

// The what() of the ZoneError `fn` throws.
template <typename Fn>
std::string zone_error(Fn&& fn) {
  try {
    fn();
  } catch (const ZoneError& e) {
    return e.what();
  }
  return "no ZoneError";
}

std::string master_error(std::string_view text, ZoneParseOptions opts = {}) {
  return zone_error([&] { master(text, opts); });
}

std::string prototype_error(std::string_view text) {
  return zone_error([&] { prototype(text); });
}

// A file of the source tree (RAFTDNS_SOURCE_DIR comes from tests/dns/CMakeLists.txt).
std::string read_repo_file(const std::string& relative) {
  const std::filesystem::path path = std::filesystem::path(RAFTDNS_SOURCE_DIR) / relative;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// ---- master format: record syntax ----

TEST(MasterFile, ParsesOwnerTtlClassTypeAndRdata) {
  auto r = master("www.example.com. 300 IN A 192.0.2.1\n");
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].owner.to_text(), "www.example.com.");
  EXPECT_EQ(r.records[0].type, type::A);
  EXPECT_EQ(r.records[0].rclass, rclass::IN);
  EXPECT_EQ(r.records[0].ttl, 300u);
  EXPECT_EQ(r.records[0].rdata, bytes({192, 0, 2, 1}));
  EXPECT_TRUE(r.warnings.empty());
}

TEST(MasterFile, TtlAndClassComeInEitherOrderAndAreOptional) {
  auto r = master(
      "a.test. 300 IN A 192.0.2.1\n"
      "b.test. IN 400 A 192.0.2.2\n"
      "c.test. IN A 192.0.2.3\n"
      "d.test. 500 A 192.0.2.4\n");
  ASSERT_EQ(r.records.size(), 4u);
  EXPECT_EQ(r.records[0].ttl, 300u);
  EXPECT_EQ(r.records[1].ttl, 400u);
  EXPECT_EQ(r.records[2].ttl, 400u);  // RFC 1035: the last TTL stated
  EXPECT_EQ(r.records[3].ttl, 500u);
}

TEST(MasterFile, TtlAcceptsUnits) {
  auto r = master("a.test. 1h30m IN A 192.0.2.1\nb.test. 1W2d IN A 192.0.2.2\n");
  EXPECT_EQ(r.records[0].ttl, 5400u);
  EXPECT_EQ(r.records[1].ttl, 7 * 86400u + 2 * 86400u);
}

TEST(MasterFile, ParseTtlRules) {
  EXPECT_EQ(parse_ttl("0"), 0u);
  EXPECT_EQ(parse_ttl("3600"), 3600u);
  EXPECT_EQ(parse_ttl("1h30"), 3630u);
  EXPECT_EQ(parse_ttl("2147483647"), 2147483647u);
  EXPECT_EQ(parse_ttl("2147483648"), std::nullopt);
  EXPECT_EQ(parse_ttl("99999999999999999999"), std::nullopt);
  EXPECT_EQ(parse_ttl("h"), std::nullopt);
  EXPECT_EQ(parse_ttl("1x"), std::nullopt);
  EXPECT_EQ(parse_ttl(""), std::nullopt);
}

TEST(MasterFile, TtlOutOfRangeIsError) {
  EXPECT_EQ(master_error("a.test. 4294967296 IN A 192.0.2.1\n"),
            "z.zone:1: expected a TTL (seconds or units like 1h30m, at most 2147483647), found "
            "'4294967296'");
}

TEST(MasterFile, DefaultTtlComesFromDollarTtlThenLastTtlThenOptions) {
  ZoneParseOptions opts;
  opts.default_ttl = 77;
  auto r = master(
      "a.test. A 192.0.2.1\n"
      "b.test. 60 A 192.0.2.2\n"
      "c.test. A 192.0.2.3\n"
      "$TTL 1d\n"
      "d.test. A 192.0.2.4\n"
      "e.test. 5 A 192.0.2.5\n"
      "f.test. A 192.0.2.6\n",
      opts);
  ASSERT_EQ(r.records.size(), 6u);
  EXPECT_EQ(r.records[0].ttl, 77u);  // nothing stated yet: options
  EXPECT_EQ(r.records[1].ttl, 60u);
  EXPECT_EQ(r.records[2].ttl, 60u);     // last stated TTL (RFC 1035)
  EXPECT_EQ(r.records[3].ttl, 86400u);  // $TTL (RFC 2308)
  EXPECT_EQ(r.records[4].ttl, 5u);
  EXPECT_EQ(r.records[5].ttl, 86400u);  // $TTL wins over the last stated TTL
}

TEST(MasterFile, OriginDirectiveMakesRelativeNamesAbsolute) {
  auto r = master(
      "$ORIGIN example.com.\n"
      "www 60 IN CNAME web\n"
      "$ORIGIN sub\n"  // relative to the current origin
      "host 60 IN MX 10 mail.example.net.\n");
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0], rr("www.example.com.", type::CNAME, 60, "web.example.com."));
  EXPECT_EQ(r.records[1], rr("host.sub.example.com.", type::MX, 60, "10 mail.example.net."));
}

TEST(MasterFile, OptionsOriginIsTheInitialOrigin) {
  ZoneParseOptions opts;
  opts.origin = Name::from_text("example.org.");
  auto r = master("www 60 A 192.0.2.1\n", opts);
  EXPECT_EQ(r.records.at(0).owner.to_text(), "www.example.org.");
}

TEST(MasterFile, AtSignIsTheOrigin) {
  auto r = master("$ORIGIN example.com.\n@ 60 IN NS @\n");
  EXPECT_EQ(r.records.at(0), rr("example.com.", type::NS, 60, "example.com."));
}

TEST(MasterFile, BlankOwnerRepeatsThePreviousOwner) {
  auto r = master(
      "$ORIGIN example.com.\n"
      "www 60 A 192.0.2.1\n"
      "    60 AAAA 2001:db8::1\n"
      "\tTXT \"x\"\n");
  ASSERT_EQ(r.records.size(), 3u);
  for (const Record& rec : r.records) EXPECT_EQ(rec.owner.to_text(), "www.example.com.");
  EXPECT_EQ(r.records[2].rdata, bytes({1, 'x'}));
}

TEST(MasterFile, BlankOwnerWithoutPreviousOwnerIsError) {
  EXPECT_EQ(master_error("\n  60 A 192.0.2.1\n"),
            "z.zone:2: expected an owner name, found a line starting with whitespace and no "
            "previous owner");
}

TEST(MasterFile, ParenthesesSpanLinesWithComments) {
  auto r = master(
      "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. ( ; the SOA\n"
      "    2024010101 ; serial\n"
      "    1h         ; refresh\n"
      "    15m 1w     ; retry expire\n"
      "    300 )      ; minimum\n"
      "www.example.com. 60 A 192.0.2.1\n");
  ASSERT_EQ(r.records.size(), 2u);
  SoaFields soa = soa_from_rdata(r.records[0].rdata);
  EXPECT_EQ(soa.mname.to_text(), "ns1.example.com.");
  EXPECT_EQ(soa.rname.to_text(), "hostmaster.example.com.");
  EXPECT_EQ(soa.serial, 2024010101u);
  EXPECT_EQ(soa.refresh, 3600u);
  EXPECT_EQ(soa.retry, 900u);
  EXPECT_EQ(soa.expire, 604800u);
  EXPECT_EQ(soa.minimum, 300u);
  EXPECT_EQ(r.records[1].owner.to_text(), "www.example.com.");
}

TEST(MasterFile, UnclosedParenthesisIsError) {
  EXPECT_EQ(master_error("a.test. 60 A 192.0.2.1\nb.test. 60 TXT ( \"x\"\n\"y\"\n"),
            "z.zone:2: expected ')' to close this '(', found end of file");
}

TEST(MasterFile, NestedParenthesisIsError) {
  EXPECT_EQ(master_error("a.test. 60 TXT ( \"x\"\n ( \"y\" ) )\n"),
            "z.zone:2: expected ')' to close the '(' of line 1, found another '('");
}

TEST(MasterFile, CloseParenthesisWithoutOpenIsError) {
  EXPECT_EQ(master_error("a.test. 60 A 192.0.2.1 )\n"),
            "z.zone:1: found ')' without a matching '('");
}

TEST(MasterFile, QuotedStringsKeepSpacesSemicolonsAndEscapes) {
  auto r = master(R"(t.test. 60 TXT "say \"hi\"; ok" "\065\066\\" plain)"
                  "\n");
  ASSERT_EQ(r.records.size(), 1u);
  std::vector<uint8_t> expected = bytes({12});
  for (char c : std::string("say \"hi\"; ok")) expected.push_back(static_cast<uint8_t>(c));
  expected = concat(expected, bytes({3, 'A', 'B', '\\', 5, 'p', 'l', 'a', 'i', 'n'}));
  EXPECT_EQ(r.records[0].rdata, expected);
}

TEST(MasterFile, EmptyQuotedStringIsAField) {
  auto r = master("t.test. 60 TXT \"\"\n");
  EXPECT_EQ(r.records.at(0).rdata, bytes({0}));
}

TEST(MasterFile, UnterminatedQuoteIsError) {
  EXPECT_EQ(master_error("a.test. 60 A 192.0.2.1\nt.test. 60 TXT \"abc\n"),
            "z.zone:2: expected a closing '\"', found end of line inside a quoted string");
}

TEST(MasterFile, BackslashAtEndOfLineIsError) {
  EXPECT_EQ(master_error("a.test. 60 TXT abc\\\n"),
            "z.zone:1: expected a character after '\\', found end of line");
  EXPECT_EQ(master_error("a.test. 60 TXT \"abc\\\n\"\n"),
            "z.zone:1: expected a character after '\\', found end of line");
}

TEST(MasterFile, EscapedSpaceAndSemicolonStayInAField) {
  auto r = master("a\\ b\\;c.test. 60 TXT x\\ y\\;z\n");
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].owner.label(0), "a b;c");
  EXPECT_EQ(r.records[0].rdata, bytes({5, 'x', ' ', 'y', ';', 'z'}));
}

TEST(MasterFile, CommentsAndBlankLinesAreIgnored) {
  auto r = master("; header\n\n   ; indented comment\na.test. 60 A 192.0.2.1 ; trailing\n");
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].rdata, bytes({192, 0, 2, 1}));
  // An indented line is a blank-owner line; one holding only a comment is no entry at all.
  EXPECT_EQ(master_error("; header\n   ; only a comment\n  60 A 192.0.2.1\n"),
            "z.zone:3: expected an owner name, found a line starting with whitespace and no "
            "previous owner");
}

TEST(MasterFile, CrlfLineEndings) {
  auto r = master("$ORIGIN example.com.\r\nwww 60 IN A 192.0.2.1\r\n  60 TXT \"a\"\r\n");
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].owner.to_text(), "www.example.com.");
  EXPECT_EQ(r.records[1].rdata, bytes({1, 'a'}));
}

TEST(MasterFile, UnknownTypeInRfc3597Form) {
  auto r = master("u.test. 60 TYPE65280 \\# 3 0a0B0c\nv.test. 60 A \\# 4 C0000201\n");
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].type, 65280);
  EXPECT_EQ(r.records[0].rdata, bytes({0x0a, 0x0b, 0x0c}));
  EXPECT_EQ(r.records[1].rdata, bytes({192, 0, 2, 1}));
}

TEST(MasterFile, EverySupportedType) {
  auto r = master(
      "$ORIGIN example.com.\n"
      "$TTL 60\n"
      "@ SOA ns1 hostmaster 1 2 3 4 5\n"
      "@ NS ns1\n"
      "ns1 A 192.0.2.53\n"
      "ns1 AAAA 2001:db8::53\n"
      "www CNAME ns1\n"
      "@ MX 10 mail.example.net.\n"
      "@ TXT \"v=spf1 -all\"\n"
      "1.2.0.192.in-addr.arpa. PTR www\n"
      "_sip._udp SRV 1 2 5060 sip\n"
      "@ CAA 0 issue \"letsencrypt.org\"\n");
  ASSERT_EQ(r.records.size(), 10u);
  EXPECT_EQ(r.records[0], rr("example.com.", type::SOA, 60,
                             "ns1.example.com. hostmaster.example.com. 1 2 3 4 5"));
  EXPECT_EQ(r.records[1], rr_bytes("example.com.", type::NS, 60, name_wire("ns1.example.com.")));
  EXPECT_EQ(r.records[2], rr_bytes("ns1.example.com.", type::A, 60, bytes({192, 0, 2, 53})));
  EXPECT_EQ(r.records[3],
            rr_bytes("ns1.example.com.", type::AAAA, 60,
                     bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53})));
  EXPECT_EQ(r.records[4],
            rr_bytes("www.example.com.", type::CNAME, 60, name_wire("ns1.example.com.")));
  EXPECT_EQ(r.records[5], rr_bytes("example.com.", type::MX, 60,
                                   concat(bytes({0, 10}), name_wire("mail.example.net."))));
  EXPECT_EQ(r.records[6].rdata.size(), 12u);
  EXPECT_EQ(r.records[7],
            rr_bytes("1.2.0.192.in-addr.arpa.", type::PTR, 60, name_wire("www.example.com.")));
  EXPECT_EQ(r.records[8],
            rr_bytes("_sip._udp.example.com.", type::SRV, 60,
                     concat(bytes({0, 1, 0, 2, 0x13, 0xc4}), name_wire("sip.example.com."))));
  std::vector<uint8_t> caa = bytes({0, 5, 'i', 's', 's', 'u', 'e'});
  for (char c : std::string("letsencrypt.org")) caa.push_back(static_cast<uint8_t>(c));
  EXPECT_EQ(r.records[9].rdata, caa);
}

TEST(MasterFile, ClassOtherThanInIsError) {
  EXPECT_EQ(master_error("a.test. 60 A 192.0.2.1\nv.test. CH TXT \"x\"\n"),
            "z.zone:2: expected class IN (the only one served), found 'CH'");
}

TEST(MasterFile, UnknownTypeMnemonicIsError) {
  EXPECT_EQ(master_error("a.test. 60 IN BOGUS 1\n"),
            "z.zone:1: expected a record type (A, NS, MX, TYPE65280, ...), found 'BOGUS'");
}

TEST(MasterFile, MissingTypeIsError) {
  EXPECT_EQ(master_error("a.test. 60 IN\n"),
            "z.zone:1: expected a record type after 'IN', found end of line");
}

TEST(MasterFile, MetaTypeIsError) {
  EXPECT_EQ(master_error("a.test. 60 IN ANY \\# 0\n"),
            "z.zone:1: expected a data record type, found meta type 'ANY'");
}

TEST(MasterFile, BadRdataNamesFileLineAndWhatWasExpected) {
  EXPECT_EQ(master_error("$ORIGIN example.com.\n@ 60 MX ten mail\n"),
            "z.zone:2: bad MX record data: expected a number from 0 to 65535 for MX preference, "
            "got 'ten'");
  EXPECT_EQ(master_error("a.test. 60 A 192.0.2\n"),
            "z.zone:1: bad A record data: expected an dotted-quad IPv4 address for A rdata, got "
            "'192.0.2'");
}

TEST(MasterFile, BadRdataInParenthesesNamesTheLineWhereTheRecordStarts) {
  EXPECT_EQ(master_error("\n@ 60 SOA ns hm (\n 1 2 3\n 4 x )\n"),
            "z.zone:2: bad SOA record data: expected a 32-bit number of seconds (optionally with "
            "s/m/h/d/w units) for SOA minimum, got 'x'");
}

TEST(MasterFile, BadOwnerNameIsError) {
  EXPECT_EQ(master_error("a..b 60 A 192.0.2.1\n"),
            "z.zone:1: expected a domain name: empty label at offset 2 in domain name 'a..b'");
  std::string long_label(64, 'a');
  EXPECT_EQ(master_error("\n" + long_label + " 60 A 192.0.2.1\n"),
            "z.zone:2: expected a domain name: label longer than 63 octets in domain name '" +
                long_label + "'");
}

TEST(MasterFile, BadOriginNameIsError) {
  EXPECT_EQ(master_error("$ORIGIN a..b.\n"),
            "z.zone:1: expected a domain name: empty label at offset 2 in domain name 'a..b.'");
}

TEST(PrototypeZone, BadNameIsError) {
  EXPECT_EQ(prototype_error("a..b A 192.0.2.1\n"),
            "p.txt:1: expected a domain name: empty label at offset 2 in domain name 'a..b'");
}

// ---- master format: directives ----

TEST(MasterFile, UnknownDirectiveIsError) {
  EXPECT_EQ(master_error("$GENERATE 1-10 host$ A 192.0.2.$\n"),
            "z.zone:1: expected $ORIGIN, $TTL or $INCLUDE, found '$GENERATE'");
}

TEST(MasterFile, DirectiveArgumentsAreChecked) {
  EXPECT_EQ(master_error("$ORIGIN\n"),
            "z.zone:1: expected $ORIGIN <domain-name>, found end of line");
  EXPECT_EQ(master_error("$TTL 60 extra\n"),
            "z.zone:1: expected end of line after $TTL <ttl>, found 'extra'");
  EXPECT_EQ(master_error("$TTL soon\n"),
            "z.zone:1: expected a TTL (seconds or units like 1h30m, at most 2147483647), found "
            "'soon'");
}

TEST(MasterFile, DirectivesAreCaseInsensitive) {
  auto r = master("$origin example.com.\n$ttl 42\nwww A 192.0.2.1\n");
  EXPECT_EQ(r.records.at(0), rr("www.example.com.", type::A, 42, "192.0.2.1"));
}

// ---- master format: $INCLUDE ----

ZoneParseOptions with_files(std::map<std::string, std::string> files) {
  ZoneParseOptions opts;
  opts.include_reader =
      [files = std::move(files)](const std::string& path) -> std::optional<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  };
  return opts;
}

TEST(MasterFileInclude, IncludedRecordsComeInPlace) {
  auto opts = with_files({{"hosts.inc", "www 60 A 192.0.2.1\nftp 60 A 192.0.2.2\n"}});
  auto r = master(
      "$ORIGIN example.com.\n"
      "@ 60 NS ns1\n"
      "$INCLUDE hosts.inc\n"
      "mail 60 A 192.0.2.3\n",
      opts);
  ASSERT_EQ(r.records.size(), 4u);
  EXPECT_EQ(r.records[1].owner.to_text(), "www.example.com.");
  EXPECT_EQ(r.records[2].owner.to_text(), "ftp.example.com.");
  EXPECT_EQ(r.records[3].owner.to_text(), "mail.example.com.");
}

TEST(MasterFileInclude, OriginArgumentAppliesOnlyInsideTheInclude) {
  auto opts = with_files({{"sub.inc", "www 60 A 192.0.2.1\n$ORIGIN other.\nx 60 A 192.0.2.9\n"}});
  auto r = master(
      "$ORIGIN example.com.\n"
      "$INCLUDE \"sub.inc\" sub\n"
      "after 60 A 192.0.2.2\n",
      opts);
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0].owner.to_text(), "www.sub.example.com.");
  EXPECT_EQ(r.records[1].owner.to_text(), "x.other.");
  EXPECT_EQ(r.records[2].owner.to_text(), "after.example.com.");  // RFC 1035 §5.1
}

TEST(MasterFileInclude, IncludedFileStartsWithoutAnOwner) {
  auto opts = with_files({{"a.inc", "  60 A 192.0.2.1\n"}});
  EXPECT_EQ(master_error("www.test. 60 A 192.0.2.1\n$INCLUDE a.inc\n", opts),
            "a.inc:1: expected an owner name, found a line starting with whitespace and no "
            "previous owner");
}

TEST(MasterFileInclude, ErrorsNameTheIncludedFileAndLine) {
  auto opts = with_files({{"bad.inc", "ok.test. 60 A 192.0.2.1\nbad.test. 60 A nope\n"}});
  EXPECT_EQ(master_error("$INCLUDE bad.inc\n", opts),
            "bad.inc:2: bad A record data: expected an dotted-quad IPv4 address for A rdata, got "
            "'nope'");
}

TEST(MasterFileInclude, WithoutReaderIsError) {
  EXPECT_EQ(master_error("a.test. 60 A 192.0.2.1\n$INCLUDE other.zone\n"),
            "z.zone:2: $INCLUDE 'other.zone' is not allowed: no include reader was given");
}

TEST(MasterFileInclude, UnreadableFileIsError) {
  auto opts = with_files({});
  EXPECT_EQ(master_error("$INCLUDE missing.zone\n", opts),
            "z.zone:1: cannot read $INCLUDE file 'missing.zone'");
}

TEST(MasterFileInclude, LoopIsError) {
  auto opts = with_files({{"a.inc", "$INCLUDE b.inc\n"}, {"b.inc", "\n$INCLUDE a.inc\n"}});
  EXPECT_EQ(master_error("$INCLUDE a.inc\n", opts),
            "b.inc:2: $INCLUDE loop: z.zone -> a.inc -> b.inc -> a.inc");
  EXPECT_EQ(master_error("$INCLUDE z.zone\n", opts), "z.zone:1: $INCLUDE loop: z.zone -> z.zone");
}

TEST(MasterFileInclude, DepthIsLimited) {
  std::map<std::string, std::string> files;
  for (int i = 1; i <= 9; ++i) files[fmt::format("f{}", i)] = fmt::format("$INCLUDE f{}\n", i + 1);
  files["f10"] = "a.test. 60 A 192.0.2.1\n";
  auto opts = with_files(files);
  opts.max_include_depth = 9;  // z.zone -> f1 -> ... -> f9 is depth 9; f10 would be 10
  EXPECT_EQ(master_error("$INCLUDE f1\n", opts),
            "f9:1: $INCLUDE 'f10' nests deeper than the limit of 9 levels");
  opts.max_include_depth = 10;
  EXPECT_EQ(master("$INCLUDE f1\n", opts).records.size(), 1u);
}

TEST(MasterFile, CnameBesideOtherDataWarns) {
  auto r = master(
      "a.test. 60 A 192.0.2.1\n"
      "b.test. 60 CNAME a.test.\n"
      "a.test. 60 CNAME b.test.\n");
  ASSERT_EQ(r.records.size(), 3u);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0],
            (ZoneWarning{"z.zone", 3, "CNAME beside other data: exact-type data wins"}));
}

TEST(MasterFile, CnameConflictsWarnOncePerOwnerInFileOrder) {
  auto r = master(
      "only.test. 60 CNAME a.test.\n"  // alone: fine
      "b.test. 60 CNAME a.test.\n"     // line 2: b has MX below
      "a.test. 60 A 192.0.2.1\n"
      "a.test. 60 CNAME b.test.\n"  // line 4: a has A above
      "a.test. 60 TXT \"x\"\n"
      "b.test. 60 MX 1 a.test.\n"
      "s.test. 60 CNAME a.test.\n"
      "s.test. 60 RRSIG \\# 0\n");  // DNSSEC data may sit beside a CNAME
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_EQ(r.warnings[0].line, 2u);
  EXPECT_EQ(r.warnings[1].line, 4u);
}

TEST(MasterFile, ErrorCarriesFileAndLineMembers) {
  try {
    master("a.test. 60 A 192.0.2.1\n\nb.test. 60 IN WHAT x\n");
    FAIL() << "no error";
  } catch (const ZoneError& e) {
    EXPECT_EQ(e.file, "z.zone");
    EXPECT_EQ(e.line, 3u);
    EXPECT_EQ(e.message, "expected a record type (A, NS, MX, TYPE65280, ...), found 'WHAT'");
    const Error& base = e;  // catchable as dns::Error
    EXPECT_NE(std::string(base.what()).find("z.zone:3: "), std::string::npos);
  }
}

// ---- printing ----

TEST(PrintZone, OneMasterFileLinePerRecordThatParsesBack) {
  std::vector<Record> records = {rr("www.example.com.", type::A, 300, "192.0.2.1"),
                                 rr("example.com.", type::MX, 60, "10 mail.example.com.")};
  std::string text = print_zone(records);
  EXPECT_EQ(text,
            "www.example.com. 300 IN A 192.0.2.1\n"
            "example.com. 60 IN MX 10 mail.example.com.\n");
  EXPECT_EQ(master(text).records, records);
}

// ---- prototype format ----

std::vector<Record> expected_seed_records(const std::string& domain, const std::string& a,
                                          const std::string& target,
                                          std::array<int, 3> preferences) {
  std::vector<Record> r;
  r.push_back(rr(domain, type::A, 3600, a));
  r.push_back(rr(domain, type::CNAME, 3600, target + "."));
  r.push_back(rr(domain, type::MX, 3600, fmt::format("{} {}.", preferences[0], target)));
  r.push_back(rr(domain, type::MX, 3600, fmt::format("{} mx2.{}.", preferences[1], target)));
  r.push_back(rr(domain, type::MX, 3600, fmt::format("{} mx3.{}.", preferences[2], target)));
  r.push_back(rr(domain, type::NS, 3600, "ns1." + target + "."));
  r.push_back(rr(domain, type::NS, 3600, "ns2." + target + "."));
  std::string text = "hello this is some text";
  std::vector<uint8_t> txt = {static_cast<uint8_t>(text.size())};
  txt.insert(txt.end(), text.begin(), text.end());
  r.push_back(rr_bytes(domain, type::TXT, 3600, txt));
  r.push_back(
      rr(domain, type::SOA, 3600, fmt::format("ns1.{0}. dns.{0}. 1 3600 600 86400 300", domain)));
  return r;
}

// The 2017 prototype's zone files as it shipped them (tests/data/prototype/, never edited).
constexpr const char* kPrototypeDir = "tests/data/prototype/";

void expect_seed(const std::string& file, const std::vector<Record>& expected) {
  std::string text = read_repo_file(kPrototypeDir + file);
  EXPECT_EQ(detect_zone_format(text), ZoneFormat::Prototype);
  ZoneParseResult r = parse_zone(text, file, {});
  ASSERT_EQ(r.records.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(r.records[i], expected[i]) << i << ": " << to_text(r.records[i]);
    EXPECT_EQ(r.records[i].ttl, 3600u);
  }
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0], (ZoneWarning{file, 9, "CNAME beside other data: exact-type data wins"}));
}

TEST(PrototypeZone, SeedFileZf0ParsesExactly) {
  expect_seed("zf0.txt",
              expected_seed_records("example.com", "1.2.3.4", "fizzbuzz.com", {5, 20, 30}));
}

TEST(PrototypeZone, SeedFileZf1ParsesExactly) {
  expect_seed("zf1.txt",
              expected_seed_records("cs244b.com", "10.20.30.40", "stanford.com", {5, 10, 20}));
}

TEST(PrototypeZone, SeedFileZf2ParsesExactly) {
  expect_seed("zf2.txt", expected_seed_records("cats.com", "1.2.3.4", "petsmart.com", {1, 2, 3}));
}

TEST(PrototypeZone, ShippedSeedFilesAreThePrototypesUnchanged) {
  for (const std::string f : {"zf0.txt", "zf1.txt", "zf2.txt"}) {
    const std::string prototype = read_repo_file(kPrototypeDir + f);
    ASSERT_FALSE(prototype.empty()) << f;
    EXPECT_EQ(read_repo_file("zone-files/" + f), prototype) << f;
  }
}

TEST(PrototypeZone, TtlIsTheConfiguredDefault) {
  ZoneParseOptions opts;
  opts.default_ttl = 123;
  EXPECT_EQ(prototype("a.test A 192.0.2.1\n", opts).records.at(0).ttl, 123u);
}

TEST(PrototypeZone, NamesAreAbsoluteWithOrWithoutTrailingDot) {
  ZoneParseOptions opts;
  opts.origin = Name::from_text("ignored.example.");
  auto r = prototype("a.test NS ns.test\nb.test. NS ns.test.\n", opts);
  EXPECT_EQ(r.records.at(0), rr("a.test.", type::NS, 3600, "ns.test."));
  EXPECT_EQ(r.records.at(1), rr("b.test.", type::NS, 3600, "ns.test."));
}

TEST(PrototypeZone, HashLinesAreCommentsAndContinuationsAreJoined) {
  auto r = prototype(
      "# comment\n"
      "t.test TXT abc \n"
      "    def\n"
      "# a comment between does not stop the continuation\n"
      "\tghi\n"
      "#x.test TXT commented out\n"
      "#    continuation of a comment\n");
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].rdata, bytes({9, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'}));
}

TEST(PrototypeZone, TxtIsOneStringSplitInto255ByteChunks) {
  std::string first(200, 'a'), second(200, 'b');
  auto r = prototype("t.test TXT " + first + "\n  " + second + "\n");
  ASSERT_EQ(r.records.size(), 1u);
  const auto& rd = r.records[0].rdata;
  ASSERT_EQ(rd.size(), 2u + 400u);
  EXPECT_EQ(rd[0], 255);
  EXPECT_EQ(rd[256], 145);
  EXPECT_EQ(rd[255], 'b');  // 200 a's then b's
  // The prototype has no escapes: backslashes and quotes are literal.
  EXPECT_EQ(prototype("t.test TXT a\\065 \"q\"\n").records.at(0).rdata,
            bytes({9, 'a', '\\', '0', '6', '5', ' ', '"', 'q', '"'}));
}

TEST(PrototypeZone, JsonListsForMxSoaTxtAndOtherTypes) {
  auto r = prototype(
      "z.test MX [\"mx.z.test.\", 7]\n"
      "z.test SOA [\"ns.z.test\", \"admin.z.test\", 9, 8, 7, 6, 5]\n"
      "z.test TXT [\"one\", \"two words\"]\n"
      "_s._tcp.z.test SRV [1, 2, 443, \"srv.z.test\"]\n"
      "z.test CAA [0, \"issue\", \"ca.example\"]\n");
  ASSERT_EQ(r.records.size(), 5u);
  EXPECT_EQ(r.records[0], rr("z.test.", type::MX, 3600, "7 mx.z.test."));
  EXPECT_EQ(r.records[1], rr("z.test.", type::SOA, 3600, "ns.z.test. admin.z.test. 9 8 7 6 5"));
  EXPECT_EQ(r.records[2].rdata,
            bytes({3, 'o', 'n', 'e', 9, 't', 'w', 'o', ' ', 'w', 'o', 'r', 'd', 's'}));
  EXPECT_EQ(r.records[3], rr("_s._tcp.z.test.", type::SRV, 3600, "1 2 443 srv.z.test."));
  EXPECT_EQ(r.records[4].rdata, (master("z.test. CAA 0 issue \"ca.example\"\n").records[0].rdata));
}

TEST(PrototypeZone, OtherTypesReadTheValueInMasterSyntax) {
  auto r = prototype(
      "v6.test AAAA 2001:db8::1\n"
      "_x._udp.test SRV 0 5 53 ns.test\n"
      "c.test CAA 0 issue \"letsencrypt.org\"\n"
      "p.test TYPE65280 \\# 2 abcd\n");
  ASSERT_EQ(r.records.size(), 4u);
  EXPECT_EQ(r.records[0], rr("v6.test.", type::AAAA, 3600, "2001:db8::1"));
  EXPECT_EQ(r.records[1], rr("_x._udp.test.", type::SRV, 3600, "0 5 53 ns.test."));
  EXPECT_EQ(r.records[2].rdata,
            (master("c.test. CAA 0 issue \"letsencrypt.org\"\n").records[0].rdata));
  EXPECT_EQ(r.records[3].rdata, bytes({0xab, 0xcd}));
}

TEST(PrototypeZone, CrlfLineEndings) {
  auto r = prototype("a.test A 192.0.2.1\r\nt.test TXT hi\r\n");
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[1].rdata, bytes({2, 'h', 'i'}));
}

TEST(PrototypeZone, ContinuationWithoutRecordIsError) {
  EXPECT_EQ(prototype_error("# c\n   orphan\n"),
            "p.txt:2: expected a record line before this continuation line (it starts with "
            "whitespace), found none");
}

TEST(PrototypeZone, MissingValueIsError) {
  EXPECT_EQ(prototype_error("a.test A 192.0.2.1\nb.test A\n"),
            "p.txt:2: expected 'name TYPE value', found 'b.test A'");
}

TEST(PrototypeZone, UnknownTypeIsError) {
  EXPECT_EQ(prototype_error("a.test IN A 192.0.2.1\n"),
            "p.txt:1: expected a record type (A, NS, MX, ...) after the name, found 'IN'");
}

TEST(PrototypeZone, BadJsonIsError) {
  std::string err = prototype_error("a.test MX [\"mx.test\", 5\n");
  EXPECT_TRUE(
      err.starts_with("p.txt:1: bad MX record data: expected a JSON list, found "
                      "'[\"mx.test\", 5' ("))
      << err;
}

TEST(PrototypeZone, WrongJsonShapeIsError) {
  EXPECT_EQ(prototype_error("a.test MX [5, \"mx.test\"]\n"),
            "p.txt:1: bad MX record data: expected a JSON number from 0 to 65535 for MX "
            "preference, found \"mx.test\"");
  EXPECT_EQ(prototype_error("a.test MX [\"mx.test\", \"5\"]\n"),
            "p.txt:1: bad MX record data: expected a JSON number from 0 to 65535 for MX "
            "preference, found \"5\"");
  EXPECT_EQ(prototype_error("a.test MX [7, 5]\n"),
            "p.txt:1: bad MX record data: expected a JSON string for MX exchange, found 7");
  EXPECT_EQ(prototype_error("a.test MX [\"mx.test\", 70000]\n"),
            "p.txt:1: bad MX record data: expected a JSON number from 0 to 65535 for MX "
            "preference, found 70000");
  EXPECT_EQ(prototype_error("a.test SOA [\"ns.test\"]\n"),
            "p.txt:1: bad SOA record data: expected [\"mname\", \"rname\"] or all 7 SOA fields, "
            "found a list of 1 items");
  EXPECT_EQ(prototype_error("a.test A [\"192.0.2.1\", true]\n"),
            "p.txt:1: bad A record data: expected JSON strings or integers, found true");
}

TEST(PrototypeZone, BadValueNamesFileAndLine) {
  EXPECT_EQ(prototype_error("\n\na.test A 1.2.3\n"),
            "p.txt:3: bad A record data: expected an dotted-quad IPv4 address for A rdata, got "
            "'1.2.3'");
}

// ---- format detection ----

TEST(ZoneFormatDetection, PrototypeLinesAreDetected) {
  EXPECT_EQ(detect_zone_format("# c\nexample.com A 1.2.3.4\nexample.com MX [\"m.\", 1]\n"),
            ZoneFormat::Prototype);
  EXPECT_EQ(detect_zone_format("example.com TXT long\n   continued\n"), ZoneFormat::Prototype);
}

TEST(ZoneFormatDetection, MasterSignsWin) {
  EXPECT_EQ(detect_zone_format(""), ZoneFormat::Master);
  EXPECT_EQ(detect_zone_format("# only comments\n"), ZoneFormat::Master);
  EXPECT_EQ(detect_zone_format("$TTL 60\nexample.com. A 1.2.3.4\n"), ZoneFormat::Master);
  EXPECT_EQ(detect_zone_format("; c\nexample.com. A 1.2.3.4\n"), ZoneFormat::Master);
  EXPECT_EQ(detect_zone_format("example.com. 60 IN A 1.2.3.4\n"), ZoneFormat::Master);
  EXPECT_EQ(detect_zone_format("example.com. IN A 1.2.3.4\n"), ZoneFormat::Master);
  EXPECT_EQ(detect_zone_format("@ A 1.2.3.4\n"), ZoneFormat::Master);
  EXPECT_EQ(detect_zone_format("example.com. A 1.2.3.4\n   MX 10 mail\n"), ZoneFormat::Master);
  // A '#' comment style alone does not make a file prototype.
  EXPECT_EQ(detect_zone_format("# c\nexample.com. 60 IN A 1.2.3.4\n"), ZoneFormat::Master);
}

TEST(ZoneFormatDetection, ParseZoneDispatches) {
  auto proto = parse_zone("t.test TXT two words\n", "f", {});
  EXPECT_EQ(proto.records.at(0).rdata, bytes({9, 't', 'w', 'o', ' ', 'w', 'o', 'r', 'd', 's'}));
  auto master_file = parse_zone("t.test. 60 IN TXT two words\n", "f", {});
  EXPECT_EQ(master_file.records.at(0).rdata, bytes({3, 't', 'w', 'o', 5, 'w', 'o', 'r', 'd', 's'}));
}

TEST(ExampleZone, ShippedExampleOrgZoneLoads) {
  std::string text = read_repo_file("zone-files/example.org.zone");
  ASSERT_EQ(detect_zone_format(text), ZoneFormat::Master);
  ZoneParseResult r = parse_zone(text, "example.org.zone", {});
  std::map<uint16_t, int> types;
  for (const Record& rec : r.records) ++types[rec.type];
  for (uint16_t t : {type::SOA, type::NS, type::A, type::AAAA, type::CNAME, type::MX, type::TXT,
                     type::PTR, type::SRV, type::CAA}) {
    EXPECT_GT(types[t], 0) << type_to_text(t);
  }
  EXPECT_GT(types[65280], 0);
  bool wildcard = false;
  for (const Record& rec : r.records) wildcard = wildcard || rec.owner.is_wildcard();
  EXPECT_TRUE(wildcard);
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(master(print_zone(r.records)).records, r.records);
}

}  // namespace
}  // namespace dns
