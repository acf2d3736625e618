// Google Benchmark of the DNS hot path: message decode/encode, lookup+answer per query kind,
// the same answer built through the generic codec (to justify the specialised writer), and the
// cost of one database change on zones of 10k and 1M records (it must not grow with the zone).
//
//   cmake --build build --target bench_dns && build/bench_dns
#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include <cstring>
#include <string>
#include <vector>

#include "dns/answer.h"
#include "dns/message.h"
#include "dns/rdata.h"
#include "dns/types.h"
#include "dns/zone_db.h"
#include "net/metrics_dns.h"
#include "net/update_service.h"
#include "net/zone_query_handler.h"

namespace {

using dns::Change;
using dns::Database;
using dns::Name;
using dns::Record;

constexpr size_t kNames = 10000;
constexpr size_t kQueries = 1024;  // distinct queries cycled through, to defeat trivial caching

Record a_record(const Name& owner, uint32_t address) {
  return Record{owner,
                dns::type::A,
                dns::rclass::IN,
                300,
                {192, static_cast<uint8_t>(address >> 16), static_cast<uint8_t>(address >> 8),
                 static_cast<uint8_t>(address)}};
}

Record soa_record(const Name& apex) {
  dns::SoaFields soa{Name::from_text("ns1", apex),
                     Name::from_text("hostmaster", apex),
                     1,
                     7200,
                     900,
                     1209600,
                     300};
  return Record{apex, dns::type::SOA, dns::rclass::IN, 3600, dns::soa_to_rdata(soa)};
}

// A zone of `names` hosts with `per_name` A records each, plus aliases and a wildcard.
std::vector<Record> make_zone(size_t names, size_t per_name) {
  const Name apex = Name::from_text("example.com.");
  std::vector<Record> records{soa_record(apex)};
  const std::string ns = Name::from_text("ns1", apex).wire();
  records.push_back(Record{apex, dns::type::NS, dns::rclass::IN, 3600,
                           std::vector<uint8_t>(ns.begin(), ns.end())});
  for (size_t i = 0; i < names; ++i) {
    const Name host = Name::from_text(fmt::format("host{}", i), apex);
    for (size_t j = 0; j < per_name; ++j) records.push_back(a_record(host, i * per_name + j));
  }
  for (size_t i = 0; i < kQueries; ++i) {
    const std::string target = Name::from_text(fmt::format("host{}", i), apex).wire();
    records.push_back(Record{Name::from_text(fmt::format("alias{}", i), apex), dns::type::CNAME,
                             dns::rclass::IN, 300,
                             std::vector<uint8_t>(target.begin(), target.end())});
  }
  records.push_back(a_record(Name::from_text("*.wild", apex), 1));
  return records;
}

std::vector<uint8_t> make_query(const std::string& name, uint16_t qtype, uint16_t id) {
  dns::Message m;
  m.header.id = id;
  m.header.rd = true;
  m.questions.push_back(dns::Question{Name::from_text(name), qtype, dns::rclass::IN});
  m.edns = dns::Edns{};  // most resolvers send EDNS
  return dns::encode_message(m);
}

Database& small_db() {
  static Database* db = [] {
    auto* d = new Database;
    d->load(make_zone(kNames, 1));
    return d;
  }();
  return *db;
}

std::vector<std::vector<uint8_t>> queries(const char* pattern, uint16_t qtype) {
  std::vector<std::vector<uint8_t>> out;
  for (size_t i = 0; i < kQueries; ++i)
    out.push_back(make_query(fmt::format(fmt::runtime(pattern), i * 7 % kNames), qtype, i));
  return out;
}

void answer_loop(benchmark::State& state, const std::vector<std::vector<uint8_t>>& qs,
                 uint16_t expect_rcode) {
  const auto version = small_db().current();
  std::vector<uint8_t> out(65535);
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const auto& q = qs[i++ % qs.size()];
    const size_t n = dns::answer_query(*version, q, out, {});
    benchmark::DoNotOptimize(out.data());
    bytes += n;
  }
  const size_t n = dns::answer_query(*version, qs[0], out, {});
  if (n < 12 || (out[3] & 0x0f) != expect_rcode) state.SkipWithError("unexpected rcode");
  state.counters["resp_bytes"] =
      benchmark::Counter(static_cast<double>(bytes) / state.iterations());
}

