// Console lines -> commands. Record text goes to the zone-file parsers of dns/ (one line is a
// one-record zone file), so the console accepts exactly what zone files accept.

#include "engine/console_command.h"

#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "dns/error.h"
#include "dns/types.h"
#include "dns/zone_checks.h"
#include "dns/zone_error.h"
#include "dns/zone_parser.h"

namespace engine {

namespace {

constexpr size_t kMaxShownLength = 80;

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_blank(s.front()))) s.remove_prefix(1);
  while (!s.empty() && (is_blank(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

char ascii_upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_upper(c);
  return out;
}

// User text quoted for an error message, cut short so a huge line cannot flood the reply.
std::string shown(std::string_view s) {
  if (s.size() <= kMaxShownLength) return fmt::format("'{}'", s);
  return fmt::format("'{}...' ({} bytes)", s.substr(0, kMaxShownLength), s.size());
}

// The next field starting at pos: a run of non-blanks where a backslash also takes the character
// after it (so `a\ b.example.` is one name, as in a zone file). Empty at the end of s.
std::string_view next_word(std::string_view s, size_t& pos) {
  while (pos < s.size() && is_blank(s[pos])) ++pos;
  size_t start = pos;
  while (pos < s.size() && !is_blank(s[pos])) pos += (s[pos] == '\\' && pos + 1 < s.size()) ? 2 : 1;
  return s.substr(start, pos - start);
}

// Thrown inside this file only; becomes console::Error with the line number in front.
struct LineError {
  std::string message;
};

// The zone-file syntax a record's text is written in.
enum class RecordSyntax { Prototype, Master };

dns::Record parse_record(std::string_view keyword, std::string_view text,
                         const ConsoleDefaults& defaults) {
  auto usage = [&]() -> LineError {
    return {
        fmt::format("expected '{}: name TYPE value' or '{}: name [TTL] [IN] TYPE rdata', found "
                    "{}",
                    keyword, keyword, shown(fmt::format("{}: {}", keyword, text)))};
  };
  size_t pos = 0;
  const std::string_view owner_text = next_word(text, pos);
  const size_t after_owner = pos;

  // An optional TTL and class (either order) before the type, as in a master file.
  bool ttl_or_class = false;
  bool have_ttl = false, have_class = false;
  std::string_view type_text;
  for (;;) {
    type_text = next_word(text, pos);
    if (type_text.empty()) throw usage();
    if (dns::type_from_text(type_text)) break;
    if (!have_ttl && dns::parse_ttl(type_text)) {
      have_ttl = true;
    } else if (!have_class && dns::class_from_text(type_text)) {
      have_class = true;
    } else {
      break;
    }
    ttl_or_class = true;
  }
  const std::optional<uint16_t> rtype = dns::type_from_text(type_text);
  if (!rtype) throw LineError{fmt::format("unknown type {}", type_text)};
  if (!dns::is_zone_data_type(*rtype)) {
    throw LineError{fmt::format("type {} is for queries only; it cannot be added or removed",
                                upper(type_text))};
  }
  const std::string_view value = trim(text.substr(pos));
  if (value.empty()) throw usage();

  dns::Name owner;
  try {
    owner = dns::Name::from_text(owner_text, defaults.origin);
  } catch (const dns::Error& e) {
    throw LineError{
        fmt::format("expected a domain name, found {}: {}", shown(owner_text), e.what())};
  }

  // Both syntaxes read `name TYPE value` the same way except for JSON lists and unquoted TXT,
  // which only the prototype's syntax gives a meaning (a TXT value of several words is one
  // string there, several strings in a master file).
  const RecordSyntax syntax =
      !ttl_or_class && (value.front() == '[' || (*rtype == dns::type::TXT && value.front() != '"'))
          ? RecordSyntax::Prototype
          : RecordSyntax::Master;

  dns::ZoneParseOptions opts;
  opts.origin = defaults.origin;
  opts.default_ttl = defaults.ttl;
  // The owner is parsed above (with the origin, which the prototype parser ignores); the
  // parsers get the root in its place, which neither can mistake for a comment or directive.
  dns::ZoneParseResult parsed;
  try {
    if (syntax == RecordSyntax::Prototype) {
      parsed = dns::parse_prototype_zone(fmt::format(". {} {}", type_text, value), "", opts);
    } else {
      parsed = dns::parse_master_file(fmt::format(".{}", text.substr(after_owner)), "", opts);
    }
  } catch (const dns::ZoneError& e) {
    throw LineError{e.message};
  } catch (const dns::Error& e) {
    throw LineError{e.what()};
  }
  if (parsed.records.size() != 1) throw usage();
  dns::Record record = std::move(parsed.records.front());
  record.owner = std::move(owner);
  return record;
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    size_t end = 0;
    while (end < s.size() && !is_blank(s[end])) ++end;
    out.push_back(s.substr(0, end));
    s = trim(s.substr(end));
  }
  return out;
}

std::uint64_t parse_node_id(std::string_view keyword, std::string_view text) {
  std::uint64_t value = 0;
  bool ok = !text.empty() && text.size() <= 19;
  for (char c : text) {
    if (c < '0' || c > '9') ok = false;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (!ok) throw LineError{fmt::format("{}: node id {} is not a number", keyword, shown(text))};
  return value;
}

std::string parse_address(std::string_view keyword, std::string_view what, std::string_view text) {
  const size_t colon = text.rfind(':');
  bool ok = colon != std::string_view::npos && colon > 0 && colon + 1 < text.size() &&
            colon + 6 >= text.size();
  unsigned port = 0;
  if (ok)
    for (char c : text.substr(colon + 1)) {
      if (c < '0' || c > '9') ok = false;
      port = port * 10 + static_cast<unsigned>(c - '0');
    }
  if (!ok || port == 0 || port > 65535)
    throw LineError{fmt::format("{}: {} address {} is not ip:port", keyword, what, shown(text))};
  return std::string(text);
}

ConsoleCommand parse_line(std::string_view line, const ConsoleDefaults& defaults) {
  if (line.size() > kMaxConsoleLineLength) {
    throw LineError{
        fmt::format("line too long ({} bytes; at most {})", line.size(), kMaxConsoleLineLength)};
  }
  line = trim(line);
  for (size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      throw LineError{fmt::format("unexpected control character 0x{:02x} at column {}", c, i + 1)};
    }
  }
  if (line.empty() || line.front() == '#' || line.front() == ';') return console::Empty{};

  size_t end = 0;
  while (end < line.size() && !is_blank(line[end]) && line[end] != ':') ++end;
  const std::string keyword = upper(line.substr(0, end));
  std::string_view rest = line.substr(end);
  if (!rest.empty() && rest.front() == ':') rest.remove_prefix(1);
  rest = trim(rest);

  if (keyword == "ADD" || keyword == "REMOVE") {
    return console::Change{dns::Change{
        .kind = keyword == "ADD" ? dns::Change::Add : dns::Change::Remove,
        .record = parse_record(keyword, rest, defaults),
    }};
  }
  auto no_arguments = [&](ConsoleCommand command) -> ConsoleCommand {
    if (!rest.empty()) {
      throw LineError{fmt::format("{} takes no arguments, found {}", keyword, shown(rest))};
    }
    return command;
  };
  if (keyword == "STATUS") return no_arguments(console::Status{});
  if (keyword == "HELP") return no_arguments(console::Help{});
  if (keyword == "RELOAD") return no_arguments(console::Reload{});
  if (keyword == "MEMBERS") return no_arguments(console::Members{});
  if (keyword == "ADD-NODE") {
    const auto args = words(rest);
    if (args.size() != 3)
      throw LineError{
          "ADD-NODE takes a node id, its raft ip:port and its DNS ip:port, e.g. "
          "ADD-NODE 3 10.0.0.4:7000 10.0.0.4:53"};
    return console::AddNode{parse_node_id(keyword, args[0]),
                            parse_address(keyword, "raft", args[1]),
                            parse_address(keyword, "DNS", args[2])};
  }
  if (keyword == "REMOVE-NODE") {
    const auto args = words(rest);
    if (args.size() != 1) throw LineError{"REMOVE-NODE takes one node id, e.g. REMOVE-NODE 2"};
    return console::RemoveNode{parse_node_id(keyword, args[0])};
  }
  throw LineError{
      fmt::format("unknown command {}; expected ADD:, REMOVE:, STATUS, RELOAD, MEMBERS, ADD-NODE, "
                  "REMOVE-NODE or HELP (type HELP for examples)",
                  shown(line.substr(0, end)))};
}

}  // namespace

