#include "dns/rdata.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "dns/error.h"
#include "dns/types.h"
#include "dns/wire.h"

namespace dns {

namespace wire {

const RdataLayout* name_layout(uint16_t type) {
  static constexpr RdataLayout kSingleName{1, {{true, 0}}, true};
  static constexpr RdataLayout kMx{2, {{false, 2}, {true, 0}}, true};
  static constexpr RdataLayout kSoa{3, {{true, 0}, {true, 0}, {false, 20}}, true};
  static constexpr RdataLayout kSrv{2, {{false, 6}, {true, 0}}, false};
  switch (type) {
    case type::NS:
    case type::CNAME:
    case type::PTR:
      return &kSingleName;
    case type::MX:
      return &kMx;
    case type::SOA:
      return &kSoa;
    case type::SRV:
      return &kSrv;
    default:
      return nullptr;
  }
}

}  // namespace wire

namespace {

// Visits each field of name-bearing rdata; returns false if the rdata does not match the layout.
template <typename OnName>
bool walk_layout(const wire::RdataLayout& layout, std::span<const uint8_t> rdata,
                 OnName&& on_name) {
  size_t pos = 0;
  for (uint8_t f = 0; f < layout.field_count; ++f) {
    const auto& field = layout.fields[f];
    if (field.is_name) {
      size_t len = wire::uncompressed_name_length(rdata.subspan(pos));
      if (len == 0) return false;
      on_name(pos, len);
      pos += len;
    } else {
      if (rdata.size() - pos < field.fixed_size) return false;
      pos += field.fixed_size;
    }
  }
  return pos == rdata.size();
}

bool is_alnum(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

uint16_t get16(std::span<const uint8_t> d, size_t pos) {
  return static_cast<uint16_t>(d[pos] << 8 | d[pos + 1]);
}
uint32_t get32(std::span<const uint8_t> d, size_t pos) {
  return uint32_t{d[pos]} << 24 | uint32_t{d[pos + 1]} << 16 | uint32_t{d[pos + 2]} << 8 |
         uint32_t{d[pos + 3]};
}
void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void put32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}
void put_name(std::vector<uint8_t>& out, const Name& name) {
  out.insert(out.end(), name.wire().begin(), name.wire().end());
}

std::string shown(const TextToken& t) {
  return t.quoted ? fmt::format("\"{}\"", t.text) : fmt::format("'{}'", t.text);
}

void expect_field_count(uint16_t type, std::span<const TextToken> fields, size_t n,
                        std::string_view layout) {
  if (fields.size() != n) {
    throw Error(fmt::format("expected {} field{} ({}) for {} rdata, got {}", n, n == 1 ? "" : "s",
                            layout, type_to_text(type), fields.size()));
  }
}

uint64_t parse_number(const TextToken& t, uint64_t max, std::string_view what) {
  uint64_t value = 0;
  const char* begin = t.text.data();
  const char* end = begin + t.text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (t.text.empty() || ec != std::errc() || ptr != end || value > max) {
    throw Error(fmt::format("expected a number from 0 to {} for {}, got {}", max, what, shown(t)));
  }
  return value;
}

// A 32-bit duration: plain seconds or BIND-style units ("1h30m", "2d", "1w").
uint32_t parse_duration(const TextToken& t, std::string_view what) {
  uint64_t total = 0, current = 0;
  bool digits = false, ok = !t.text.empty();
  for (char c : t.text) {
    if (c >= '0' && c <= '9') {
      current = current * 10 + static_cast<uint64_t>(c - '0');
      digits = true;
      if (current > 0xffffffffu) ok = false;
    } else {
      uint64_t unit = 0;
      switch (c | 0x20) {
        case 's':
          unit = 1;
          break;
        case 'm':
          unit = 60;
          break;
        case 'h':
          unit = 3600;
          break;
        case 'd':
          unit = 86400;
          break;
        case 'w':
          unit = 604800;
          break;
        default:
          break;
      }
      if (!unit || !digits) ok = false;
      total += current * unit;
      current = 0;
      digits = false;
    }
    if (!ok || total > 0xffffffffu) {
      ok = false;
      break;
    }
  }
  total += current;
  if (!ok || total > 0xffffffffu) {
    throw Error(fmt::format(
        "expected a 32-bit number of seconds (optionally with s/m/h/d/w units) for {}, got {}",
        what, shown(t)));
  }
  return static_cast<uint32_t>(total);
}

// Decodes \DDD and \X escapes of one character-string; at most 255 octets.
std::string decode_char_string(const TextToken& t, std::string_view what) {
  std::string out;
  const std::string& s = t.text;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 1 >= s.size()) {
      throw Error(fmt::format("expected a character or \\DDD after the final '\\' in {} {}", what,
                              shown(t)));
    }
    char next = s[i + 1];
    if (next >= '0' && next <= '9') {
      if (i + 3 >= s.size() || s[i + 2] < '0' || s[i + 2] > '9' || s[i + 3] < '0' ||
          s[i + 3] > '9') {
        throw Error(
            fmt::format("expected three decimal digits after '\\' in {} {}", what, shown(t)));
      }
      int v = (next - '0') * 100 + (s[i + 2] - '0') * 10 + (s[i + 3] - '0');
      if (v > 255) {
        throw Error(
            fmt::format("escape \\{} is above 255 in {} {}", s.substr(i + 1, 3), what, shown(t)));
      }
      out.push_back(static_cast<char>(v));
      i += 3;
    } else {
      out.push_back(next);
      i += 1;
    }
  }
  if (out.size() > 255) {
    throw Error(fmt::format("expected at most 255 octets in {}, got {} octets", what, out.size()));
  }
  return out;
}

