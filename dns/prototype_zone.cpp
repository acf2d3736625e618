// The 2017 prototype's zone format (`name TYPE value` lines) and the rule that tells it apart
// from an RFC 1035 master file.

#include <algorithm>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dns/rdata.h"
#include "dns/types.h"
#include "dns/zone_checks.h"
#include "dns/zone_lexer.h"
#include "dns/zone_parser.h"

namespace dns {

namespace {

constexpr size_t kMaxCharacterString = 255;

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  return s;
}

// Calls fn(line_number, line) for each physical line, without its line end.
template <typename Fn>
void for_each_line(std::string_view text, Fn&& fn) {
  size_t line_number = 1;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    fn(line_number++, line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

// A line split like Python's `line.split(maxsplit=2)`: host, type, and the rest.
struct PrototypeFields {
  std::string_view host, type, value;
};

PrototypeFields split_fields(std::string_view line) {
  PrototypeFields f;
  auto take_word = [&line]() {
    line = trim_left(line);
    size_t end = 0;
    while (end < line.size() && !is_blank(line[end])) ++end;
    std::string_view word = line.substr(0, end);
    line.remove_prefix(end);
    return word;
  };
  f.host = take_word();
  f.type = take_word();
  f.value = trim_right(trim_left(line));
  return f;
}

// One record line after continuation lines are joined onto it.
struct PrototypeLine {
  size_t line;
  std::string text;
};

std::vector<PrototypeLine> join_lines(std::string_view text, const std::string& file_name) {
  std::vector<PrototypeLine> lines;
  for_each_line(text, [&](size_t number, std::string_view line) {
    if (line.starts_with('#')) return;
    std::string_view content = trim_right(line);
    if (trim_left(content).empty()) return;
    if (is_blank(content.front())) {
      if (lines.empty()) {
        throw ZoneError(file_name, number,
                        "expected a record line before this continuation line (it starts with "
                        "whitespace), found none");
      }
      lines.back().text += trim_left(content);
    } else {
      lines.push_back({number, std::string(content)});
    }
  });
  return lines;
}

// TXT rdata holding `value` as character-strings of at most 255 octets each, taken verbatim (the
// prototype has no escapes).
std::vector<uint8_t> txt_rdata(std::span<const std::string> strings) {
  std::vector<uint8_t> rdata;
  for (const std::string& s : strings) {
    size_t pos = 0;
    do {
      size_t n = std::min(kMaxCharacterString, s.size() - pos);
      rdata.push_back(static_cast<uint8_t>(n));
      rdata.insert(rdata.end(), s.begin() + pos, s.begin() + pos + n);
      pos += n;
    } while (pos < s.size());
  }
  return rdata;
}

// A JSON string as a master-file field: backslashes are literal in the prototype.
TextToken json_string_field(const std::string& s) {
  TextToken token;
  for (char c : s) {
    if (c == '\\' || c == '"') token.text += '\\';
    token.text += c;
  }
  token.quoted = s.empty() || std::any_of(s.begin(), s.end(), is_blank);
  return token;
}

const std::string& expect_string(const nlohmann::json& item, std::string_view what) {
  if (!item.is_string()) {
    throw Error(fmt::format("expected a JSON string for {}, found {}", what, item.dump()));
  }
  return item.get_ref<const std::string&>();
}

uint64_t expect_number(const nlohmann::json& item, std::string_view what, uint64_t max) {
  if (!item.is_number_unsigned() || item.get<uint64_t>() > max) {
    throw Error(fmt::format("expected a JSON number from 0 to {} for {}, found {}", max, what,
                            item.dump()));
  }
  return item.get<uint64_t>();
}

std::vector<uint8_t> soa_from_json(const nlohmann::json& list) {
  if (list.size() != 2 && list.size() != 7) {
    throw Error(
        fmt::format("expected [\"mname\", \"rname\"] or all 7 SOA fields, found a list of {} items",
                    list.size()));
  }
  SoaFields soa{.mname = Name::from_text(expect_string(list[0], "SOA mname")),
                .rname = Name::from_text(expect_string(list[1], "SOA rname")),
                .serial = kPrototypeSoaSerial,
                .refresh = kPrototypeSoaRefresh,
                .retry = kPrototypeSoaRetry,
                .expire = kPrototypeSoaExpire,
                .minimum = kPrototypeSoaMinimum};
  if (list.size() == 7) {
    constexpr uint64_t kMax = std::numeric_limits<uint32_t>::max();
    soa.serial = static_cast<uint32_t>(expect_number(list[2], "SOA serial", kMax));
    soa.refresh = static_cast<uint32_t>(expect_number(list[3], "SOA refresh", kMax));
    soa.retry = static_cast<uint32_t>(expect_number(list[4], "SOA retry", kMax));
    soa.expire = static_cast<uint32_t>(expect_number(list[5], "SOA expire", kMax));
    soa.minimum = static_cast<uint32_t>(expect_number(list[6], "SOA minimum", kMax));
  }
  return soa_to_rdata(soa);
}

std::vector<uint8_t> rdata_from_json(uint16_t rtype, std::string_view value) {
  nlohmann::json list;
  try {
    list = nlohmann::json::parse(value);
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("expected a JSON list, found '{}' ({})", value, e.what()));
  }
  if (!list.is_array()) throw Error(fmt::format("expected a JSON list, found '{}'", value));
  if (rtype == type::SOA) return soa_from_json(list);
  if (rtype == type::MX) {
    if (list.size() != 2) {
      throw Error(fmt::format("expected [\"exchange\", preference], found a list of {} items",
                              list.size()));
    }
    const TextToken fields[] = {
        {std::to_string(expect_number(list[1], "MX preference", 65535)), false},
        json_string_field(expect_string(list[0], "MX exchange"))};
    return rdata_from_text(rtype, fields, Name());
  }
  if (rtype == type::TXT) {
    std::vector<std::string> strings;
    for (const nlohmann::json& item : list) strings.push_back(expect_string(item, "TXT"));
    if (strings.empty()) throw Error("expected at least one string in the TXT list, found []");
    return txt_rdata(strings);
  }
  std::vector<TextToken> fields;
  for (const nlohmann::json& item : list) {
    if (item.is_string()) {
      fields.push_back(json_string_field(item.get_ref<const std::string&>()));
    } else if (item.is_number_integer()) {
      fields.push_back({item.dump(), false});
    } else {
      throw Error(fmt::format("expected JSON strings or integers, found {}", item.dump()));
    }
  }
  return rdata_from_text(rtype, fields, Name());
}

std::vector<uint8_t> rdata_from_value(uint16_t rtype, std::string_view value) {
  if (value.starts_with('[')) return rdata_from_json(rtype, value);
  if (rtype == type::TXT) {
    const std::string whole(value);
    return txt_rdata(std::span(&whole, 1));
  }
  // Other types read the value in master-file syntax (quotes, escapes), names absolute.
  ZoneLexer lexer(value, "");
  std::vector<TextToken> fields;
  try {
    if (std::optional<ZoneEntry> entry = lexer.next()) fields = std::move(entry->fields);
  } catch (const ZoneError& e) {
    throw Error(e.message);
  }
  return rdata_from_text(rtype, fields, Name());
}

}  // namespace

ZoneParseResult parse_prototype_zone(std::string_view text, const std::string& file_name,
                                     const ZoneParseOptions& opts) {
  ZoneParseResult result;
  std::vector<RecordLocation> locations;
  for (const PrototypeLine& line : join_lines(text, file_name)) {
    auto fail = [&](const std::string& message) -> void {
      throw ZoneError(file_name, line.line, message);
    };
    PrototypeFields f = split_fields(line.text);
    if (f.value.empty()) {
      fail(fmt::format("expected 'name TYPE value', found '{}'", line.text));
    }
    Record rec;
    try {
      rec.owner = Name::from_text(f.host);
    } catch (const Error& e) {
      fail(fmt::format("expected a domain name: {}", e.what()));
    }
    std::optional<uint16_t> rtype = type_from_text(f.type);
    if (!rtype || !is_zone_data_type(*rtype)) {
      fail(fmt::format("expected a record type (A, NS, MX, ...) after the name, found '{}'",
                       f.type));
    }
    rec.type = *rtype;
    rec.rclass = rclass::IN;
    rec.ttl = opts.default_ttl;
    try {
      rec.rdata = rdata_from_value(rec.type, f.value);
    } catch (const Error& e) {
      fail(fmt::format("bad {} record data: {}", type_to_text(rec.type), e.what()));
    }
    result.records.push_back(std::move(rec));
    locations.push_back({&file_name, line.line});
  }
  result.warnings = find_cname_conflicts(result.records, locations);
  return result;
}

ZoneFormat detect_zone_format(std::string_view text) {
  bool any_data_line = false;
  bool continuation_allowed = false;  // the last data line was TXT or a JSON list
  bool master = false;
  for_each_line(text, [&](size_t, std::string_view line) {
    if (master) return;
    std::string_view content = trim_right(line);
    std::string_view stripped = trim_left(content);
    if (stripped.empty() || line.starts_with('#')) return;
    if (line.starts_with('$') || stripped.starts_with(';')) {
      master = true;
    } else if (is_blank(content.front())) {
      master = !continuation_allowed;
    } else {
      PrototypeFields f = split_fields(content);
      std::optional<uint16_t> rtype = type_from_text(f.type);
      if (f.value.empty() || f.host == "@" || !rtype || !is_zone_data_type(*rtype)) {
        master = true;
      } else {
        any_data_line = true;
        continuation_allowed = *rtype == type::TXT || f.value.starts_with('[');
      }
    }
  });
  return master || !any_data_line ? ZoneFormat::Master : ZoneFormat::Prototype;
}

}  // namespace dns