ConsoleCommand parse_console_line(std::string_view line, int line_number,
                                  const ConsoleDefaults& defaults) {
  try {
    return parse_line(line, defaults);
  } catch (const LineError& e) {
    return console::Error{fmt::format("line {}: {}", line_number, e.message)};
  }
}

const std::string& console_help() {
  static const std::string text =
      R"(Commands (keywords in any case; fields separated by spaces or tabs):
  ADD: name TYPE value             add a record, value in the prototype's zone-file syntax
      ADD: example.com A 1.2.3.4
      ADD: example.com MX ["mx.example.com.", 10]
      ADD: example.com SOA ["ns1.example.com", "dns.example.com"]
      ADD: example.com TXT hello this is some text
  ADD: name [TTL] [IN] TYPE rdata  add a record, rdata in RFC 1035 zone-file syntax
      ADD: www.example.com. 300 IN AAAA 2001:db8::1
      ADD: example.com. MX 10 mx.example.com.
      ADD: example.com. TXT "one string" "another string"
      ADD: _sip._tcp.example.com. 3600 SRV 10 5 5060 sip.example.com.
      ADD: 4.3.2.1.in-addr.arpa. PTR example.com.
      ADD: example.com. CAA 0 issue "letsencrypt.org"
      ADD: example.com. SOA ns1.example.com. dns.example.com. 1 3600 600 86400 300
  REMOVE: name TYPE value          remove a record, in either syntax (its TTL does not matter)
      REMOVE: example.com A 1.2.3.4
      REMOVE: example.com. 300 IN NS ns1.example.com.
  STATUS                           role, term, leader, commit index, pending size, acks, local hw
  RELOAD                           import this node's zone file again
  MEMBERS                          voters, learners, leader: OK voters=0,1,2 learners= leader=1
  ADD-NODE id raft-addr dns-addr   add a learner (start it with --join), promoted once caught up
      ADD-NODE 3 10.0.0.4:7000 10.0.0.4:53
  REMOVE-NODE id                   remove a voter or learner (e.g. a dead node)
      REMOVE-NODE 2
  HELP                             this text
Types: A AAAA NS CNAME MX TXT SOA SRV PTR CAA, and any type as TYPEnnn \# length hex.
Names without a trailing dot are absolute (relative to the node's origin, the root by default).
A record without a TTL gets the node's default TTL. Lines starting with # or ; are ignored.
)";
  return text;
}

}  // namespace engine
