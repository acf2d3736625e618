#include "dns/zone_checks.h"

#include <algorithm>
#include <unordered_map>

#include "dns/types.h"

namespace dns {

namespace {

constexpr uint16_t kNsec = 47;  // DNSSEC records may sit beside a CNAME (RFC 4035 §2.5)

bool may_sit_beside_cname(uint16_t rtype) {
  return rtype == type::RRSIG || rtype == kNsec;
}

// `for_each(visit)` calls visit(record) for every record in order.
template <typename ForEach>
std::vector<ZoneWarning> cname_conflicts(const ForEach& for_each,
                                         const std::vector<RecordLocation>& locations) {
  // CNAMEs are rare, so index only their owners; a zone of a million names costs one hash
  // lookup per record and no copies.
  std::unordered_map<Name, size_t, NameHash> first_cname;
  size_t i = 0;
  for_each([&](const Record& r) {
    if (r.type == type::CNAME) first_cname.try_emplace(r.owner, i);
    ++i;
  });
  if (first_cname.empty()) return {};
  std::vector<size_t> conflicting;
  for_each([&](const Record& r) {
    if (r.type == type::CNAME || may_sit_beside_cname(r.type)) return;
    auto it = first_cname.find(r.owner);
    if (it == first_cname.end()) return;
    conflicting.push_back(it->second);
    first_cname.erase(it);  // one warning per owner
  });
  std::sort(conflicting.begin(), conflicting.end());
  std::vector<ZoneWarning> warnings;
  for (size_t k : conflicting) {
    warnings.push_back(
        {*locations[k].file, locations[k].line, "CNAME beside other data: exact-type data wins"});
  }
  return warnings;
}

}  // namespace

bool is_zone_data_type(uint16_t rtype) {
  return rtype != type::OPT && !(rtype >= 128 && rtype <= 255);
}

std::vector<ZoneWarning> find_cname_conflicts(const std::vector<Record>& records,
                                              const std::vector<RecordLocation>& locations) {
  return cname_conflicts(
      [&](auto&& visit) {
        for (const Record& r : records) visit(r);
      },
      locations);
}

std::vector<ZoneWarning> find_cname_conflicts(std::span<const RecordBatch> batches,
                                              const std::vector<RecordLocation>& locations) {
  return cname_conflicts(
      [&](auto&& visit) {
        for (const auto& batch : batches)
          for (const Record& r : *batch) visit(r);
      },
      locations);
}

}  // namespace dns
