#include "dns/zone_journal.h"

#include "dns/zone.h"

namespace dns {

void ZoneJournal::add(DiffPtr diff) {
  const std::string key = name_key(diff->apex);
  const size_t size = diff->bytes();
  std::lock_guard lock(mutex_);
  History& h = zones_[key];
  if (!h.diffs.empty() && h.diffs.back()->to() != diff->from()) {
    h.diffs.clear();
    h.bytes = 0;
  }
  h.diffs.push_back(std::move(diff));
  h.bytes += size;
  while (!h.diffs.empty() && (h.diffs.size() > limits_.max_diffs || h.bytes > limits_.max_bytes)) {
    h.bytes -= h.diffs.front()->bytes();
    h.diffs.pop_front();
  }
  if (h.diffs.empty()) zones_.erase(key);
}

void ZoneJournal::reset(const Name& apex) {
  std::lock_guard lock(mutex_);
  zones_.erase(name_key(apex));
}

bool ZoneJournal::holds(const Name& apex) const {
  std::lock_guard lock(mutex_);
  return zones_.contains(name_key(apex));
}

void ZoneJournal::clear() {
  std::lock_guard lock(mutex_);
  zones_.clear();
}

std::optional<std::vector<ZoneJournal::DiffPtr>> ZoneJournal::between(const Name& apex,
                                                                      uint32_t from,
                                                                      uint32_t to) const {
  std::lock_guard lock(mutex_);
  auto it = zones_.find(name_key(apex));
  if (it == zones_.end()) return std::nullopt;
  const auto& diffs = it->second.diffs;
  size_t first = 0;
  while (first < diffs.size() && diffs[first]->from() != from) ++first;
  std::vector<DiffPtr> out;
  uint32_t at = from;
  for (size_t i = first; i < diffs.size() && at != to; ++i) {
    if (diffs[i]->from() != at) return std::nullopt;  // (add() keeps each zone one chain)
    out.push_back(diffs[i]);
    at = diffs[i]->to();
  }
  if (at != to || out.empty()) return std::nullopt;
  return out;
}

std::vector<ZoneJournal::DiffPtr> ZoneJournal::all() const {
  std::lock_guard lock(mutex_);
  std::vector<DiffPtr> out;
  for (const auto& [key, h] : zones_) out.insert(out.end(), h.diffs.begin(), h.diffs.end());
  return out;
}

size_t ZoneJournal::bytes() const {
  std::lock_guard lock(mutex_);
  size_t n = 0;
  for (const auto& [key, h] : zones_) n += h.bytes;
  return n;
}

size_t ZoneJournal::diffs() const {
  std::lock_guard lock(mutex_);
  size_t n = 0;
  for (const auto& [key, h] : zones_) n += h.diffs.size();
  return n;
}

std::vector<Record> ixfr_records(const std::vector<ZoneJournal::DiffPtr>& diffs,
                                 const Record& current_soa) {
  std::vector<Record> out;
  out.push_back(current_soa);
  for (const auto& d : diffs) {
    out.push_back(d->old_soa);
    out.insert(out.end(), d->removed.begin(), d->removed.end());
    out.push_back(d->new_soa);
    out.insert(out.end(), d->added.begin(), d->added.end());
  }
  out.push_back(current_soa);
  return out;
}

}  // namespace dns