void BM_AnswerHit(benchmark::State& state) {
  answer_loop(state, queries("host{}.example.com.", dns::type::A), dns::rcode::NOERROR);
}
void BM_AnswerNxdomain(benchmark::State& state) {
  answer_loop(state, queries("missing{}.example.com.", dns::type::A), dns::rcode::NXDOMAIN);
}
void BM_AnswerNodata(benchmark::State& state) {
  answer_loop(state, queries("host{}.example.com.", dns::type::AAAA), dns::rcode::NOERROR);
}
void BM_AnswerCname(benchmark::State& state) {
  std::vector<std::vector<uint8_t>> qs;
  for (size_t i = 0; i < kQueries; ++i)
    qs.push_back(make_query(fmt::format("alias{}.example.com.", i), dns::type::A, i));
  answer_loop(state, qs, dns::rcode::NOERROR);
}
void BM_AnswerWildcard(benchmark::State& state) {
  answer_loop(state, queries("x{}.wild.example.com.", dns::type::A), dns::rcode::NOERROR);
}
void BM_AnswerRefused(benchmark::State& state) {
  answer_loop(state, queries("host{}.example.net.", dns::type::A), dns::rcode::REFUSED);
}

// A hit through a DNS worker's handler, as the servers call it: plain, and wrapped by the query
// metrics (two clock reads, QTYPE and RCODE classification, counter and histogram increments).
void handler_loop(benchmark::State& state, net::QueryHandler& handler) {
  const auto qs = queries("host{}.example.com.", dns::type::A);
  std::vector<uint8_t> out(65535);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(handler.handle(qs[i++ % qs.size()], out, false));
    benchmark::DoNotOptimize(out.data());
  }
}
void BM_HandlerHit(benchmark::State& state) {
  net::ZoneQueryHandler handler(small_db());
  handler_loop(state, handler);
}
void BM_HandlerHitMetered(benchmark::State& state) {
  net::DnsMetrics metrics;
  auto handler = metrics.metered(std::make_unique<net::ZoneQueryHandler>(small_db()));
  handler_loop(state, *handler);
  if (metrics.total() < static_cast<std::uint64_t>(state.iterations()))
    state.SkipWithError("queries not counted");
}
// The hit through cluster mode's zone handler, which defers UPDATEs to a sink: a QUERY costs it
// one well-predicted branch.
class NoUpdates : public net::UpdateSink {
 public:
  void handle(std::span<const std::uint8_t>, net::QueryHandler::Reply) override {}
};
void BM_HandlerHitUpdateAware(benchmark::State& state) {
  NoUpdates sink;
  net::ZoneQueryHandler handler(small_db(), &sink);
  handler_loop(state, handler);
}

// The same hit answered through the generic codec: decode, look up, build a Message, encode.
void BM_AnswerHitViaCodec(benchmark::State& state) {
  const auto version = small_db().current();
  const auto qs = queries("host{}.example.com.", dns::type::A);
  std::vector<uint8_t> out(65535);
  size_t i = 0;
  for (auto _ : state) {
    const dns::Message q = dns::decode_message(qs[i++ % qs.size()]);
    dns::Message r;
    r.header = q.header;
    r.header.qr = r.header.aa = true;
    r.questions = q.questions;
    r.edns = dns::Edns{};
    const std::string key = dns::name_key(q.questions[0].name);
    const dns::Zone* zone = version->find_zone(key);
    const dns::ZoneNode* node = zone ? zone->find(key) : nullptr;
    if (const dns::RRset* set = node ? node->find(q.questions[0].qtype) : nullptr)
      for (const auto& rd : set->rdatas)
        r.answer.push_back(Record{
            q.questions[0].name, set->type, dns::rclass::IN, set->ttl, {rd.begin(), rd.end()}});
    benchmark::DoNotOptimize(dns::encode_message(r, std::span<uint8_t>(out)));
  }
}

