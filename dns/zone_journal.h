#pragma once
// The IXFR journal (RFC 1995): the latest diffs of each zone, bounded in count and size per
// zone, readable from any thread while the one writer (the engine's apply) adds to it. Kept in
// memory here; engine/journal_store.h makes it durable.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dns/record.h"
#include "dns/zone_diff.h"

namespace dns {

// How much history each zone keeps. An IXFR from further back gets the whole zone (AXFR form).
struct JournalLimits {
  size_t max_diffs = 1000;             // serials per zone
  size_t max_bytes = 4 * 1024 * 1024;  // ZoneDiff::bytes() per zone
};

// Every zone's retained diffs, oldest first. Thread-safe: one writer, any number of readers
// (a short lock; transfers are rare next to queries, which never touch it).
class ZoneJournal {
 public:
  using DiffPtr = std::shared_ptr<const ZoneDiff>;

  explicit ZoneJournal(JournalLimits limits = {}) : limits_(limits) {}
  const JournalLimits& limits() const { return limits_; }

  // Appends a zone's next diff, then drops its oldest diffs beyond the limits. A diff that does
  // not continue the zone's last one (its from() is not the last to()) starts the zone afresh.
  void add(DiffPtr diff);
  // Forgets a zone's history (its next diff starts afresh).
  void reset(const Name& apex);
  void clear();
  bool holds(const Name& apex) const;  // any history of this zone

  // The diffs taking zone `apex` from serial `from` to serial `to`, oldest first; none when the
  // journal does not hold that whole chain.
  std::optional<std::vector<DiffPtr>> between(const Name& apex, uint32_t from, uint32_t to) const;
  // Every retained diff, zone by zone, each zone's oldest first (to write a compacted copy).
  std::vector<DiffPtr> all() const;
  size_t bytes() const;  // of every zone
  size_t diffs() const;

 private:
  struct History {
    std::deque<DiffPtr> diffs;
    size_t bytes = 0;
  };
  JournalLimits limits_;
  mutable std::mutex mutex_;
  std::map<std::string, History> zones_;  // by apex key
};

// The answer records of an IXFR (RFC 1995 §4): the current SOA, then for each diff its old SOA,
// the removed records, its new SOA and the added records, then the current SOA again.
std::vector<Record> ixfr_records(const std::vector<ZoneJournal::DiffPtr>& diffs,
                                 const Record& current_soa);

}  // namespace dns
