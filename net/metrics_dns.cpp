#include "net/metrics_dns.h"

#include <string>

#include "dns/zone.h"

namespace net {
namespace {

constexpr std::array<std::string_view, kQtypeSlots> kQtypeLabels = {
    "A",  "NS",     "CNAME", "SOA",   "PTR", "MX",   "TXT",  "AAAA", "SRV",   "NAPTR",
    "DS", "DNSKEY", "SVCB",  "HTTPS", "CAA", "IXFR", "AXFR", "ANY",  "OTHER", "NONE"};

constexpr std::array<std::string_view, kRcodeSlots> kRcodeLabels = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED", "YXDOMAIN",
    "YXRRSET", "NXRRSET", "NOTAUTH",  "NOTZONE",  "RCODE11", "RCODE12", "RCODE13",
    "RCODE14", "RCODE15", "BADVERS",  "OTHER",    "NONE"};

// The type codes of the named slots, in label order; a linear search is a handful of compares
// (A, the commonest, is the first).
constexpr std::array<std::uint16_t, kQtypeOther> kQtypeCodes = {
    1, 2, 5, 6, 12, 15, 16, 28, 33, 35, 43, 48, 64, 65, 257, 251, 252, 255};

unsigned slot_of_type(std::uint16_t type) {
  for (unsigned slot = 0; slot < kQtypeCodes.size(); ++slot)
    if (kQtypeCodes[slot] == type) return slot;
  return kQtypeOther;
}

std::uint16_t u16_at(std::span<const std::uint8_t> p, std::size_t at) {
  return static_cast<std::uint16_t>(p[at] << 8 | p[at + 1]);
}

constexpr std::size_t kHeaderSize = 12;
constexpr std::size_t kEmptyOptSize = 11;  // root name, type, class, ttl, rdlength 0
constexpr std::uint16_t kOptType = 41;

}  // namespace

unsigned qtype_slot(std::span<const std::uint8_t> query) {
  if (query.size() < kHeaderSize || u16_at(query, 4) == 0) return kQtypeNone;
  std::size_t at = kHeaderSize;
  // Skip the question name: labels up to the root (a pointer, invalid in a query, ends it too).
  for (int labels = 0; labels < 128; ++labels) {
    if (at >= query.size()) return kQtypeNone;
    const std::uint8_t length = query[at];
    if (length == 0) {
      ++at;
      break;
    }
    if ((length & 0xC0) != 0) {
      at += 2;
      break;
    }
    at += 1 + length;
  }
  if (at + 2 > query.size()) return kQtypeNone;
  return slot_of_type(u16_at(query, at));
}

unsigned rcode_slot(std::span<const std::uint8_t> response) {
  if (response.size() < kHeaderSize) return kRcodeNone;
  unsigned rcode = response[3] & 0x0F;
  const std::uint16_t additional = u16_at(response, 10);
  if (additional > 0 && response.size() >= kHeaderSize + kEmptyOptSize) {
    const std::size_t opt = response.size() - kEmptyOptSize;
    if (response[opt] == 0 && u16_at(response, opt + 1) == kOptType &&
        u16_at(response, opt + 9) == 0)
      rcode |= static_cast<unsigned>(response[opt + 5]) << 4;
  }
  if (rcode < 16) return rcode;
  return rcode == 16 ? kRcodeBadvers : kRcodeOther;
}

std::string_view qtype_label(unsigned slot) {
  return slot < kQtypeSlots ? kQtypeLabels[slot] : "NONE";
}

std::string_view rcode_label(unsigned slot) {
  return slot < kRcodeSlots ? kRcodeLabels[slot] : "NONE";
}

std::size_t MeteredQueryHandler::handle(std::span<const std::uint8_t> query,
                                        std::span<std::uint8_t> out, bool tcp) {
  const auto start = std::chrono::steady_clock::now();
  std::size_t size = 0;
  try {
    size = inner_->handle(query, out, tcp);
  } catch (...) {
    metrics_->count(tcp, qtype_slot(query), kRcodeNone, std::chrono::steady_clock::now() - start);
    throw;
  }
  if (size == kDeferred || size == kStream) return size;  // counted by whoever answers it
  const auto took = std::chrono::steady_clock::now() - start;
  metrics_->count(tcp, qtype_slot(query), rcode_slot(out.first(size)), took);
  return size;
}

std::unique_ptr<QueryHandler> DnsMetrics::metered(std::unique_ptr<QueryHandler> inner) {
  auto worker = std::make_shared<DnsWorkerMetrics>();
  {
    std::lock_guard lock(mutex_);
    workers_.push_back(worker);
  }
  return std::make_unique<MeteredQueryHandler>(std::move(inner), std::move(worker));
}

std::uint64_t DnsMetrics::total() const {
  std::lock_guard lock(mutex_);
  std::uint64_t sum = 0;
  for (const auto& w : workers_)
    for (bool tcp : {false, true})
      for (unsigned q = 0; q < kQtypeSlots; ++q)
        for (unsigned r = 0; r < kRcodeSlots; ++r) sum += w->queries(tcp, q, r);
  return sum;
}

void DnsMetrics::render(MetricsText& out) const {
  std::vector<std::shared_ptr<const DnsWorkerMetrics>> workers;
  {
    std::lock_guard lock(mutex_);
    workers = workers_;
  }
  out.family("raftdns_dns_queries_total", "counter",
             "DNS queries answered, by transport, query type and response code (NONE: no "
             "response sent)");
  for (bool tcp : {false, true}) {
    for (unsigned q = 0; q < kQtypeSlots; ++q) {
      for (unsigned r = 0; r < kRcodeSlots; ++r) {
        std::uint64_t n = 0;
        for (const auto& w : workers) n += w->queries(tcp, q, r);
        if (n == 0) continue;  // only what has been seen: 760 zero series help nobody
        out.sample("raftdns_dns_queries_total",
                   {{"transport", tcp ? "tcp" : "udp"},
                    {"qtype", qtype_label(q)},
                    {"rcode", rcode_label(r)}},
                   static_cast<double>(n));
      }
    }
  }
  HistogramSnapshot duration = DurationHistogram(kQueryDurationBounds).snapshot();
  for (const auto& w : workers) duration.merge(w->duration());
  out.family("raftdns_dns_query_duration_seconds", "histogram",
             "Time to compute a DNS answer (parse, look up, encode; socket I/O excluded)");
  out.histogram("raftdns_dns_query_duration_seconds", {}, duration);
}

void render_zone_metrics(const dns::Database& db, MetricsText& out) {
  const auto version = db.current();
  out.family("raftdns_zone_serial", "gauge", "SOA serial of each served zone");
  for (const auto& zone : version->zones()) {
    const dns::RRset* soa = zone->soa();
    if (soa == nullptr || soa->rdatas.empty()) continue;
    out.sample("raftdns_zone_serial", {{"zone", zone->apex().to_text()}},
               static_cast<double>(dns::soa_serial(soa->rdatas.front())));
  }
  out.family("raftdns_zone_records", "gauge", "Records served in each zone");
  for (const auto& zone : version->zones())
    out.sample("raftdns_zone_records", {{"zone", zone->apex().to_text()}},
               static_cast<double>(zone->record_count()));
}

}  // namespace net
