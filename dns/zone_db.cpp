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

// The writer's view during one load/apply: published zones plus private copies being edited.
struct Database::Working {
  struct Slot {
    std::shared_ptr<const Zone> published;
    std::optional<Zone> edited;
  };
  std::map<std::string, Slot, std::less<>> zones;  // by apex key; kOutsideKey = outside zones
  uint64_t edit = 0;
  uint64_t number = 0;

  Zone& zone(const std::string& apex_key) {
    Slot& s = zones.at(apex_key);
    if (!s.edited) s.edited.emplace(*s.published);
    return *s.edited;
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
  // Returns the apex key of the zone that lost records to the new zone, if any did.
  std::optional<std::string> create_zone(const Name& apex) {
    const std::string key = name_key(apex);
    const std::string parent = apex_for(key);
    zones[key].edited.emplace(apex);
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

void Database::publish(Working& w) {
  auto v = std::make_shared<DatabaseVersion>();
  v->number_ = w.number;
  for (auto& [key, slot] : w.zones) {
    if (slot.edited) {
      slot.edited->cache_apex();
      slot.published = std::make_shared<const Zone>(std::move(*slot.edited));
    }
    if (key == kOutsideKey) {
      v->outside_ = slot.published;
    } else {
      v->zones_.push_back(slot.published);
      v->by_apex_.emplace(key, slot.published.get());
    }
  }
  current_.store(std::move(v));
  number_.store(w.number, std::memory_order_release);
  // Parts created under this edit id are now visible to readers: never edit them in place again.
  ++next_edit_;
}

std::vector<std::string> Database::load(std::vector<Record> records) {
  return load_streamed([&](const RecordVisitor& visit) {
    for (const Record& r : records) visit(r);
  });
}

std::vector<std::string> Database::load_streamed(const RecordSource& source) {
  std::vector<std::string> warnings;
  Working w;
  w.edit = next_edit_;
  w.number = current()->number() + 1;
  w.zones[kOutsideKey].edited.emplace(Name());

  // Pass 1: the zones (every SOA) and the warnings for records never served.
  source([&](const Record& r) {
    if (r.rclass != rclass::IN) {
      warnings.push_back(
          fmt::format("{}: class {} is not served, ignored", describe(r), class_to_text(r.rclass)));
    } else if (!valid_record(r)) {
      warnings.push_back(fmt::format("{}: malformed rdata, ignored", describe(r)));
    } else if (r.type != type::SOA) {
      return;
    } else if (const std::string key = name_key(r.owner); w.zones.contains(key)) {
      warnings.push_back(fmt::format("{}: second SOA for this zone, ignored", describe(r)));
    } else {
      w.zones[key].edited.emplace(r.owner);
      w.zones[key].edited->add(r, w.edit);
    }
  });
  // Pass 2: every other record into the zone it falls in, now that all zones are known.
  std::string key;
  source([&](const Record& r) {
    if (r.rclass != rclass::IN || r.type == type::SOA || !valid_record(r)) return;
    key.assign(r.owner.wire());
    for (char& c : key) c = static_cast<char>(ascii_lower(static_cast<uint8_t>(c)));
    const std::string& apex = w.apex_for(key);
    if (apex == kOutsideKey)
      warnings.push_back(
          fmt::format("{}: outside every zone (no SOA above it), not served", describe(r)));
    w.zone(apex).add(r, w.edit);
  });
  for (const auto& [key, slot] : w.zones) {
    slot.edited->for_each_node([&](const ZoneNode& n) {
      const RRset* cname = n.find(type::CNAME);
      if (!cname) return;
      if (cname->rdatas.size() > 1)
        warnings.push_back(fmt::format("{} CNAME: {} targets; the first is followed",
                                       n.owner().to_text(), cname->rdatas.size()));
      if (n.rrsets.size() > 1)
        warnings.push_back(fmt::format(
            "{}: CNAME beside other data; queries for those types get the data, others the CNAME",
            n.owner().to_text()));
    });
  }
  publish(w);
  return warnings;
}

ApplyResult Database::apply(std::span<const Change> changes) {
  ApplyResult result;
  const auto base = current();
  Working w;
  w.edit = next_edit_;
  w.number = base->number() + 1;
  w.zones[kOutsideKey].published = base->outside_;
  for (const auto& z : base->zones_) w.zones[z->apex_key()].published = z;

  std::set<std::string> touched, explicit_soa;
  for (const Change& c : changes) {
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
      const std::string apex = w.apex_for(name_key(r.owner));
      done = c.kind == Change::Add ? w.zone(apex).add(r, w.edit) : w.zone(apex).remove(r, w.edit);
      if (done) touched.insert(apex);
    }
    ++(done ? result.applied : result.noops);
  }
  if (result.applied == 0) return result;  // nothing changed: no new version

  for (const std::string& key : touched) {
    if (key == kOutsideKey || explicit_soa.contains(key) || !w.zones.contains(key)) continue;
    Zone& z = w.zone(key);
    if (const RRset* soa = z.soa()) z.set_soa_serial(soa_serial(soa->rdatas[0]) + 1, w.edit);
  }
  publish(w);
  return result;
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
