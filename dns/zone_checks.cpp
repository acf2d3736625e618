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

}  // namespace

bool is_zone_data_type(uint16_t rtype) {
  return rtype != type::OPT && !(rtype >= 128 && rtype <= 255);
}

std::vector<ZoneWarning> find_cname_conflicts(const std::vector<Record>& records,
                                              const std::vector<RecordLocation>& locations) {
  // CNAMEs are rare, so index only their owners; a zone of a million names costs one hash
  // lookup per record and no copies.
  std::unordered_map<Name, size_t, NameHash> first_cname;
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].type == type::CNAME) first_cname.try_emplace(records[i].owner, i);
  }
  if (first_cname.empty()) return {};
  std::vector<size_t> conflicting;
  for (const Record& r : records) {
    if (r.type == type::CNAME || may_sit_beside_cname(r.type)) continue;
    auto it = first_cname.find(r.owner);
    if (it == first_cname.end()) continue;
    conflicting.push_back(it->second);
    first_cname.erase(it);  // one warning per owner
  }
  std::sort(conflicting.begin(), conflicting.end());
  std::vector<ZoneWarning> warnings;
  for (size_t i : conflicting) {
    warnings.push_back(
        {*locations[i].file, locations[i].line, "CNAME beside other data: exact-type data wins"});
  }
  return warnings;
}

}  // namespace dns
