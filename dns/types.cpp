#include "dns/types.h"

#include <array>
#include <charconv>
#include <utility>

#include <fmt/format.h>

namespace dns {

namespace {

struct Mnemonic {
  uint16_t value;
  std::string_view text;
};

// Types we know by name; only some have a text rdata form (the rest use RFC 3597 `\#`).
constexpr std::array<Mnemonic, 34> kTypes{{
    {1, "A"},      {2, "NS"},     {5, "CNAME"},   {6, "SOA"},    {12, "PTR"},        {13, "HINFO"},
    {15, "MX"},    {16, "TXT"},   {17, "RP"},     {18, "AFSDB"}, {28, "AAAA"},       {29, "LOC"},
    {33, "SRV"},   {35, "NAPTR"}, {39, "DNAME"},  {41, "OPT"},   {43, "DS"},         {44, "SSHFP"},
    {46, "RRSIG"}, {47, "NSEC"},  {48, "DNSKEY"}, {50, "NSEC3"}, {51, "NSEC3PARAM"}, {52, "TLSA"},
    {64, "SVCB"},  {65, "HTTPS"}, {99, "SPF"},    {249, "TKEY"}, {250, "TSIG"},      {251, "IXFR"},
    {252, "AXFR"}, {255, "ANY"},  {256, "URI"},   {257, "CAA"},
}};

constexpr std::array<Mnemonic, 5> kClasses{{
    {1, "IN"},
    {3, "CH"},
    {4, "HS"},
    {254, "NONE"},
    {255, "ANY"},
}};

constexpr std::array<Mnemonic, 11> kRcodes{{
    {0, "NOERROR"},
    {1, "FORMERR"},
    {2, "SERVFAIL"},
    {3, "NXDOMAIN"},
    {4, "NOTIMP"},
    {5, "REFUSED"},
    {6, "YXDOMAIN"},
    {7, "YXRRSET"},
    {8, "NXRRSET"},
    {9, "NOTAUTH"},
    {16, "BADVERS"},
}};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x -= 32;
    if (y >= 'a' && y <= 'z') y -= 32;
    if (x != y) return false;
  }
  return true;
}

template <size_t N>
std::optional<uint16_t> lookup(const std::array<Mnemonic, N>& table, std::string_view text,
                               std::string_view generic_prefix) {
  for (const auto& m : table) {
    if (iequals(m.text, text)) return m.value;
  }
  // RFC 3597 generic form: TYPE123 / CLASS123.
  if (text.size() > generic_prefix.size() &&
      iequals(text.substr(0, generic_prefix.size()), generic_prefix)) {
    std::string_view digits = text.substr(generic_prefix.size());
    unsigned value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec == std::errc() && end == digits.data() + digits.size() && value <= 0xffff &&
        digits.size() <= 5) {
      return static_cast<uint16_t>(value);
    }
  }
  return std::nullopt;
}

template <size_t N>
std::string name_of(const std::array<Mnemonic, N>& table, uint16_t value,
                    std::string_view generic_prefix) {
  for (const auto& m : table) {
    if (m.value == value) return std::string(m.text);
  }
  return fmt::format("{}{}", generic_prefix, value);
}

}  // namespace

std::string type_to_text(uint16_t type) {
  return name_of(kTypes, type, "TYPE");
}
std::optional<uint16_t> type_from_text(std::string_view text) {
  return lookup(kTypes, text, "TYPE");
}
std::string class_to_text(uint16_t rclass) {
  return name_of(kClasses, rclass, "CLASS");
}
std::optional<uint16_t> class_from_text(std::string_view text) {
  return lookup(kClasses, text, "CLASS");
}
std::string rcode_to_text(uint16_t rcode) {
  return name_of(kRcodes, rcode, "RCODE");
}

}  // namespace dns