void BM_DecodeQuery(benchmark::State& state) {
  const auto qs = queries("host{}.example.com.", dns::type::A);
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(dns::decode_message(qs[i++ % qs.size()]));
}

void BM_EncodeResponse(benchmark::State& state) {
  dns::Message r = dns::decode_message(make_query("host1.example.com.", dns::type::A, 1));
  r.header.qr = r.header.aa = true;
  r.answer.push_back(a_record(Name::from_text("host1.example.com."), 1));
  r.answer.push_back(a_record(Name::from_text("host1.example.com."), 2));
  r.authority.push_back(soa_record(Name::from_text("example.com.")));
  std::vector<uint8_t> out(65535);
  for (auto _ : state) benchmark::DoNotOptimize(dns::encode_message(r, std::span<uint8_t>(out)));
}

// One ADD or REMOVE applied to a zone of state.range(0) records (4 A records per name): the
// time must stay flat from 10k to 1M records, because a change copies O(trie path), not O(zone).
void BM_ApplyOneChange(benchmark::State& state) {
  const size_t records = state.range(0);
  Database db;
  db.load(make_zone(records / 4, 4));
  const Record extra = a_record(Name::from_text("new-host.example.com."), 7);
  bool add = true;
  for (auto _ : state) {
    const Change c{add ? Change::Add : Change::Remove, extra};
    benchmark::DoNotOptimize(db.apply(std::span(&c, 1)));
    add = !add;
  }
  state.counters["zone_records"] = static_cast<double>(db.current()->record_count());
}

// New names added in batches of 40 (one published version each, as an UPDATE burst is) to a
// zone of state.range(0) names, while readers still hold the two versions before: every batch
// copies the paths it changes, and a version's private parts are freed two batches later. Per
// name added; the zone grows as it runs, as under experiments/update_bench.
void BM_AddNewNamesInBatches(benchmark::State& state) {
  Database db;
  db.load(make_zone(state.range(0), 1));
  std::shared_ptr<const dns::DatabaseVersion> held[2];
  size_t next = 0;
  for (auto _ : state) {
    std::vector<Change> batch;
    for (int i = 0; i < 40; ++i)
      batch.push_back({Change::Add, a_record(Name::from_text(fmt::format("new{}", next++),
                                                             Name::from_text("example.com.")),
                                             1)});
    benchmark::DoNotOptimize(db.apply(batch));
    held[1] = std::move(held[0]);
    held[0] = db.current();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 40);
}

// Building a zone from scratch (what a node does at startup or on a zone-file reload).
void BM_LoadZone(benchmark::State& state) {
  const auto records = make_zone(state.range(0) / 4, 4);
  for (auto _ : state) {
    Database db;
    benchmark::DoNotOptimize(db.load(records));
  }
}

BENCHMARK(BM_DecodeQuery);
BENCHMARK(BM_EncodeResponse);
BENCHMARK(BM_AnswerHit);
BENCHMARK(BM_AnswerHitViaCodec);
BENCHMARK(BM_HandlerHit);
BENCHMARK(BM_HandlerHitMetered);
BENCHMARK(BM_HandlerHitUpdateAware);
BENCHMARK(BM_AnswerNxdomain);
BENCHMARK(BM_AnswerNodata);
BENCHMARK(BM_AnswerCname);
BENCHMARK(BM_AnswerWildcard);
BENCHMARK(BM_AnswerRefused);
BENCHMARK(BM_LoadZone)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AddNewNamesInBatches)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ApplyOneChange)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
