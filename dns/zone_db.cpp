#include "dns/zone_db.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "dns/error.h"
#include "dns/rdata.h"
#include "dns/types.h"

namespace dns {

namespace {

// True when the name with lowercase wire `key` is `apex` or below it.
bool key_at_or_below(std::string_view key, std::string_view apex) {
  size_t off = 0;
  while (key.size() - off > apex.size()) off += 1 + static_cast<uint8_t>(key[off]);
  return key.size() - off == apex.size() && key.substr(off) == apex;
}

// The outside-zones pseudo-zone is filed under the empty key (no wire name is empty).
const std::string kOutsideKey;

bool valid_record(const Record& r) {
  try {
    validate_rdata(r.type, r.rdata);
    return true;
  } catch (const Error&) {
    return false;
  }
}

std::string describe(const Record& r) {
  return fmt::format("{} {}", r.owner.to_text(), type_to_text(r.type));
}

// SOA equality apart from the serial, which every change bumps.
bool same_soa_but_serial(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  SoaFields x = soa_from_rdata(a), y = soa_from_rdata(b);
  return x.mname == y.mname && x.rname == y.rname && x.refresh == y.refresh && x.retry == y.retry &&
         x.expire == y.expire && x.minimum == y.minimum;
}

}  // namespace

// ---------------------------------------------------------------------------- DatabaseVersion

const Zone* DatabaseVersion::find_zone(std::string_view key) const {
  if (zones_.size() <= kLinearSearchZones) {
    // Few zones: comparing tails is cheaper than hashing every suffix of the name.
    const Zone* best = nullptr;
    for (const auto& z : zones_) {
      const std::string& apex = z->apex_key();
      if (apex.size() > key.size() || (best && apex.size() <= best->apex_key().size()) ||
          !key.ends_with(apex))
        continue;
      size_t off = 0;
      while (key.size() - off > apex.size()) off += 1 + static_cast<uint8_t>(key[off]);
      if (key.size() - off == apex.size()) best = z.get();
    }
    return best;
  }
  for (size_t off = 0; off < key.size(); off += 1 + static_cast<uint8_t>(key[off])) {
    auto it = by_apex_.find(key.substr(off));
    if (it != by_apex_.end()) return it->second;
  }
  return nullptr;
}

size_t DatabaseVersion::record_count() const {
  size_t n = outside_->record_count();
  for (const auto& z : zones_) n += z->record_count();
  return n;
}

// ----------------------------------------------------------------------------------- Working

// The writer's view during one load, apply or batch: published zones plus private copies being
// edited (shared pointers, so that a batch's view can show them without copying).
struct Database::Working {
  struct Slot {
    std::shared_ptr<const Zone> published;
    std::shared_ptr<Zone> edited;
  };
  std::map<std::string, Slot, std::less<>> zones;  // by apex key; kOutsideKey = outside zones
  uint64_t edit = 0;
  uint64_t number = 0;
  bool changed = false;    // a batch: some apply changed something
  bool view_stale = true;  // a batch: its view no longer shows the zones' current objects

