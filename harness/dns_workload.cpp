#include "harness/dns_workload.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "dns/answer.h"
#include "dns/message.h"
#include "dns/types.h"
#include "dns/zone_parser.h"

namespace harness {

namespace {

constexpr std::size_t kPoolNames = 6;   // h0..h5 per zone
constexpr std::size_t kPoolValues = 3;  // three addresses per name

std::vector<dns::Record> parse(const std::string& text, const std::string& file) {
  return dns::parse_master_file(text, file, {}).records;
}

std::vector<dns::Record> make_zone(std::size_t zone) {
  const std::string apex = dns_zone_apex(zone);
  return parse(fmt::format("{0} 300 IN SOA ns.{0} admin.{0} 1 3600 600 86400 300\n"
                           "{0} 300 IN NS ns.{0}\n"
                           "ns.{0} 300 IN A 192.0.2.{1}\n"
                           "www.{0} 300 IN A 198.51.100.{1}\n"
                           "{0} 300 IN MX 10 mail.{0}\n"
                           "mail.{0} 300 IN A 203.0.113.{1}\n"
                           "info.{0} 300 IN TXT \"zone {1}\"\n",
                           apex, zone + 1),
               fmt::format("zone{}.txt", zone + 1));
}

}  // namespace

std::string dns_zone_apex(std::size_t zone) {
  return fmt::format("z{}.test.", zone + 1);
}

const std::vector<dns::Record>& dns_zone_file(std::uint64_t node) {
  static const std::array<std::vector<dns::Record>, kDnsZones> zones = [] {
    std::array<std::vector<dns::Record>, kDnsZones> z;
    for (std::size_t i = 0; i < kDnsZones; ++i) z[i] = make_zone(i);
    return z;
  }();
  static const std::vector<dns::Record> none;
  return node >= 1 && node <= kDnsZones ? zones[node - 1] : none;
}

const std::vector<dns::Record>& dns_record_pool() {
  static const std::vector<dns::Record> pool = [] {
    std::string text;
    for (std::size_t z = 0; z < kDnsZones; ++z)
      for (std::size_t n = 0; n < kPoolNames; ++n)
        for (std::size_t v = 0; v < kPoolValues; ++v)
          text += fmt::format("h{}.{} 300 IN A 10.{}.{}.{}\n", n, dns_zone_apex(z), z + 1, n, v);
    return parse(text, "pool");
  }();
  return pool;
}

std::vector<dns::Change> random_dns_write(sim::Prng& prng) {
  const std::vector<dns::Record>& pool = dns_record_pool();
  const std::size_t count = prng.chance(0.75) ? 1 : 2 + prng.below(2);
  std::vector<dns::Change> changes;
  for (std::size_t i = 0; i < count; ++i) {
    const dns::Change::Kind kind = prng.chance(0.6) ? dns::Change::Add : dns::Change::Remove;
    changes.push_back({kind, pool[prng.below(pool.size())]});
  }
  return changes;
}

std::size_t dns_query_count() {
  return kDnsZones * (kPoolNames + 2);
}

std::vector<std::uint8_t> dns_query(std::size_t index) {
  index %= dns_query_count();
  const std::size_t zone = index / (kPoolNames + 2);
  const std::size_t k = index % (kPoolNames + 2);
  const std::string apex = dns_zone_apex(zone);
  dns::Message m;
  m.header.id = static_cast<std::uint16_t>(0x4000 + index);
  m.header.rd = true;
  if (k < kPoolNames)
    m.questions.push_back({dns::Name::from_text(fmt::format("h{}.{}", k, apex)), dns::type::A});
  else
    m.questions.push_back(
        {dns::Name::from_text(apex), k == kPoolNames ? dns::type::SOA : dns::type::NS});
  return dns::encode_message(m);
}

std::vector<std::uint8_t> answer_from(const dns::Database& db,
                                      const std::vector<std::uint8_t>& query) {
  std::vector<std::uint8_t> out(65535);
  const std::size_t size = dns::answer_query(*db.current(), query, out);
  out.resize(size);
  return out;
}

std::vector<std::string> canonical(const std::vector<dns::Record>& records) {
  std::vector<std::string> lines;
  lines.reserve(records.size());
  for (const dns::Record& r : records) {
    std::string line = dns::to_text(r);
    // Owners compare case-insensitively (Record::operator==); the pool and zones are lowercase
    // already, so this only guards against a database that changed case.
    std::transform(line.begin(), line.end(), line.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    lines.push_back(std::move(line));
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

}  // namespace harness
