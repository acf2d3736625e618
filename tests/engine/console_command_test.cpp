// The stdin command language: both record syntaxes for every supported type, the prototype's own
// zone lines, the other commands, and errors that name the line and the problem for any input.

#include "engine/console_command.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "dns/rdata.h"
#include "dns/record.h"
#include "dns/types.h"
#include "dns/zone_parser.h"

namespace engine {
namespace {

using dns::Name;
using dns::Record;
namespace type = dns::type;

// The record a master-file line stands for, read by the zone parser itself.
Record master_record(const std::string& line) {
  dns::ZoneParseResult r = dns::parse_master_file(line, "expected.zone", {});
  EXPECT_EQ(r.records.size(), 1u) << line;
  return r.records.at(0);
}

dns::Change expect_change(const std::string& line, const ConsoleDefaults& defaults = {}) {
  ConsoleCommand command = parse_console_line(line, 1, defaults);
  if (const auto* error = std::get_if<console::Error>(&command)) {
    ADD_FAILURE() << line << " -> " << error->message;
    return {};
  }
  EXPECT_TRUE(std::holds_alternative<console::Change>(command)) << line;
  return std::get<console::Change>(command).change;
}

Record expect_add(const std::string& line, const ConsoleDefaults& defaults = {}) {
  dns::Change change = expect_change(line, defaults);
  EXPECT_EQ(change.kind, dns::Change::Add) << line;
  return change.record;
}

std::string expect_error(std::string_view line, int line_number = 7) {
  ConsoleCommand command = parse_console_line(line, line_number, {});
  const auto* error = std::get_if<console::Error>(&command);
  if (!error) {
    ADD_FAILURE() << "no error for: " << line;
    return {};
  }
  EXPECT_TRUE(error->message.starts_with("line " + std::to_string(line_number) + ": "))
      << error->message;
  return error->message;
}

// One record type written in the prototype's syntax and in zone-file syntax, and the record
// both must give (TTL 3600, the default).
struct TypeCase {
  std::string prototype;
  std::string master;
  std::string expected;  // master-file line
};

const std::vector<TypeCase> kTypeCases = {
    {"ADD: example.com A 1.2.3.4", "ADD: example.com. 3600 IN A 1.2.3.4",
     "example.com. 3600 IN A 1.2.3.4"},
    {"ADD: example.com AAAA 2001:db8::1", "ADD: example.com. IN AAAA 2001:db8::1",
     "example.com. 3600 IN AAAA 2001:db8::1"},
    {"ADD: example.com NS ns1.fizzbuzz.com.", "ADD: example.com. 3600 NS ns1.fizzbuzz.com.",
     "example.com. 3600 IN NS ns1.fizzbuzz.com."},
    {"ADD: www.example.com CNAME fizzbuzz.com", "ADD: www.example.com. IN 3600 CNAME fizzbuzz.com.",
     "www.example.com. 3600 IN CNAME fizzbuzz.com."},
    {R"(ADD: example.com MX ["mx2.fizzbuzz.com.", 20])",
     "ADD: example.com. 1h IN MX 20 mx2.fizzbuzz.com.",
     "example.com. 3600 IN MX 20 mx2.fizzbuzz.com."},
    {"ADD: example.com TXT hello this is some text",
     R"(ADD: example.com. 3600 IN TXT "hello this is some text")",
     R"(example.com. 3600 IN TXT "hello this is some text")"},
    {R"(ADD: example.com SOA ["ns1.example.com", "dns.example.com"])",
     "ADD: example.com. 3600 IN SOA ns1.example.com. dns.example.com. 1 3600 600 86400 300",
     "example.com. 3600 IN SOA ns1.example.com. dns.example.com. 1 3600 600 86400 300"},
    {R"(ADD: _sip._tcp.example.com SRV [10, 5, 5060, "sip.example.com."])",
     "ADD: _sip._tcp.example.com. 3600 IN SRV 10 5 5060 sip.example.com.",
     "_sip._tcp.example.com. 3600 IN SRV 10 5 5060 sip.example.com."},
    {"ADD: 4.3.2.1.in-addr.arpa PTR example.com.",
     "ADD: 4.3.2.1.in-addr.arpa. 3600 IN PTR example.com.",
     "4.3.2.1.in-addr.arpa. 3600 IN PTR example.com."},
    {R"(ADD: example.com CAA [0, "issue", "letsencrypt.org"])",
     R"(ADD: example.com. 3600 IN CAA 0 issue "letsencrypt.org")",
     R"(example.com. 3600 IN CAA 0 issue "letsencrypt.org")"},
};

TEST(ConsoleCommand, EveryTypeInThePrototypeSyntax) {
  for (const TypeCase& c : kTypeCases) {
    EXPECT_EQ(expect_add(c.prototype), master_record(c.expected)) << c.prototype;
  }
}

TEST(ConsoleCommand, EveryTypeInZoneFileSyntax) {
  for (const TypeCase& c : kTypeCases) {
    EXPECT_EQ(expect_add(c.master), master_record(c.expected)) << c.master;
  }
}

TEST(ConsoleCommand, ZoneFileRdataWithoutTtlOrClass) {
  EXPECT_EQ(expect_add("ADD: mail.example.com. MX 10 mx.example.com."),
            master_record("mail.example.com. 3600 IN MX 10 mx.example.com."));
  EXPECT_EQ(expect_add(R"(ADD: example.com TXT "a b" c)"),
            master_record(R"(example.com. 3600 IN TXT "a b" "c")"));
  EXPECT_EQ(expect_add("ADD: example.com SOA ns1.example.com. dns.example.com. 7 1 2 3 4"),
            master_record("example.com. 3600 IN SOA ns1.example.com. dns.example.com. 7 1 2 3 4"));
  EXPECT_EQ(expect_add("ADD: example.com SRV 1 2 3 t.example.com."),
            master_record("example.com. 3600 IN SRV 1 2 3 t.example.com."));
  EXPECT_EQ(expect_add(R"(ADD: example.com TYPE65280 \# 2 abcd)"),
            master_record(R"(example.com. 3600 IN TYPE65280 \# 2 abcd)"));
}

TEST(ConsoleCommand, PrototypeTxtKeepsTheWholeValueAsOneString) {
  Record r = expect_add("ADD: example.com TXT  one  \"two\"  three ");
  EXPECT_EQ(dns::rdata_to_text(type::TXT, r.rdata), R"("one  \"two\"  three")");
  Record json = expect_add(R"(ADD: example.com TXT ["a b", "c"])");
  EXPECT_EQ(dns::rdata_to_text(type::TXT, json.rdata), R"("a b" "c")");
}

// The prototype's zone files, every line: the same record as the zone parser reads from the file.
TEST(ConsoleCommand, PrototypeZoneLinesAsAddCommands) {
  const std::vector<std::string> zone_lines = {
      // zf0.txt
      "example.com  A       1.2.3.4",
      "example.com  CNAME   fizzbuzz.com",
      R"(example.com  MX      ["fizzbuzz.com.", 5])",
      R"(example.com  MX      ["mx2.fizzbuzz.com.", 20])",
      R"(example.com  MX      ["mx3.fizzbuzz.com.", 30])",
      "example.com  NS      ns1.fizzbuzz.com.",
      "example.com  NS      ns2.fizzbuzz.com.",
      "example.com  TXT     hello this is some text",
      R"(example.com  SOA     ["ns1.example.com", "dns.example.com"])",
      // zf1.txt
      "cs244b.com  A       10.20.30.40",
      "cs244b.com  CNAME   stanford.com",
      R"(cs244b.com  MX      ["stanford.com.", 5])",
      R"(cs244b.com  MX      ["mx2.stanford.com.", 10])",
      R"(cs244b.com  MX      ["mx3.stanford.com.", 20])",
      "cs244b.com  NS      ns1.stanford.com.",
      "cs244b.com  NS      ns2.stanford.com.",
      "cs244b.com  TXT     hello this is some text",
      R"(cs244b.com  SOA     ["ns1.cs244b.com", "dns.cs244b.com"])",
      // zf2.txt
      "cats.com  A       1.2.3.4",
      "cats.com  CNAME   petsmart.com",
      R"(cats.com  MX      ["petsmart.com.", 1])",
      R"(cats.com  MX      ["mx2.petsmart.com.", 2])",
      R"(cats.com  MX      ["mx3.petsmart.com.", 3])",
      "cats.com  NS      ns1.petsmart.com.",
      "cats.com  NS      ns2.petsmart.com.",
      "cats.com  TXT     hello this is some text",
      R"(cats.com  SOA     ["ns1.cats.com", "dns.cats.com"])",
  };
  for (const std::string& line : zone_lines) {
    dns::ZoneParseResult file = dns::parse_prototype_zone(line, "zf.txt", {});
    ASSERT_EQ(file.records.size(), 1u) << line;
    EXPECT_EQ(expect_add("ADD: " + line), file.records[0]) << line;
    EXPECT_EQ(expect_add("ADD:" + line), file.records[0]) << line;
    EXPECT_EQ(expect_add("add:\t" + line), file.records[0]) << line;
    dns::Change removal = expect_change("REMOVE: " + line);
    EXPECT_EQ(removal.kind, dns::Change::Remove);
    EXPECT_EQ(removal.record, file.records[0]) << line;
  }
}

TEST(ConsoleCommand, KeywordsAndSeparators) {
  const Record expected = master_record("a.example. 3600 IN A 192.0.2.1");
  for (const std::string line :
       {"ADD: a.example A 192.0.2.1", "add: a.example a 192.0.2.1", "Add:a.example\tA\t192.0.2.1",
        "  ADD:\t a.example   A  192.0.2.1  \r", "ADD a.example A 192.0.2.1"}) {
    EXPECT_EQ(expect_add(line), expected) << line;
  }
  EXPECT_EQ(expect_change("remove:a.example A 192.0.2.1").kind, dns::Change::Remove);
  EXPECT_EQ(expect_change("REMOVE: a.example A 192.0.2.1").record, expected);
}

// Owners that would be a comment, a directive or two fields if written raw in a zone file.
TEST(ConsoleCommand, OwnersWithSpecialCharacters) {
  for (const std::string owner :
       {"\\@.", "\\#x.", "#x.", "\\;x.", "a\\ b.", "$x.", "\\$x.", "a\\000b.", "\\(x.", "."}) {
    Record r = expect_add("ADD: " + owner + " A 192.0.2.1");
    EXPECT_EQ(r.owner, Name::from_text(owner)) << owner;
    EXPECT_EQ(expect_add("ADD: " + owner + R"( TXT ["x"])").owner, Name::from_text(owner)) << owner;
  }
}

TEST(ConsoleCommand, OtherCommands) {
  EXPECT_TRUE(std::holds_alternative<console::Status>(parse_console_line("STATUS", 1, {})));
  EXPECT_TRUE(std::holds_alternative<console::Status>(parse_console_line(" status \r", 1, {})));
  EXPECT_TRUE(std::holds_alternative<console::Help>(parse_console_line("help", 1, {})));
  EXPECT_TRUE(std::holds_alternative<console::Help>(parse_console_line("HELP:", 1, {})));
  EXPECT_TRUE(std::holds_alternative<console::Reload>(parse_console_line("RELOAD", 1, {})));
  for (const char* line : {"", "   ", "\t\r", "# a comment", "  ; another", "#ADD: x A 1.2.3.4"}) {
    EXPECT_TRUE(std::holds_alternative<console::Empty>(parse_console_line(line, 1, {}))) << line;
  }
}

TEST(ConsoleCommand, DefaultsGiveTtlAndOrigin) {
  ConsoleDefaults defaults{.ttl = 60, .origin = Name::from_text("example.com.")};
  EXPECT_EQ(expect_add("ADD: www A 192.0.2.1", defaults),
            master_record("www.example.com. 60 IN A 192.0.2.1"));
  EXPECT_EQ(expect_add("ADD: @ MX 10 mail", defaults),
            master_record("example.com. 60 IN MX 10 mail.example.com."));
  EXPECT_EQ(expect_add("ADD: www.example.com. 300 A 192.0.2.1", defaults),
            master_record("www.example.com. 300 IN A 192.0.2.1"));
  // Names inside the prototype's JSON lists stay absolute, as in its zone files.
  EXPECT_EQ(expect_add(R"(ADD: @ MX ["mail", 10])", defaults),
            master_record("example.com. 60 IN MX 10 mail."));
  // The default origin is the root: names without a trailing dot are absolute.
  EXPECT_EQ(expect_add("ADD: www CNAME example.com"),
            master_record("www. 3600 IN CNAME example.com."));
}

TEST(ConsoleCommand, ErrorsNameTheLineAndTheProblem) {
  EXPECT_EQ(expect_error("ADD: example.com FOO 1", 3), "line 3: unknown type FOO");
  EXPECT_EQ(expect_error("ADD: example.com 300 IN FOO 1", 3), "line 3: unknown type FOO");
  EXPECT_TRUE(
      expect_error("ADD: example.com", 4).starts_with("line 4: expected 'ADD: name TYPE value'"));
  EXPECT_TRUE(expect_error("remove: example.com A", 4)
                  .starts_with("line 4: expected 'REMOVE: name TYPE value'"));
  EXPECT_TRUE(expect_error("ADD:", 4).starts_with("line 4: expected 'ADD: name TYPE value'"));
  const std::string bad_a = expect_error("ADD: example.com A 1.2.3", 5);
  EXPECT_TRUE(bad_a.starts_with("line 5: bad A record data")) << bad_a;
  EXPECT_NE(bad_a.find("'1.2.3'"), std::string::npos) << bad_a;

  struct Case {
    const char* line;
    const char* says;  // part of the message after "line 7: "
  };
  for (const Case& c : std::vector<Case>{
           {"ADDD: x A 1.2.3.4", "unknown command 'ADDD'"},
           {"fnord", "unknown command 'fnord'"},
           {"STATUS now", "STATUS takes no arguments"},
           {"HELP me", "HELP takes no arguments"},
           {"ADD: x ANY 1.2.3.4", "type ANY is for queries only"},
           {"ADD: x AXFR 1", "type AXFR is for queries only"},
           {"ADD: x AAAA 1.2.3.4", "bad AAAA record data"},
           {"ADD: x MX [\"a.\"]", "bad MX record data"},
           {"ADD: x MX [\"a.\", 70000]", "bad MX record data"},
           {"ADD: x MX [oops", "bad MX record data: expected a JSON list"},
           {"ADD: x MX ten a.", "bad MX record data"},
           {"ADD: x SOA [\"a\"]", "bad SOA record data"},
           {"ADD: x SRV 1 2 a.", "bad SRV record data"},
           {"ADD: x CAA 0 bad-tag! x", "bad CAA record data"},
           {"ADD: x 300 CH A 1.2.3.4", "expected class IN"},
           {"ADD: x TXT \"unterminated", "quote"},
           {"ADD: x A 1.2.3.4 (", "expected ')' to close this '('"},
           {"ADD: a..b A 1.2.3.4", "expected a domain name, found 'a..b'"},
           {"ADD: x A 1.2.3.4\x01", "control character 0x01 at column 17"},
       }) {
    const std::string message = expect_error(c.line);
    EXPECT_NE(message.find(c.says), std::string::npos) << c.line << " -> " << message;
  }
}

TEST(ConsoleCommand, GarbageIsAnErrorNotACrash) {
  EXPECT_NE(expect_error(std::string("ADD: x A \0\xff\xfe", 13)).find("control character 0x00"),
            std::string::npos);
  EXPECT_NE(expect_error(std::string(kMaxConsoleLineLength + 1, 'A')).find("line too long"),
            std::string::npos);
  const std::string long_txt = "ADD: x TXT " + std::string(100 * 1024, 'a');
  EXPECT_NE(expect_error(long_txt).find("line too long (102411 bytes"), std::string::npos);
  // Just under the limit: a TXT value of many 255-byte strings is still one valid record.
  const std::string big = "ADD: x TXT " + std::string(60000, 'b');
  Record r = expect_add(big);
  EXPECT_EQ(r.rdata.size(), 60000u + (60000 + 254) / 255);
  // A message quotes at most a short piece of a long line.
  const std::string message = expect_error("ADD: " + std::string(50000, 'x') + " FOO bar");
  EXPECT_LT(message.size(), 400u) << message.size();
}

TEST(ConsoleCommand, MembershipCommands) {
  EXPECT_TRUE(std::holds_alternative<console::Members>(parse_console_line("members", 1, {})));
  const ConsoleCommand add = parse_console_line("ADD-NODE 3 127.0.0.1:7003\t[::1]:53", 1, {});
  ASSERT_TRUE(std::holds_alternative<console::AddNode>(add));
  EXPECT_EQ(std::get<console::AddNode>(add).id, 3u);
  EXPECT_EQ(std::get<console::AddNode>(add).raft_address, "127.0.0.1:7003");
  EXPECT_EQ(std::get<console::AddNode>(add).dns_address, "[::1]:53");
  const ConsoleCommand remove = parse_console_line("remove-node 12", 1, {});
  ASSERT_TRUE(std::holds_alternative<console::RemoveNode>(remove));
  EXPECT_EQ(std::get<console::RemoveNode>(remove).id, 12u);
  for (const auto& [line, error] : std::vector<std::pair<std::string, std::string>>{
           {"MEMBERS now", "MEMBERS takes no arguments"},
           {"ADD-NODE 3 127.0.0.1:7003", "ADD-NODE takes a node id"},
           {"ADD-NODE x 127.0.0.1:7003 127.0.0.1:53", "node id 'x' is not a number"},
           {"ADD-NODE 3 127.0.0.1 127.0.0.1:53", "raft address '127.0.0.1' is not ip:port"},
           {"ADD-NODE 3 127.0.0.1:7003 127.0.0.1:70000", "DNS address"},
           {"ADD-NODE 3 127.0.0.1:7003 :53", "DNS address"},
           {"REMOVE-NODE", "REMOVE-NODE takes one node id"},
           {"REMOVE-NODE 1 2", "REMOVE-NODE takes one node id"},
           {"REMOVE-NODE 99999999999999999999", "is not a number"},
       }) {
    const ConsoleCommand c = parse_console_line(line, 4, {});
    ASSERT_TRUE(std::holds_alternative<console::Error>(c)) << line;
    EXPECT_NE(std::get<console::Error>(c).message.find(error), std::string::npos)
        << line << " -> " << std::get<console::Error>(c).message;
    EXPECT_TRUE(std::get<console::Error>(c).message.starts_with("line 4: ")) << line;
  }
}

TEST(ConsoleCommand, HelpExamplesAllParse) {
  std::istringstream help(console_help());
  size_t examples = 0;
  for (const char* command :
       {"ADD:", "REMOVE:", "STATUS", "RELOAD", "HELP", "MEMBERS", "ADD-NODE", "REMOVE-NODE"}) {
    EXPECT_NE(console_help().find(std::string("\n  ") + command), std::string::npos) << command;
  }
  for (std::string line; std::getline(help, line);) {
    std::string_view example = line;
    if (!example.starts_with("      ")) continue;
    ++examples;
    const ConsoleCommand command = parse_console_line(example, 1, {});
    if (example.find("-NODE") != std::string_view::npos)
      EXPECT_FALSE(std::holds_alternative<console::Error>(command)) << example;
    else
      EXPECT_TRUE(std::holds_alternative<console::Change>(command)) << example;
  }
  EXPECT_GE(examples, 10u);
}

// Valid records of the supported types with random owners, TTLs and rdata.
rc::Gen<Name> gen_name() {
  return rc::gen::map(rc::gen::container<std::vector<std::string>>(rc::gen::nonEmpty(
                          rc::gen::container<std::string>(rc::gen::weightedOneOf<char>(
                              {{8, rc::gen::elementOf(std::string("abcXYZ019-_*"))},
                               {1, rc::gen::arbitrary<char>()}})))),
                      [](const std::vector<std::string>& labels) {
                        std::string wire;
                        for (const std::string& label : labels) {
                          std::string l = label.substr(0, Name::kMaxLabelLength);
                          if (wire.size() + 1 + l.size() + 1 > Name::kMaxWireLength) break;
                          wire.push_back(static_cast<char>(l.size()));
                          wire += l;
                        }
                        wire.push_back('\0');
                        return Name::from_wire(std::span<const uint8_t>(
                            reinterpret_cast<const uint8_t*>(wire.data()), wire.size()));
                      });
}

std::vector<uint8_t> random_bytes(size_t n) {
  return *rc::gen::container<std::vector<uint8_t>>(n, rc::gen::arbitrary<uint8_t>());
}

void append(std::vector<uint8_t>& out, const Name& n) {
  out.insert(out.end(), n.wire().begin(), n.wire().end());
}

Record random_record() {
  Record r;
  r.owner = *gen_name();
  r.ttl = *rc::gen::inRange<uint32_t>(0, 2147483648u);
  r.type = *rc::gen::elementOf(std::vector<uint16_t>{type::A, type::AAAA, type::NS, type::CNAME,
                                                     type::PTR, type::MX, type::SOA, type::SRV,
                                                     type::TXT, type::CAA, 65280});
  switch (r.type) {
    case type::A:
      r.rdata = random_bytes(4);
      break;
    case type::AAAA:
      r.rdata = random_bytes(16);
      break;
    case type::NS:
    case type::CNAME:
    case type::PTR:
      append(r.rdata, *gen_name());
      break;
    case type::MX:
      r.rdata = random_bytes(2);
      append(r.rdata, *gen_name());
      break;
    case type::SRV:
      r.rdata = random_bytes(6);
      append(r.rdata, *gen_name());
      break;
    case type::SOA: {
      append(r.rdata, *gen_name());
      append(r.rdata, *gen_name());
      auto timers = random_bytes(20);
      r.rdata.insert(r.rdata.end(), timers.begin(), timers.end());
      break;
    }
    case type::TXT:
      for (size_t i = 0, n = *rc::gen::inRange<size_t>(1, 4); i < n; ++i) {
        size_t len = *rc::gen::inRange<size_t>(0, 256);
        r.rdata.push_back(static_cast<uint8_t>(len));
        auto s = random_bytes(len);
        r.rdata.insert(r.rdata.end(), s.begin(), s.end());
      }
      break;
    case type::CAA: {
      r.rdata.push_back(*rc::gen::arbitrary<uint8_t>());
      std::string tag = *rc::gen::element<std::string>("issue", "issuewild", "iodef", "X1");
      r.rdata.push_back(static_cast<uint8_t>(tag.size()));
      r.rdata.insert(r.rdata.end(), tag.begin(), tag.end());
      auto value = random_bytes(*rc::gen::inRange<size_t>(0, 40));
      r.rdata.insert(r.rdata.end(), value.begin(), value.end());
      break;
    }
    default:
      r.rdata = random_bytes(*rc::gen::inRange<size_t>(0, 40));
      break;
  }
  return r;
}

RC_GTEST_PROP(ConsoleCommandProperty, ToTextOfAnyRecordRoundTripsThroughAdd, ()) {
  const Record record = random_record();
  const std::string text = dns::to_text(record);
  const bool add = *rc::gen::arbitrary<bool>();
  ConsoleCommand command =
      parse_console_line((add ? "ADD: " : "REMOVE:\t") + text, 1, ConsoleDefaults{});
  const auto* change = std::get_if<console::Change>(&command);
  if (!change) {
    const auto* error = std::get_if<console::Error>(&command);
    RC_FAIL(text + " -> " + (error ? error->message : "not a change"));
  }
  RC_ASSERT(change->change.kind == (add ? dns::Change::Add : dns::Change::Remove));
  RC_ASSERT(change->change.record == record);
}

RC_GTEST_PROP(ConsoleCommandProperty, AnyLineGivesACommandOrAnErrorNamingTheLine, ()) {
  const std::string prefix = *rc::gen::element<std::string>("", "ADD: ", "REMOVE: ", "add:x ");
  const std::string line = prefix + *rc::gen::arbitrary<std::string>();
  const int number = *rc::gen::inRange(1, 1000000);
  ConsoleCommand command = parse_console_line(line, number, ConsoleDefaults{});
  if (const auto* error = std::get_if<console::Error>(&command)) {
    RC_ASSERT(error->message.starts_with("line " + std::to_string(number) + ": "));
    RC_ASSERT(error->message.size() > ("line " + std::to_string(number) + ": ").size());
  }
}

}  // namespace
}  // namespace engine
