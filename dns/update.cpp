#include "dns/update.h"

#include <algorithm>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "dns/types.h"
#include "dns/zone.h"

namespace dns::update {

namespace {

bool is_meta_type(uint16_t t) {
  // AXFR, IXFR, MAILB, MAILA, ANY and OPT/TSIG-style pseudo types cannot be stored.
  return t == type::AXFR || t == type::IXFR || t == 253 || t == 254 || t == type::ANY ||
         t == type::OPT || t == 250 || t == 249;
}

std::string key_of(const Name& name) {
  return name.lowercased().wire();
}

// One owner name's RRsets as the update sees them: loaded from the zone on first touch, then
// changed in place, so later updates of the same request see earlier ones (RFC 2136 §3.4.2).
struct WorkingName {
  Name owner;
  std::map<uint16_t, RRset> rrsets;
};

std::vector<uint8_t> to_vector(std::span<const uint8_t> rdata) {
  return {rdata.begin(), rdata.end()};
}

RRset single_rrset(uint16_t rrtype, uint32_t ttl, std::span<const uint8_t> rdata) {
  RRset set{rrtype, ttl, {}};
  set.rdatas.push_back(rdata);
  return set;
}

class Working {
 public:
  explicit Working(const Zone& zone) : zone_(zone) {}

  WorkingName& at(const Name& owner) {
    const std::string key = key_of(owner);
    auto it = names_.find(key);
    if (it != names_.end()) return it->second;
    WorkingName w{owner, {}};
    if (const ZoneNode* node = zone_.find(key))
      for (const RRset& s : node->rrsets) w.rrsets[s.type] = s;
    return names_.emplace(key, std::move(w)).first->second;
  }

  // The changes that turn the zone into the working state: removals first, then additions.
  std::vector<Change> diff() const {
    std::vector<Change> removes, adds;
    for (const auto& [key, w] : names_) {
      const ZoneNode* node = zone_.find(key);
      std::map<uint16_t, const RRset*> before;
      if (node)
        for (const RRset& s : node->rrsets) before[s.type] = &s;
      auto contains = [](const RRset* set, uint16_t t, std::span<const uint8_t> rdata) {
        return set && std::any_of(set->rdatas.begin(), set->rdatas.end(),
                                  [&](const auto& r) { return rdata_equal(t, r, rdata); });
      };
      for (const auto& [t, set] : before) {
        auto after = w.rrsets.find(t);
        const RRset* now = after == w.rrsets.end() ? nullptr : &after->second;
        for (const auto& rdata : set->rdatas)
          if (!contains(now, t, rdata))
            removes.push_back(
                {Change::Remove, Record{w.owner, t, rclass::IN, set->ttl, to_vector(rdata)}});
      }
      for (const auto& [t, set] : w.rrsets) {
        auto old = before.find(t);
        const RRset* prior = old == before.end() ? nullptr : old->second;
        const bool ttl_changed = prior && prior->ttl != set.ttl;
        for (const auto& rdata : set.rdatas)
          if (ttl_changed || !contains(prior, t, rdata))
            adds.push_back(
                {Change::Add, Record{w.owner, t, rclass::IN, set.ttl, to_vector(rdata)}});
      }
    }
    removes.insert(removes.end(), std::make_move_iterator(adds.begin()),
                   std::make_move_iterator(adds.end()));
    return removes;
  }

