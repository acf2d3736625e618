#pragma once
// The versioned zone database: every zone we serve, published as immutable versions so that
// query threads never wait for the (single) writer.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dns/record.h"
#include "dns/zone.h"

namespace dns {

// One record change as replicated through raft.
struct Change {
  enum Kind { Add, Remove };
  Kind kind = Add;
  Record record;
};

struct ApplyResult {
  size_t applied = 0;
  size_t noops = 0;  // ADD of an existing rr (same rdata and TTL), REMOVE of a missing rr
};

// An immutable snapshot of all zones. Answering holds one for the duration of a query.
class DatabaseVersion {
 public:
  uint64_t number() const { return number_; }  // 0 = empty, +1 per published load/apply/batch
  // The deepest zone whose apex is at or above the name with this lowercase wire key, or null.
  const Zone* find_zone(std::string_view key) const;
  const std::vector<std::shared_ptr<const Zone>>& zones() const { return zones_; }
  // Records whose owner is outside every zone: kept (they are part of the replicated data and a
  // later SOA may adopt them) but never served.
  const Zone& outside_zones() const { return *outside_; }
  size_t record_count() const;

 private:
  friend class Database;
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return name_key_hash(key); }
  };
  static constexpr size_t kLinearSearchZones = 8;
  uint64_t number_ = 0;
  std::vector<std::shared_ptr<const Zone>> zones_;  // sorted by apex key
  std::unordered_map<std::string, const Zone*, KeyHash, std::equal_to<>> by_apex_;
  std::shared_ptr<const Zone> outside_;
};

// All zones, changed by one writer thread at a time (load/apply must not run concurrently with
// each other; the raft apply loop is that thread), read by any number of query threads, which
// never block: a change builds a new version sharing all untouched structure and publishes it.
//
// Zones are defined by SOA records. An ADD of a SOA at an existing apex replaces the SOA; at a
// new name it creates a zone (adopting the records below it); a REMOVE of a SOA that matches the
// current one apart from its serial deletes the zone (its records stay, outside every zone).
// Every apply() that changes a zone bumps its SOA serial by exactly 1, unless the batch set that
// zone's SOA explicitly, in which case the given SOA is kept as is. Records of classes other
// than IN are ignored (counted as no-ops, warned about on load).
//
// Applies between begin_batch() and publish_batch() build one private version, edited in place
// (no copy-on-write between them), that only latest() shows; publish_batch() makes it current in
// one step. The raft apply loop serves a burst of committed entries this way: publishing a
// version per entry copied the trie path of every change and freed it again at the next one.
class Database {
 public:
  Database();
  ~Database();
  // Wait-free in practice: an atomic shared_ptr load (a brief internal spin lock in libstdc++).
  std::shared_ptr<const DatabaseVersion> current() const { return current_.load(); }
  // Cheap change detector for per-thread caching (see DatabaseReader).
  uint64_t current_number() const { return number_.load(std::memory_order_acquire); }

  // Replaces everything with these records (publishing an open batch first). Returns warnings:
  // records outside any zone, a second SOA for one apex, CNAME beside other data, non-IN records.
  std::vector<std::string> load(std::vector<Record> records);
  // Calls `visit` with every record (RecordVisitor) and is called twice: zones are set up from
  // the SOAs of the first pass, the other records placed in them in the second.
  using RecordVisitor = std::function<void(const Record&)>;
  using RecordSource = std::function<void(const RecordVisitor& visit)>;
  // The same as load(), from records read twice from `source` (a file read a piece at a time):
  // the only copy of every record it makes is the new version's. Exceptions from `source`
  // propagate, and then nothing is published.
  std::vector<std::string> load_streamed(const RecordSource& source);
  // Builds what load() builds from batches handed over one at a time (see Database::Loader).
  class Loader;
  // Applies the changes in order: as one new version, or inside the open batch.
  ApplyResult apply(std::span<const Change> changes);
  // One batch of changes applied in parts inside the open batch (a large import, a part per
  // turn of the caller's event loop): apply_part() applies each part's changes; finish_parts()
  // then gives each zone they touched the one serial bump apply() of the whole would have
  // (none for a zone whose SOA they set). The result sums the parts'.
  struct PartialApply {
    std::set<std::string> touched, explicit_soa;
    ApplyResult result;
  };
  ApplyResult apply_part(std::span<const Change> changes, PartialApply& parts);
  void finish_parts(PartialApply& parts);
  std::vector<Record> all_records() const;

  // Opens a batch (no-op when one is open).
  void begin_batch();
  // Publishes what the open batch changed as one version (nothing when it changed nothing) and
  // closes it; no-op without a batch.
  void publish_batch();
  bool in_batch() const { return batch_ != nullptr; }
  // The writer's view: the open batch's state, else current(). A batch's view is valid until
  // the next apply or publish_batch() (it is edited in place); never hand it to readers.
  std::shared_ptr<const DatabaseVersion> latest() const;

 private:
  struct Working;
  void publish(Working& w);
  std::unique_ptr<Working> working_from_current() const;
  ApplyResult apply_to(Working& w, std::span<const Change> changes);
  ApplyResult apply_changes(Working& w, std::span<const Change> changes, PartialApply& parts);
  void bump_serials(Working& w, const PartialApply& parts);

  std::atomic<std::shared_ptr<const DatabaseVersion>> current_;
  std::atomic<uint64_t> number_{0};
  uint64_t next_edit_ = 1;
  std::unique_ptr<Working> batch_;                             // the open batch, if any
  mutable std::shared_ptr<const DatabaseVersion> batch_view_;  // latest() of the batch
};

// Builds what Database::load() of the batches' concatenation builds, from batches handed over one
// at a time, so a zone file can be parsed on one thread while its zones are built on another.
// Each record is placed when its batch comes, in the deepest zone whose SOA came before it. An
// SOA that comes after records it would have taken (not the usual layout: a zone file starts
// with its SOA) makes finish() build everything again from the kept batches, in load()'s two
// passes. Same result and warnings as load() either way. The database must not change while a
// Loader is open; nothing is published before finish().
class Database::Loader {
 public:
  explicit Loader(Database& db);  // publishes the database's open batch first
  ~Loader();
  void add(RecordBatch batch);
  // Replaces everything with the records added; returns load()'s warnings.
  std::vector<std::string> finish();

 private:
  void place(const Record& r);

  Database& db_;
  std::unique_ptr<Working> w_;
  std::vector<RecordBatch> batches_;
  std::vector<std::string> first_pass_warnings_;  // what load()'s first pass would say
  std::vector<std::string> placing_warnings_;     // what its second pass would say
  std::vector<const std::string*> filled_zones_;  // apex keys (in w_) that hold placed records
  const std::string* last_filled_ = nullptr;
  bool any_cname_ = false;
  bool late_soa_ = false;
};

// A query thread's handle on the database: keeps a version and refreshes it only when the
// database published a newer one, so the hot path touches no shared reference count.
class DatabaseReader {
 public:
  explicit DatabaseReader(const Database& db) : db_(db), version_(db.current()) {}
  const DatabaseVersion& get() {
    if (db_.current_number() != version_->number()) version_ = db_.current();
    return *version_;
  }

 private:
  const Database& db_;
  std::shared_ptr<const DatabaseVersion> version_;
};

}  // namespace dns