// Presentation form of a character-string body (without quotes).
void append_escaped(std::string& out, std::span<const uint8_t> bytes) {
  for (uint8_t c : bytes) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\{:03d}", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3597 `\# length hex...` (fields[0] is the `\#`).
std::vector<uint8_t> generic_from_text(uint16_t type, std::span<const TextToken> fields) {
  if (fields.size() < 2) {
    throw Error(fmt::format("expected a length after \\# in {} rdata", type_to_text(type)));
  }
  size_t length = parse_number(fields[1], 0xffff, "the \\# rdata length");
  std::string hex;
  for (size_t i = 2; i < fields.size(); ++i) hex += fields[i].text;
  if (hex.size() != 2 * length) {
    throw Error(fmt::format("expected {} hex digits after \\# {} in {} rdata, got {}", 2 * length,
                            length, type_to_text(type), hex.size()));
  }
  std::vector<uint8_t> out(length);
  for (size_t i = 0; i < length; ++i) {
    int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      throw Error(fmt::format("expected hex digits after \\# {} in {} rdata, got '{}'", length,
                              type_to_text(type), hex.substr(2 * i, 2)));
    }
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  try {
    validate_rdata(type, out);
  } catch (const FormatError& e) {
    throw Error(fmt::format("\\# rdata is not valid {} rdata: {}", type_to_text(type), e.what()));
  }
  return out;
}

std::string generic_to_text(std::span<const uint8_t> rdata) {
  std::string out = fmt::format("\\# {}", rdata.size());
  if (!rdata.empty()) {
    out.push_back(' ');
    for (uint8_t b : rdata) out += fmt::format("{:02x}", b);
  }
  return out;
}

Name name_field(const TextToken& t, const Name& origin, std::string_view what) {
  try {
    return Name::from_text(t.text, origin);
  } catch (const Error& e) {
    throw Error(fmt::format("expected a domain name for {}: {}", what, e.what()));
  }
}

std::vector<uint8_t> address_from_text(uint16_t type, std::span<const TextToken> fields) {
  bool v6 = type == type::AAAA;
  expect_field_count(type, fields, 1, v6 ? "an IPv6 address" : "an IPv4 address");
  std::vector<uint8_t> out(v6 ? 16 : 4);
  if (inet_pton(v6 ? AF_INET6 : AF_INET, fields[0].text.c_str(), out.data()) != 1) {
    throw Error(fmt::format("expected an {} address for {} rdata, got {}",
                            v6 ? "IPv6" : "dotted-quad IPv4", type_to_text(type),
                            shown(fields[0])));
  }
  return out;
}

std::vector<uint8_t> caa_from_text(std::span<const TextToken> fields) {
  expect_field_count(type::CAA, fields, 3, "flags tag \"value\"");
  uint8_t flags = static_cast<uint8_t>(parse_number(fields[0], 255, "CAA flags"));
  const std::string& tag = fields[1].text;
  if (tag.empty() || tag.size() > 15 ||
      !std::all_of(tag.begin(), tag.end(), [](char c) { return is_alnum(c); })) {
    throw Error(fmt::format("expected a CAA tag of 1 to 15 letters and digits (e.g. issue), got {}",
                            shown(fields[1])));
  }
  std::string value = decode_char_string(TextToken{fields[2].text, fields[2].quoted}, "CAA value");
  std::vector<uint8_t> out;
  out.reserve(2 + tag.size() + value.size());
  out.push_back(flags);
  out.push_back(static_cast<uint8_t>(tag.size()));
  out.insert(out.end(), tag.begin(), tag.end());
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

}  // namespace

void validate_rdata(uint16_t type, std::span<const uint8_t> rdata) {
  auto fail = [&](std::string_view why) {
    throw FormatError(
        fmt::format("{} rdata of {} octets: {}", type_to_text(type), rdata.size(), why));
  };
  if (const wire::RdataLayout* layout = wire::name_layout(type)) {
    if (!walk_layout(*layout, rdata, [](size_t, size_t) {})) {
      switch (type) {
        case type::MX:
          fail("expected a 2-octet preference and a domain name");
          break;
        case type::SOA:
          fail("expected two domain names and five 32-bit numbers");
          break;
        case type::SRV:
          fail("expected priority, weight, port and a domain name");
          break;
        default:
          fail("expected exactly one domain name");
          break;
      }
    }
    return;
  }
  switch (type) {
    case type::A:
      if (rdata.size() != 4) fail("expected 4 octets");
      break;
    case type::AAAA:
      if (rdata.size() != 16) fail("expected 16 octets");
      break;
    case type::TXT: {
      if (rdata.empty()) fail("expected at least one character-string");
      size_t pos = 0;
      while (pos < rdata.size()) pos += 1 + rdata[pos];
      if (pos != rdata.size()) fail("character-string runs past the end");
      break;
    }
    case type::CAA: {
      if (rdata.size() < 2) fail("expected flags and a tag length");
      size_t tag_len = rdata[1];
      if (tag_len == 0 || tag_len > 15) fail("expected a tag of 1 to 15 octets");
      if (2 + tag_len > rdata.size()) fail("tag runs past the end");
      for (size_t i = 2; i < 2 + tag_len; ++i) {
        if (!is_alnum(rdata[i])) fail("expected a tag of letters and digits");
      }
      break;
    }
    default:
      break;
  }
}

std::vector<uint8_t> rdata_from_text(uint16_t type, std::span<const TextToken> fields,
                                     const Name& origin) {
  if (!fields.empty() && !fields[0].quoted && fields[0].text == "\\#") {
    return generic_from_text(type, fields);
  }
  std::vector<uint8_t> out;
  switch (type) {
    case type::A:
    case type::AAAA:
      return address_from_text(type, fields);
    case type::NS:
    case type::CNAME:
    case type::PTR: {
      expect_field_count(type, fields, 1, "a domain name");
      put_name(out, name_field(fields[0], origin, type_to_text(type) + " target"));
      return out;
    }
    case type::MX: {
      expect_field_count(type, fields, 2, "preference exchange");
      put16(out, static_cast<uint16_t>(parse_number(fields[0], 0xffff, "MX preference")));
      put_name(out, name_field(fields[1], origin, "MX exchange"));
      return out;
    }
    case type::SOA: {
      expect_field_count(type, fields, 7, "mname rname serial refresh retry expire minimum");
      SoaFields soa{name_field(fields[0], origin, "SOA mname"),
                    name_field(fields[1], origin, "SOA rname"),
                    static_cast<uint32_t>(parse_number(fields[2], 0xffffffffu, "SOA serial")),
                    parse_duration(fields[3], "SOA refresh"),
                    parse_duration(fields[4], "SOA retry"),
                    parse_duration(fields[5], "SOA expire"),
                    parse_duration(fields[6], "SOA minimum")};
      return soa_to_rdata(soa);
    }
    case type::SRV: {
      expect_field_count(type, fields, 4, "priority weight port target");
      put16(out, static_cast<uint16_t>(parse_number(fields[0], 0xffff, "SRV priority")));
      put16(out, static_cast<uint16_t>(parse_number(fields[1], 0xffff, "SRV weight")));
      put16(out, static_cast<uint16_t>(parse_number(fields[2], 0xffff, "SRV port")));
      put_name(out, name_field(fields[3], origin, "SRV target"));
      return out;
    }
    case type::TXT: {
      if (fields.empty()) throw Error("expected at least one character-string for TXT rdata");
      for (const auto& f : fields) {
        std::string s = decode_char_string(f, "TXT character-string");
        out.push_back(static_cast<uint8_t>(s.size()));
        out.insert(out.end(), s.begin(), s.end());
      }
      return out;
    }
    case type::CAA:
      return caa_from_text(fields);
    default:
      throw Error(fmt::format("expected RFC 3597 generic rdata (\\# length hex) for type {}",
                              type_to_text(type)));
  }
}

std::string rdata_to_text(uint16_t type, std::span<const uint8_t> rdata) {
  switch (type) {
    case type::A:
    case type::AAAA:
    case type::NS:
    case type::CNAME:
    case type::PTR:
    case type::MX:
    case type::SOA:
    case type::SRV:
    case type::TXT:
    case type::CAA:
      validate_rdata(type, rdata);
      break;
    default:
      return generic_to_text(rdata);
  }
  switch (type) {
    case type::A:
    case type::AAAA: {
      char buf[INET6_ADDRSTRLEN];
      inet_ntop(type == type::A ? AF_INET : AF_INET6, rdata.data(), buf, sizeof buf);
      return buf;
    }
    case type::NS:
    case type::CNAME:
    case type::PTR:
      return Name::from_wire(rdata).to_text();
    case type::MX:
      return fmt::format("{} {}", get16(rdata, 0), Name::from_wire(rdata.subspan(2)).to_text());
    case type::SOA: {
      SoaFields soa = soa_from_rdata(rdata);
      return fmt::format("{} {} {} {} {} {} {}", soa.mname.to_text(), soa.rname.to_text(),
                         soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum);
    }
    case type::SRV:
      return fmt::format("{} {} {} {}", get16(rdata, 0), get16(rdata, 2), get16(rdata, 4),
                         Name::from_wire(rdata.subspan(6)).to_text());
    case type::TXT: {
      std::string out;
      size_t pos = 0;
      while (pos < rdata.size()) {
        if (!out.empty()) out.push_back(' ');
        out.push_back('"');
        append_escaped(out, rdata.subspan(pos + 1, rdata[pos]));
        out.push_back('"');
        pos += 1 + rdata[pos];
      }
      return out;
    }
    case type::CAA: {
      size_t tag_len = rdata[1];
      std::string out =
          fmt::format("{} {} \"", rdata[0],
                      std::string_view(reinterpret_cast<const char*>(rdata.data() + 2), tag_len));
      append_escaped(out, rdata.subspan(2 + tag_len));
      out.push_back('"');
      return out;
    }
    default:
      return generic_to_text(rdata);
  }
}

std::vector<Name> rdata_names(uint16_t type, std::span<const uint8_t> rdata) {
  std::vector<Name> names;
  if (const wire::RdataLayout* layout = wire::name_layout(type)) {
    walk_layout(*layout, rdata, [&](size_t pos, size_t len) {
      names.push_back(Name::from_validated_wire(
          std::string(reinterpret_cast<const char*>(rdata.data() + pos), len)));
    });
  }
  return names;
}

std::optional<Name> rdata_target(uint16_t type, std::span<const uint8_t> rdata) {
  switch (type) {
    case type::NS:
    case type::CNAME:
    case type::PTR:
    case type::MX:
    case type::SRV: {
      auto names = rdata_names(type, rdata);
      if (names.size() == 1) return names.front();
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

std::vector<uint8_t> rdata_canonical(uint16_t type, std::span<const uint8_t> rdata) {
  std::vector<uint8_t> out(rdata.begin(), rdata.end());
  if (const wire::RdataLayout* layout = wire::name_layout(type)) {
    walk_layout(*layout, rdata, [&](size_t pos, size_t len) {
      for (size_t i = pos; i < pos + len; ++i) out[i] = ascii_lower(out[i]);
    });
  }
  return out;
}

SoaFields soa_from_rdata(std::span<const uint8_t> rdata) {
  validate_rdata(type::SOA, rdata);
  size_t mlen = wire::uncompressed_name_length(rdata);
  size_t rlen = wire::uncompressed_name_length(rdata.subspan(mlen));
  size_t p = mlen + rlen;
  return SoaFields{Name::from_wire(rdata.subspan(0, mlen)),
                   Name::from_wire(rdata.subspan(mlen, rlen)),
                   get32(rdata, p),
                   get32(rdata, p + 4),
                   get32(rdata, p + 8),
                   get32(rdata, p + 12),
                   get32(rdata, p + 16)};
}

std::vector<uint8_t> soa_to_rdata(const SoaFields& soa) {
  std::vector<uint8_t> out;
  out.reserve(soa.mname.wire().size() + soa.rname.wire().size() + 20);
  put_name(out, soa.mname);
  put_name(out, soa.rname);
  for (uint32_t v : {soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum}) put32(out, v);
  return out;
}

}  // namespace dns
