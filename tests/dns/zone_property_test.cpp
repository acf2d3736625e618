// Property tests: random record sets survive print_zone -> parse_master_file, parsing printed
// text is stable, and the same records written with every master-file feature parse the same.

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "dns/rdata.h"
#include "dns/types.h"
#include "dns/zone_parser.h"

namespace dns {
namespace {

constexpr std::string_view kHostChars =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
constexpr std::string_view kAlnum = "abcdefghijklmnopqrstuvwxyz0123456789";

std::vector<uint8_t> random_bytes(int min_size, int max_size) {
  int n = *rc::gen::inRange(min_size, max_size + 1);
  return *rc::gen::container<std::vector<uint8_t>>(n, rc::gen::arbitrary<uint8_t>());
}

std::string random_text(std::string_view alphabet, int min_size, int max_size) {
  int n = *rc::gen::inRange(min_size, max_size + 1);
  std::string s;
  for (int i = 0; i < n; ++i) {
    s += alphabet[*rc::gen::inRange<size_t>(0, alphabet.size())];
  }
  return s;
}

// Mostly host-name labels; sometimes any octets (dots, quotes, `;`, `$`, `@`, NUL...) to exercise
// escaping, and sometimes the wildcard label.
std::string random_label() {
  switch (*rc::gen::inRange(0, 10)) {
    case 0: {
      std::vector<uint8_t> raw = random_bytes(1, 12);
      return std::string(raw.begin(), raw.end());
    }
    case 1:
      return "*";
    default:
      return random_text(kHostChars, 1, 12);
  }
}

Name random_name(const Name& under = Name()) {
  Name name = under;
  int labels = *rc::gen::inRange(0, 5);
  for (int i = 0; i < labels; ++i) name = name.prepend(random_label());
  return name;
}

void append(std::vector<uint8_t>& out, const std::vector<uint8_t>& more) {
  out.insert(out.end(), more.begin(), more.end());
}

void append_name(std::vector<uint8_t>& out, const Name& name) {
  out.insert(out.end(), name.wire().begin(), name.wire().end());
}

std::vector<uint8_t> random_rdata(uint16_t rtype) {
  std::vector<uint8_t> out;
  switch (rtype) {
    case type::A:
      return random_bytes(4, 4);
    case type::AAAA:
      return random_bytes(16, 16);
    case type::NS:
    case type::CNAME:
    case type::PTR:
      append_name(out, random_name());
      return out;
    case type::MX:
      out = random_bytes(2, 2);
      append_name(out, random_name());
      return out;
    case type::SRV:
      out = random_bytes(6, 6);
      append_name(out, random_name());
      return out;
    case type::SOA: {
      auto n = [] { return *rc::gen::arbitrary<uint32_t>(); };
      return soa_to_rdata({random_name(), random_name(), n(), n(), n(), n(), n()});
    }
    case type::TXT: {
      int strings = *rc::gen::inRange(1, 4);
      for (int i = 0; i < strings; ++i) {
        std::vector<uint8_t> s =
            *rc::gen::inRange(0, 8) == 0 ? random_bytes(255, 255) : random_bytes(0, 40);
        out.push_back(static_cast<uint8_t>(s.size()));
        append(out, s);
      }
      return out;
    }
    case type::CAA: {
      std::string tag = random_text(kAlnum, 1, 15);
      out.push_back(*rc::gen::element<uint8_t>(uint8_t{0}, uint8_t{128}));
      out.push_back(static_cast<uint8_t>(tag.size()));
      out.insert(out.end(), tag.begin(), tag.end());
      append(out, random_bytes(0, 30));
      return out;
    }
    default:  // a type without a presentation format: RFC 3597 `\# len hex`
      return random_bytes(0, 40);
  }
}

Record random_record(const Name& under) {
  Record r;
  r.owner = random_name(under);
  static const std::vector<uint16_t> kTypes = {type::A,   type::AAAA, type::NS,  type::CNAME,
                                               type::PTR, type::MX,   type::SRV, type::SOA,
                                               type::TXT, type::CAA,  1000,      65280};
  r.type = *rc::gen::elementOf(kTypes);
  r.rclass = rclass::IN;
  r.ttl = *rc::gen::inRange<uint32_t>(0, 2147483648u);
  r.rdata = random_rdata(r.type);
  return r;
}

std::vector<Record> random_records(const Name& under = Name()) {
  int n = *rc::gen::inRange(0, 25);
  std::vector<Record> records;
  for (int i = 0; i < n; ++i) records.push_back(random_record(under));
  return records;
}

bool same_multiset(const std::vector<Record>& a, const std::vector<Record>& b) {
  if (a.size() != b.size()) return false;
  std::vector<bool> used(b.size(), false);
  for (const Record& x : a) {
    bool found = false;
    for (size_t j = 0; j < b.size() && !found; ++j) {
      if (!used[j] && b[j] == x) used[j] = found = true;
    }
    if (!found) return false;
  }
  return true;
}

// The owner as written in a file whose $ORIGIN is `origin`: relative when that reads back the
// same, else absolute.
std::string owner_field(const Name& owner, const Name& origin) {
  std::string full = owner.to_text();
  if (owner.is_root()) return full;
  if (origin.is_root()) return full.substr(0, full.size() - 1);
  std::string suffix = "." + origin.to_text();
  if (full.size() > suffix.size() && full.ends_with(suffix)) {
    return full.substr(0, full.size() - suffix.size());
  }
  return full;
}

// `records` as a master file using $ORIGIN, $TTL, @, relative and blank owners, omitted or
// reordered TTL and class, lower-case mnemonics, parentheses, comments and CRLF at random.
std::string render_with_features(const std::vector<Record>& records, const Name& origin) {
  auto coin = [] { return *rc::gen::arbitrary<bool>(); };
  const std::string eol = coin() ? "\r\n" : "\n";
  const uint32_t dollar_ttl = records.empty() || coin() ? 3600 : records[0].ttl;
  std::string text = "; generated" + eol;
  text += "$ORIGIN " + origin.to_text() + eol;
  text += "$TTL " + std::to_string(dollar_ttl) + " ; default" + eol;
  const Record* previous = nullptr;
  for (const Record& r : records) {
    std::string line;
    if (previous && previous->owner.wire() == r.owner.wire() && coin()) {
      line = "\t";
    } else if (r.owner.wire() == origin.wire() && coin()) {
      line = "@ ";
    } else {
      line = (coin() ? owner_field(r.owner, origin) : r.owner.to_text()) + " ";
    }
    std::string ttl = r.ttl == dollar_ttl && coin() ? "" : std::to_string(r.ttl) + " ";
    std::string rclass = coin() ? "IN " : (coin() ? "in " : "");
    line += coin() ? ttl + rclass : rclass + ttl;
    std::string mnemonic = type_to_text(r.type);
    if (coin()) {
      for (char& c : mnemonic) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    line += mnemonic + " ";
    std::string rdata = rdata_to_text(r.type, r.rdata);
    line += coin() ? "( " + rdata + " ; inside" + eol + "  )" : rdata;
    if (coin()) line += " ; comment";
    text += line + eol;
    previous = &r;
  }
  return text;
}

RC_GTEST_PROP(ZoneRoundTrip, RecordsSurvivePrintThenParse, ()) {
  std::vector<Record> records = random_records();
  std::string text = print_zone(records);
  RC_LOG() << text;
  ZoneParseResult parsed = parse_master_file(text, "printed.zone", {});
  RC_ASSERT(same_multiset(parsed.records, records));
}

RC_GTEST_PROP(ZoneRoundTrip, ParsePrintParseIsStable, ()) {
  std::string text = print_zone(random_records());
  RC_LOG() << text;
  ZoneParseResult first = parse_master_file(text, "first.zone", {});
  std::string printed = print_zone(first.records);
  RC_ASSERT(printed == text);
  ZoneParseResult second = parse_master_file(printed, "second.zone", {});
  RC_ASSERT(second.records == first.records);
  RC_ASSERT(second.warnings.size() == first.warnings.size());
}

RC_GTEST_PROP(ZoneRoundTrip, EveryMasterFileFeatureReadsBackTheSameRecords, ()) {
  Name origin = random_name();
  std::vector<Record> records = random_records(origin);
  // Some records outside the origin too: they must be written absolute.
  for (Record& r : random_records()) records.push_back(std::move(r));
  std::string text = render_with_features(records, origin);
  RC_LOG() << text;
  ZoneParseResult parsed = parse_master_file(text, "features.zone", {});
  RC_ASSERT(parsed.records == records);
  // The same records read from the prototype-free auto-detecting entry point.
  RC_ASSERT(parse_zone(text, "features.zone", {}).records == records);
}

}  // namespace
}  // namespace dns