  Zone& zone(const std::string& apex_key) {
    Slot& s = zones.at(apex_key);
    if (!s.edited) {
      s.edited = std::make_shared<Zone>(*s.published);
      view_stale = true;
    }
    return *s.edited;
  }
  Zone& new_zone(const std::string& key, const Name& apex) {
    Slot& s = zones[key];
    s.published.reset();
    s.edited = std::make_shared<Zone>(apex);
    view_stale = true;
    return *s.edited;
  }
  // The version these zones make (readers' view of it only after publish()).
  std::shared_ptr<DatabaseVersion> version() const {
    auto v = std::make_shared<DatabaseVersion>();
    v->number_ = number;
    for (const auto& [key, slot] : zones) {
      std::shared_ptr<const Zone> z = slot.edited ? slot.edited : slot.published;
      if (key == kOutsideKey) {
        v->outside_ = std::move(z);
      } else {
        v->by_apex_.emplace(key, z.get());
        v->zones_.push_back(std::move(z));
      }
    }
    return v;
  }
  const Zone& view(const std::string& apex_key) const {
    const Slot& s = zones.at(apex_key);
    return s.edited ? *s.edited : *s.published;
  }
  // Apex key of the deepest zone holding `key`, or kOutsideKey.
  const std::string& apex_for(std::string_view key) const {
    for (size_t off = 0; off < key.size(); off += 1 + static_cast<uint8_t>(key[off])) {
      auto it = zones.find(key.substr(off));
      if (it != zones.end()) return it->first;
    }
    return kOutsideKey;
  }
  // Moves every record of zone `from` that `pick` selects into the zone where it now belongs.
  void move_records(const std::string& from, const std::function<bool(const Record&)>& pick) {
    std::vector<Record> records;
    view(from).append_records(records);
    for (const Record& r : records) {
      if (!pick(r)) continue;
      zone(from).remove(r, edit);
      zone(apex_for(name_key(r.owner))).add(r, edit);
    }
  }
  // Starts the trie walks of these owners side by side in the zone of the last one (see
  // Zone::prefetch); at most kPrefetchGroup owners.
  static constexpr size_t kPrefetchGroup = 8;
  void prefetch(std::span<const Name* const> owners) const {
    uint64_t hashes[kPrefetchGroup];
    char buf[Name::kMaxWireLength];
    std::string_view key;
    const size_t n = std::min(owners.size(), kPrefetchGroup);
    for (size_t i = 0; i < n; ++i) hashes[i] = name_key_hash(key = name_key(*owners[i], buf));
    if (n > 0) view(apex_for(key)).prefetch(std::span<const uint64_t>(hashes, n));
  }
  // Load (replace everything): an empty working set holding only the outside-zones pseudo-zone.
  void start_load(uint64_t edit_id, uint64_t version_number) {
    edit = edit_id;
    number = version_number;
    new_zone(kOutsideKey, Name());
  }
  // Load's first pass over a record: an SOA sets up its zone; warns of records never served.
  // `valid` is valid_record(r), worked out once by the caller.
  void load_first_pass(const Record& r, bool valid, std::vector<std::string>& warnings) {
    if (r.rclass != rclass::IN) {
      warnings.push_back(
          fmt::format("{}: class {} is not served, ignored", describe(r), class_to_text(r.rclass)));
    } else if (!valid) {
      warnings.push_back(fmt::format("{}: malformed rdata, ignored", describe(r)));
    } else if (r.type != type::SOA) {
      return;
    } else if (const std::string key = name_key(r.owner); zones.contains(key)) {
      warnings.push_back(fmt::format("{}: second SOA for this zone, ignored", describe(r)));
    } else {
      new_zone(key, r.owner).add(r, edit);
    }
  }
  // Load's second pass over a record: places every record but SOAs (and those the first pass
  // ignored) in the deepest zone known now. Returns that zone's apex key (kept in `zones`), or
  // null when the record is not placed.
  const std::string* load_place(const Record& r, bool valid, std::vector<std::string>& warnings) {
    if (r.rclass != rclass::IN || r.type == type::SOA || !valid) return nullptr;
    char buf[Name::kMaxWireLength];
    const std::string& apex = apex_for(name_key(r.owner, buf));
    if (apex == kOutsideKey)
      warnings.push_back(
          fmt::format("{}: outside every zone (no SOA above it), not served", describe(r)));
    zone(apex).add(r, edit);
    return &apex;
  }
  // Load's warnings for CNAMEs: several targets, or data beside them.
  void warn_cnames(std::vector<std::string>& warnings) const {
    for (const auto& [key, slot] : zones) {
      slot.edited->for_each_node([&](const ZoneNode& n) {
        const RRset* cname = n.find(type::CNAME);
        if (!cname) return;
        if (cname->rdatas.size() > 1)
          warnings.push_back(fmt::format("{} CNAME: {} targets; the first is followed",
                                         n.owner().to_text(), cname->rdatas.size()));
        if (n.rrsets.size() > 1)
          warnings.push_back(fmt::format(
              "{}: CNAME beside other data; queries for those types get the data, others the "
              "CNAME",
              n.owner().to_text()));
      });
    }
  }
  // Returns the apex key of the zone that lost records to the new zone, if any did.
  std::optional<std::string> create_zone(const Name& apex) {
    const std::string key = name_key(apex);
    const std::string parent = apex_for(key);
    new_zone(key, apex);
    const size_t before = view(parent).record_count();
    move_records(parent, [&](const Record& r) { return key_at_or_below(name_key(r.owner), key); });
    if (view(parent).record_count() == before) return std::nullopt;
    return parent;
  }
  // Returns the apex key of the zone that received the deleted zone's records, if any.
  std::optional<std::string> delete_zone(const std::string& key) {
    std::vector<Record> records;
    view(key).append_records(records);
    zones.erase(key);
    view_stale = true;
    const std::string to = apex_for(key);
    bool moved = false;
    for (const Record& r : records)
      if (r.type != type::SOA) moved = zone(to).add(r, edit) || moved;
    if (!moved) return std::nullopt;
    return to;
  }
};

// ---------------------------------------------------------------------------------- Database

Database::Database() {
  auto v = std::make_shared<DatabaseVersion>();
  v->outside_ = std::make_shared<const Zone>(Name());
  current_.store(std::move(v));
}

Database::~Database() = default;

void Database::publish(Working& w) {
  for (auto& [key, slot] : w.zones) {
    if (!slot.edited) continue;
    slot.edited->cache_apex();
    slot.published = std::move(slot.edited);
    slot.edited.reset();
  }
  std::shared_ptr<const DatabaseVersion> v = w.version();
  current_.store(std::move(v));
  number_.store(w.number, std::memory_order_release);
  // Parts created under this edit id are now visible to readers: never edit them in place again.
  ++next_edit_;
}

std::vector<std::string> Database::load(std::vector<Record> records) {
  Loader loader(*this);
  loader.add(std::make_shared<const std::vector<Record>>(std::move(records)));
  return loader.finish();
}

std::vector<std::string> Database::load_streamed(const RecordSource& source) {
  publish_batch();
  std::vector<std::string> warnings;
  Working w;
  w.start_load(next_edit_, current()->number() + 1);
  // Pass 1: the zones (every SOA) and the warnings for records never served.
  source([&](const Record& r) { w.load_first_pass(r, valid_record(r), warnings); });
  // Pass 2: every other record into the zone it falls in, now that all zones are known.
  bool any_cname = false;
  source([&](const Record& r) {
    if (w.load_place(r, valid_record(r), warnings) && r.type == type::CNAME) any_cname = true;
  });
  if (any_cname) w.warn_cnames(warnings);
  publish(w);
  return warnings;
}

// ------------------------------------------------------------------------------------ Loader

Database::Loader::Loader(Database& db) : db_(db), w_(std::make_unique<Working>()) {
  db_.publish_batch();
  w_->start_load(db_.next_edit_, db_.current()->number() + 1);
}

Database::Loader::~Loader() = default;

void Database::Loader::add(RecordBatch batch) {
  batches_.push_back(batch);
  const std::vector<Record>& records = *batch;
  // A few records at a time, their trie walks started side by side first: a large zone's load
  // spends most of its time in cache misses, and these overlap.
  const Name* owners[Working::kPrefetchGroup];
  for (size_t start = 0; start < records.size() && !late_soa_; start += Working::kPrefetchGroup) {
    const size_t end = std::min(records.size(), start + Working::kPrefetchGroup);
    for (size_t i = start; i < end; ++i) owners[i - start] = &records[i].owner;
    w_->prefetch(std::span<const Name* const>(owners, end - start));
    for (size_t i = start; i < end && !late_soa_; ++i) place(records[i]);
  }
  // With late_soa_ set, finish() places everything from batches_.
}

void Database::Loader::place(const Record& r) {
  const bool valid = valid_record(r);
  if (r.type == type::SOA && r.rclass == rclass::IN && valid) {
    // A new zone takes the records at and below its apex from the zone that holds its apex
    // name; if that zone already holds records, some may be the new zone's.
    const std::string key = name_key(r.owner);
    const std::string& holder = w_->apex_for(key);
    if (!w_->zones.contains(key) &&
        std::find(filled_zones_.begin(), filled_zones_.end(), &holder) != filled_zones_.end()) {
      late_soa_ = true;
      return;
    }
  }
  w_->load_first_pass(r, valid, first_pass_warnings_);
  const std::string* apex = w_->load_place(r, valid, placing_warnings_);
  if (!apex) return;
  any_cname_ = any_cname_ || r.type == type::CNAME;
  if (apex != last_filled_) {
    last_filled_ = apex;
    if (std::find(filled_zones_.begin(), filled_zones_.end(), apex) == filled_zones_.end())
      filled_zones_.push_back(apex);
  }
}

std::vector<std::string> Database::Loader::finish() {
  if (late_soa_) {
    w_.reset();
    return db_.load_streamed([&](const RecordVisitor& visit) {
      for (const RecordBatch& batch : batches_)
        for (const Record& r : *batch) visit(r);
    });
  }
  std::vector<std::string> warnings = std::move(first_pass_warnings_);
  warnings.insert(warnings.end(), std::make_move_iterator(placing_warnings_.begin()),
                  std::make_move_iterator(placing_warnings_.end()));
  if (any_cname_) w_->warn_cnames(warnings);
  db_.publish(*w_);
  return warnings;
}

std::unique_ptr<Database::Working> Database::working_from_current() const {
  const auto base = current();
  auto w = std::make_unique<Working>();
  w->edit = next_edit_;
  w->number = base->number() + 1;
  w->zones[kOutsideKey].published = base->outside_;
  for (const auto& z : base->zones_) w->zones[z->apex_key()].published = z;
  return w;
}

void Database::begin_batch() {
  if (!batch_) batch_ = working_from_current();
}

void Database::publish_batch() {
  if (!batch_) return;
  std::unique_ptr<Working> w = std::move(batch_);
  batch_view_.reset();
  if (w->changed) publish(*w);
}

std::shared_ptr<const DatabaseVersion> Database::latest() const {
  if (!batch_) return current();
  if (batch_->view_stale || !batch_view_) {
    batch_view_ = batch_->version();
    batch_->view_stale = false;
  }
  return batch_view_;
}

ApplyResult Database::apply(std::span<const Change> changes) {
  if (batch_) {
    const ApplyResult result = apply_to(*batch_, changes);
    if (result.applied > 0) batch_->changed = true;
    return result;
  }
  std::unique_ptr<Working> w = working_from_current();
  const ApplyResult result = apply_to(*w, changes);
  if (result.applied > 0) publish(*w);
  return result;
}

ApplyResult Database::apply_to(Working& w, std::span<const Change> changes) {
  PartialApply parts;
  const ApplyResult result = apply_changes(w, changes, parts);
  if (result.applied > 0) bump_serials(w, parts);
  return result;
}

ApplyResult Database::apply_part(std::span<const Change> changes, PartialApply& parts) {
  if (!batch_) throw std::logic_error("Database::apply_part outside a batch");
  const ApplyResult result = apply_changes(*batch_, changes, parts);
  parts.result.applied += result.applied;
  parts.result.noops += result.noops;
  if (result.applied > 0) batch_->changed = true;
  return result;
}

void Database::finish_parts(PartialApply& parts) {
  if (!batch_) throw std::logic_error("Database::finish_parts outside a batch");
  if (parts.result.applied > 0) bump_serials(*batch_, parts);
}

ApplyResult Database::apply_changes(Working& w, std::span<const Change> changes,
                                    PartialApply& parts) {
  ApplyResult result;
  std::set<std::string>& touched = parts.touched;
  std::set<std::string>& explicit_soa = parts.explicit_soa;
  const Name* owners[Working::kPrefetchGroup];
  for (size_t i = 0; i < changes.size(); ++i) {
    if (i % Working::kPrefetchGroup == 0 && changes.size() - i > 1) {
      // A large batch (an import's 256 records): its trie walks overlap, as in a load.
      const size_t n = std::min(changes.size() - i, Working::kPrefetchGroup);
      for (size_t k = 0; k < n; ++k) owners[k] = &changes[i + k].record.owner;
      w.prefetch(std::span<const Name* const>(owners, n));
    }
    const Change& c = changes[i];
    const Record& r = c.record;
    bool done = false;
    if (r.rclass != rclass::IN || !valid_record(r)) {
      done = false;
    } else if (r.type == type::SOA) {
      const std::string key = name_key(r.owner);
      const bool exists = w.zones.contains(key);
      if (c.kind == Change::Add) {
        if (!exists) {
          if (auto loser = w.create_zone(r.owner)) touched.insert(*loser);
        }
        done = w.zone(key).add(r, w.edit);
        if (done) explicit_soa.insert(key);
      } else if (exists) {
        const RRset* soa = w.view(key).soa();
        if (soa && same_soa_but_serial(soa->rdatas[0], r.rdata)) {
          if (auto gainer = w.delete_zone(key)) touched.insert(*gainer);
          done = true;
        }
      }
      if (done) touched.insert(key);
    } else {
      char buf[Name::kMaxWireLength];
      const std::string& apex = w.apex_for(name_key(r.owner, buf));
      done = c.kind == Change::Add ? w.zone(apex).add(r, w.edit) : w.zone(apex).remove(r, w.edit);
      if (done) touched.insert(apex);
    }
    ++(done ? result.applied : result.noops);
  }
  return result;
}

void Database::bump_serials(Working& w, const PartialApply& parts) {
  for (const std::string& key : parts.touched) {
    if (key == kOutsideKey || parts.explicit_soa.contains(key) || !w.zones.contains(key)) continue;
    Zone& z = w.zone(key);
    if (const RRset* soa = z.soa()) z.set_soa_serial(soa_serial(soa->rdatas[0]) + 1, w.edit);
  }
}

std::vector<Record> Database::all_records() const {
  const auto v = current();
  std::vector<Record> out;
  for (const auto& z : v->zones()) z->append_records(out);
  v->outside_zones().append_records(out);
  std::sort(out.begin(), out.end(), [](const Record& a, const Record& b) {
    if (auto c = a.owner <=> b.owner; c != 0) return c < 0;
    if (a.type != b.type) return a.type < b.type;
    return a.rdata < b.rdata;
  });
  return out;
}

}  // namespace dns
