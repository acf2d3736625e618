#pragma once
// DNS query metrics: every worker thread counts its own queries (by transport, QTYPE and RCODE)
// and answer times in its own counters, without locks or formatting; a scrape merges them.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

#include "dns/zone_db.h"
#include "net/metrics_histogram.h"
#include "net/metrics_text.h"
#include "net/query_handler.h"

namespace net {

// Query classification, cheap enough for every query: a small slot number per QTYPE and RCODE.
inline constexpr unsigned kQtypeSlots = 20;  // named types, then OTHER and NONE
inline constexpr unsigned kQtypeOther = kQtypeSlots - 2;
inline constexpr unsigned kQtypeNone = kQtypeSlots - 1;  // no readable question
inline constexpr unsigned kRcodeSlots = 19;              // 0-15, BADVERS, OTHER, NONE
inline constexpr unsigned kRcodeBadvers = 16;
inline constexpr unsigned kRcodeOther = 17;  // another extended RCODE
inline constexpr unsigned kRcodeNone = 18;   // no response sent

// The QTYPE slot of a query packet's first question (kQtypeNone if there is none or it is cut).
unsigned qtype_slot(std::span<const std::uint8_t> query);
// The RCODE slot of a response as our answer logic writes it (an OPT record, if any, last and
// without options, carrying the extended RCODE); kRcodeNone for an empty response.
unsigned rcode_slot(std::span<const std::uint8_t> response);
std::string_view qtype_label(unsigned slot);  // "A", "AAAA", ..., "OTHER", "NONE"
std::string_view rcode_label(unsigned slot);  // "NOERROR", "NXDOMAIN", ..., "BADVERS", "NONE"

// The counters of one worker thread; only that thread writes them.
class DnsWorkerMetrics {
 public:
  void count(bool tcp, unsigned qtype, unsigned rcode, std::chrono::nanoseconds took) {
    bump(queries_[(tcp ? kQtypeSlots * kRcodeSlots : 0) + qtype * kRcodeSlots + rcode]);
    duration_.observe(took);
  }
  std::uint64_t queries(bool tcp, unsigned qtype, unsigned rcode) const {
    return queries_[(tcp ? kQtypeSlots * kRcodeSlots : 0) + qtype * kRcodeSlots + rcode].load(
        std::memory_order_relaxed);
  }
  HistogramSnapshot duration() const { return duration_.snapshot(); }

 private:
  std::array<std::atomic<std::uint64_t>, 2 * kQtypeSlots * kRcodeSlots> queries_{};
  DurationHistogram duration_{kQueryDurationBounds};
};

// Every worker's counters, for the scrape. Safe to use from any thread.
class DnsMetrics {
 public:
  // Wraps a worker's handler so that it counts into a new DnsWorkerMetrics of this registry.
  std::unique_ptr<QueryHandler> metered(std::unique_ptr<QueryHandler> inner);
  // raftdns_dns_queries_total and raftdns_dns_query_duration_seconds.
  void render(MetricsText& out) const;
  // Total queries counted, over every label (tests).
  std::uint64_t total() const;

 private:
  mutable std::mutex mutex_;  // guards the list, not the counters; taken only here and at scrape
  std::vector<std::shared_ptr<const DnsWorkerMetrics>> workers_;
};

// Counts every query answered by `inner` (how long the answer took, not the socket work).
class MeteredQueryHandler final : public QueryHandler {
 public:
  MeteredQueryHandler(std::unique_ptr<QueryHandler> inner, std::shared_ptr<DnsWorkerMetrics> m)
      : inner_(std::move(inner)), metrics_(std::move(m)) {}
  std::size_t handle(std::span<const std::uint8_t> query, std::span<std::uint8_t> out,
                     bool tcp) override;
  void handle_deferred(std::span<const std::uint8_t> query, bool tcp, Reply reply) override {
    inner_->handle_deferred(query, tcp, std::move(reply));
  }
  std::unique_ptr<dns::MessageStream> open_stream(std::span<const std::uint8_t> query, bool tcp,
                                                  const boost::asio::ip::address& client) override {
    return inner_->open_stream(query, tcp, client);
  }

 private:
  std::unique_ptr<QueryHandler> inner_;
  std::shared_ptr<DnsWorkerMetrics> metrics_;
};

// raftdns_zone_serial{zone} and raftdns_zone_records{zone} of the served version of `db`.
void render_zone_metrics(const dns::Database& db, MetricsText& out);

}  // namespace net