 private:
  const Zone& zone_;
  std::map<std::string, WorkingName> names_;
};

bool rrset_has(const RRset& set, uint16_t t, const std::vector<uint8_t>& rdata) {
  return std::any_of(set.rdatas.begin(), set.rdatas.end(),
                     [&](const auto& r) { return rdata_equal(t, r, rdata); });
}

// RFC 1982: is a newer than b?
bool serial_newer(uint32_t a, uint32_t b) {
  return a != b && static_cast<uint32_t>(a - b) < 0x80000000u;
}

// §3.2: the prerequisites; NOERROR or the rcode of the first that fails.
uint16_t check_prerequisites(const Zone& zone, const Request& request, std::string& detail) {
  // Value-dependent RRset prerequisites are collected per (name, type) and compared as sets.
  std::map<std::pair<std::string, uint16_t>, std::vector<const Record*>> value_sets;
  for (const Record& p : request.prerequisites) {
    const ZoneNode* node = zone.find(key_of(p.owner));
    const bool in_use = node && node->has_data();
    const RRset* set = p.type == type::ANY || !node ? nullptr : node->find(p.type);
    auto fail = [&](uint16_t rc) {
      detail = fmt::format("prerequisite {} {} {} not met", p.owner.to_text(),
                           class_to_text(p.rclass), type_to_text(p.type));
      return rc;
    };
    if (p.rclass == rclass::ANY) {
      if (p.type == type::ANY) {
        if (!in_use) return fail(dns::rcode::NXDOMAIN);
      } else if (!set) {
        return fail(rcode::NXRRSET);
      }
    } else if (p.rclass == rclass::NONE) {
      if (p.type == type::ANY) {
        if (in_use) return fail(rcode::YXDOMAIN);
      } else if (set) {
        return fail(rcode::YXRRSET);
      }
    } else {
      value_sets[{key_of(p.owner), p.type}].push_back(&p);
    }
  }
  for (const auto& [where, records] : value_sets) {
    const Record& first = *records.front();
    const ZoneNode* node = zone.find(where.first);
    const RRset* set = node ? node->find(where.second) : nullptr;
    bool equal = set != nullptr;
    if (equal) {
      for (const Record* r : records)
        if (!rrset_has(*set, r->type, r->rdata)) equal = false;
      for (const auto& rdata : set->rdatas) {
        const bool listed = std::any_of(records.begin(), records.end(), [&](const Record* r) {
          return rdata_equal(r->type, r->rdata, rdata);
        });
        if (!listed) equal = false;
      }
    }
    if (!equal) {
      detail = fmt::format("prerequisite RRset {} {} does not have exactly the given values",
                           first.owner.to_text(), type_to_text(first.type));
      return rcode::NXRRSET;
    }
  }
  return dns::rcode::NOERROR;
}

// §3.4.2: one update RR applied to the working state.
void apply_update(Working& working, const Zone& zone, const Record& u) {
  const bool at_apex = u.owner == zone.apex();
  WorkingName& name = working.at(u.owner);
  if (u.rclass == rclass::IN) {
    if (u.type == type::SOA) {
      // Replaces the SOA only at the apex and with a newer serial (§3.4.2.2).
      auto soa = name.rrsets.find(type::SOA);
      if (!at_apex || soa == name.rrsets.end() || soa->second.rdatas.empty()) return;
      if (!serial_newer(soa_serial(u.rdata), soa_serial(soa->second.rdatas.front()))) return;
      soa->second = single_rrset(type::SOA, u.ttl, u.rdata);
      return;
    }
    const bool has_cname = name.rrsets.contains(type::CNAME);
    if (u.type == type::CNAME) {
      // A CNAME does not join other data (and one CNAME replaces another).
      const bool other_data = std::any_of(name.rrsets.begin(), name.rrsets.end(),
                                          [](const auto& s) { return s.first != type::CNAME; });
      if (other_data) return;
      name.rrsets[type::CNAME] = single_rrset(type::CNAME, u.ttl, u.rdata);
      return;
    }
    if (has_cname) return;  // no other data beside a CNAME
    RRset& set = name.rrsets[u.type];
    set.type = u.type;
    set.ttl = u.ttl;  // RFC 2181 §5.2: one TTL per RRset, the last one given
    if (!rrset_has(set, u.type, u.rdata)) set.rdatas.push_back(u.rdata);
    return;
  }
  if (u.rclass == rclass::ANY) {
    if (u.type == type::ANY) {
      // Every RRset at the name, but never the apex SOA and NS (§3.4.2.3).
      for (auto it = name.rrsets.begin(); it != name.rrsets.end();) {
        if (at_apex && (it->first == type::SOA || it->first == type::NS))
          ++it;
        else
          it = name.rrsets.erase(it);
      }
      return;
    }
    if (at_apex && (u.type == type::SOA || u.type == type::NS)) return;
    name.rrsets.erase(u.type);
    return;
  }
  // Class NONE: delete one RR; never the SOA, nor the apex's last NS (§3.4.2.4).
  if (u.type == type::SOA) return;
  auto it = name.rrsets.find(u.type);
  if (it == name.rrsets.end()) return;
  RdataList& rdatas = it->second.rdatas;
  size_t match = 0;
  while (match < rdatas.size() && !rdata_equal(u.type, rdatas[match], u.rdata)) ++match;
  if (match == rdatas.size()) return;
  if (at_apex && u.type == type::NS && rdatas.size() == 1) return;
  rdatas.erase(match);
  if (rdatas.empty()) name.rrsets.erase(it);
}

}  // namespace

Parsed parse(const Message& m) {
  Parsed p;
  auto fail = [&](uint16_t rc, std::string why) {
    p.rcode = rc;
    p.error = std::move(why);
    return p;
  };
  if (m.questions.size() != 1)
    return fail(dns::rcode::FORMERR,
                fmt::format("zone section has {} entries, expected 1", m.questions.size()));
  const Question& z = m.questions.front();
  if (z.qtype != type::SOA)
    return fail(dns::rcode::FORMERR,
                fmt::format("zone section type is {}, expected SOA", type_to_text(z.qtype)));
  if (z.qclass != rclass::IN)
    return fail(rcode::NOTAUTH,
                fmt::format("zone class {} is not served", class_to_text(z.qclass)));
  p.request.zone = z.name;
  for (const Record& r : m.answer) {
    if (!r.owner.is_subdomain_of(z.name))
      return fail(rcode::NOTZONE,
                  fmt::format("prerequisite owner {} is outside the zone", r.owner.to_text()));
    if (r.ttl != 0)
      return fail(dns::rcode::FORMERR,
                  fmt::format("prerequisite {} has TTL {}, expected 0", r.owner.to_text(), r.ttl));
    const bool meta = r.rclass == rclass::ANY || r.rclass == rclass::NONE;
    if (meta && !r.rdata.empty())
      return fail(dns::rcode::FORMERR, fmt::format("prerequisite {} of class {} has rdata",
                                                   r.owner.to_text(), class_to_text(r.rclass)));
    if (!meta && r.rclass != rclass::IN)
      return fail(dns::rcode::FORMERR, fmt::format("prerequisite {} has class {}",
                                                   r.owner.to_text(), class_to_text(r.rclass)));
    if (!meta && is_meta_type(r.type))
      return fail(dns::rcode::FORMERR, fmt::format("prerequisite {} has type {}", r.owner.to_text(),
                                                   type_to_text(r.type)));
    if (r.rclass == rclass::NONE && r.type != type::ANY && is_meta_type(r.type))
      return fail(dns::rcode::FORMERR, fmt::format("prerequisite {} has type {}", r.owner.to_text(),
                                                   type_to_text(r.type)));
    p.request.prerequisites.push_back(r);
  }
  for (const Record& r : m.authority) {
    if (!r.owner.is_subdomain_of(z.name))
      return fail(rcode::NOTZONE,
                  fmt::format("update owner {} is outside the zone", r.owner.to_text()));
    const std::string what = fmt::format("update {} {} {}", r.owner.to_text(),
                                         class_to_text(r.rclass), type_to_text(r.type));
    if (r.rclass == rclass::IN) {
      if (is_meta_type(r.type)) return fail(dns::rcode::FORMERR, what + ": type cannot be added");
    } else if (r.rclass == rclass::ANY) {
      if (r.ttl != 0 || !r.rdata.empty())
        return fail(dns::rcode::FORMERR, what + ": needs TTL 0 and no rdata");
      if (r.type != type::ANY && is_meta_type(r.type))
        return fail(dns::rcode::FORMERR, what + ": type cannot be deleted");
    } else if (r.rclass == rclass::NONE) {
      if (r.ttl != 0) return fail(dns::rcode::FORMERR, what + ": needs TTL 0");
      if (is_meta_type(r.type)) return fail(dns::rcode::FORMERR, what + ": type cannot be deleted");
    } else {
      return fail(dns::rcode::FORMERR, what + ": class not allowed");
    }
    p.request.updates.push_back(r);
  }
  return p;
}

Outcome evaluate(const DatabaseVersion& db, const Request& request) {
  Outcome out;
  const Zone* zone = db.find_zone(key_of(request.zone));
  if (zone == nullptr || !(zone->apex() == request.zone) || zone->soa() == nullptr) {
    out.rcode = rcode::NOTAUTH;
    out.detail = fmt::format("zone {} is not served", request.zone.to_text());
    return out;
  }
  // A name below a child zone we also serve belongs to that zone, not this one.
  auto outside = [&](const Record& r) { return db.find_zone(key_of(r.owner)) != zone; };
  for (const auto* section : {&request.prerequisites, &request.updates})
    for (const Record& r : *section)
      if (outside(r)) {
        out.rcode = rcode::NOTZONE;
        out.detail = fmt::format("{} is not in zone {}", r.owner.to_text(), zone->apex().to_text());
        return out;
      }
  out.rcode = check_prerequisites(*zone, request, out.detail);
  if (out.rcode != dns::rcode::NOERROR) return out;
  Working working(*zone);
  for (const Record& u : request.updates) apply_update(working, *zone, u);
  out.changes = working.diff();
  return out;
}

std::string rcode_text(uint16_t rc) {
  switch (rc) {
    case rcode::YXDOMAIN:
      return "YXDOMAIN";
    case rcode::YXRRSET:
      return "YXRRSET";
    case rcode::NXRRSET:
      return "NXRRSET";
    case rcode::NOTAUTH:
      return "NOTAUTH";
    case rcode::NOTZONE:
      return "NOTZONE";
    default:
      return rcode_to_text(rc);
  }
}

}  // namespace dns::update
