#include "dns/answer.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "dns/error.h"
#include "dns/message.h"
#include "dns/response_writer.h"
#include "dns/types.h"

namespace dns {

namespace {

constexpr uint16_t kMailB = 253, kMailA = 254;
constexpr size_t kOptSize = 11;
constexpr size_t kMinUdpPayload = 512;

using Bytes = std::span<const uint8_t>;

uint16_t get16(Bytes p, size_t pos) {
  return static_cast<uint16_t>(p[pos] << 8 | p[pos + 1]);
}

Bytes as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string_view as_key(const uint8_t* p, size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

bool same_name(Bytes a, Bytes b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

// True when the name with lowercase wire `key` is `apex` or below it.
bool key_at_or_below(std::string_view key, std::string_view apex) {
  size_t off = 0;
  while (key.size() - off > apex.size()) off += 1 + static_cast<uint8_t>(key[off]);
  return key.size() - off == apex.size() && key.substr(off) == apex;
}

// What the query asked, as far as it could be read.
struct ParsedQuery {
  uint16_t id = 0;
  uint8_t opcode = 0;
  bool rd = false, cd = false;
  bool question_ok = false;
  Bytes qname;  // points into the query packet, case as sent
  uint16_t qtype = 0, qclass = 0;
  bool edns = false;
  uint16_t udp_size = 0;
  uint8_t edns_version = 0;
  bool dnssec_ok = false;
  bool malformed = false;
};

// The common shape: exactly one OPT record ending the packet at `pos`. False for anything else
// (the full decoder then judges it).
bool parse_trailing_opt(Bytes query, size_t pos, ParsedQuery& q) {
  const size_t size = query.size();
  if (size - pos < kOptSize || query[pos] != 0 || get16(query, pos + 1) != type::OPT) return false;
  const size_t rdlength = get16(query, pos + 9);
  if (pos + kOptSize + rdlength != size) return false;
  for (size_t o = pos + kOptSize; o < size;) {
    if (size - o < 4 || size - o - 4 < get16(query, o + 2)) return false;
    o += 4 + get16(query, o + 2);
  }
  q.edns = true;
  q.udp_size = get16(query, pos + 3);
  q.edns_version = query[pos + 6];
  q.dnssec_ok = (query[pos + 7] & 0x80) != 0;
  return true;
}

ParsedQuery parse_query(Bytes query) {
  ParsedQuery q;
  q.id = get16(query, 0);
  q.opcode = (query[2] >> 3) & 0x0f;
  q.rd = (query[2] & 0x01) != 0;
  q.cd = (query[3] & 0x10) != 0;
  const uint16_t qd = get16(query, 4), an = get16(query, 6), ns = get16(query, 8),
                 ar = get16(query, 10);
  size_t pos = kHeaderSize;
  if (qd >= 1) {
    const size_t len = wire_name_length(query.subspan(pos));
    if (len != 0 && pos + len + 4 <= query.size()) {
      q.qname = query.subspan(pos, len);
      q.qtype = get16(query, pos + len);
      q.qclass = get16(query, pos + len + 2);
      q.question_ok = true;
      pos += len + 4;
    }
  }
  if (qd != 1 || an != 0 || !q.question_ok) {
    q.malformed = true;
    return q;
  }
  if (ns == 0 && ar == 0) {
    q.malformed = pos != query.size();
    return q;
  }
  if (ns == 0 && ar == 1 && parse_trailing_opt(query, pos, q)) return q;
  try {
    const Message m = decode_message(query);
    if (m.edns) {
      q.edns = true;
      q.udp_size = m.edns->udp_size;
      q.edns_version = m.edns->version;
      q.dnssec_ok = m.edns->dnssec_ok;
    }
  } catch (const Error&) {
    q.malformed = true;
  }
  return q;
}

// One RRset placed in a response section, under the owner name it is to be written with.
// Trivially constructible: a Plan's arrays are not cleared on every query.
struct Entry {
  const uint8_t* owner;
  size_t owner_length;
  const RRset* rrset;
  uint32_t ttl;
  bool required;  // glue that must not be dropped (TC=1 instead)
  Bytes owner_name() const { return {owner, owner_length}; }
};

Entry entry(Bytes owner, const RRset* rrset, uint32_t ttl, bool required = false) {
  return Entry{owner.data(), owner.size(), rrset, ttl, required};
}

template <size_t N>
struct Section {
  Entry items[N];
  size_t count = 0;
  void add(const Entry& e) {
    if (count < N) items[count++] = e;
  }
  void add_unique(const Entry& e) {
    if (!contains(e.rrset)) add(e);
  }
  bool contains(const RRset* s) const {
    for (size_t i = 0; i < count; ++i)
      if (items[i].rrset == s) return true;
    return false;
  }
};

// The response being assembled, before it is written.
struct Plan {
  uint16_t rcode = rcode::NOERROR;
  bool aa = false;
  Section<kMaxCnameChain + 2> answer;
  Section<2> authority;
  Section<32> additional;
};

// A name ready for lookups: lowercase wire key and the start of each label, so that every
// ancestor is a suffix of the same buffer (no allocation).
struct LookupName {
  uint8_t key[Name::kMaxWireLength];
  uint8_t offsets[128];  // offsets[labels] is the root label
  size_t length = 0;
  size_t labels = 0;

  explicit LookupName(Bytes wire) : length(wire.size()) {
    for (size_t i = 0; i < length; ++i) key[i] = ascii_lower(wire[i]);
    for (size_t p = 0;; p += 1 + key[p]) {
      offsets[labels] = static_cast<uint8_t>(p);
      if (key[p] == 0) break;
      ++labels;
    }
  }
  std::string_view suffix(size_t label) const {
    return as_key(key + offsets[label], length - offsets[label]);
  }
};

// The name inside rdata that additional processing or CNAME chasing follows; empty if none.
Bytes target_of(uint16_t rrtype, Bytes rdata) {
  size_t skip = 0;
  switch (rrtype) {
    case type::NS:
    case type::CNAME:
      break;
    case type::MX:
      skip = 2;
      break;
    case type::SRV:
      skip = 6;
      break;
    default:
      return {};
  }
  if (rdata.size() <= skip) return {};
  const Bytes rest = Bytes(rdata).subspan(skip);
  const size_t len = wire_name_length(rest);
  if (len <= 1) return {};  // malformed, or the root ("no service")
  return rest.first(len);
}

void add_negative_soa(Plan& p, const Zone& zone) {
  const RRset* soa = zone.soa();
  if (!soa || soa->rdatas.empty()) return;
  const uint32_t ttl = std::min(soa->ttl, soa_minimum(soa->rdatas[0]));
  p.authority.add(entry(as_bytes(zone.apex().wire()), soa, ttl));
}

void add_addresses(Plan& p, Bytes owner, const ZoneNode* node, bool required) {
  if (!node) return;
  for (uint16_t t : {type::A, type::AAAA})
    if (const RRset* s = node->find(t)) p.additional.add_unique(entry(owner, s, s->ttl, required));
}

// Addresses of the MX/NS/SRV targets of an answer RRset, from whichever of our zones has them.
void add_additional_for(Plan& p, const DatabaseVersion& db, const RRset& set) {
  if (set.type != type::MX && set.type != type::NS && set.type != type::SRV) return;
  for (const auto& rd : set.rdatas) {
    const Bytes target = target_of(set.type, rd);
    if (target.empty()) continue;
    const LookupName n(target);
    if (const Zone* z = db.find_zone(n.suffix(0)))
      add_addresses(p, target, z->find(n.suffix(0)), false);
  }
}

void add_referral(Plan& p, const Zone& zone, Bytes cut_owner, const ZoneNode& cut) {
  const RRset* ns = cut.find(type::NS);
  p.aa = false;
  p.rcode = rcode::NOERROR;
  p.authority.add(entry(cut_owner, ns, ns->ttl));
  for (const auto& rd : ns->rdatas) {
    const Bytes target = target_of(type::NS, rd);
    if (target.empty()) continue;
    const LookupName n(target);
    if (!key_at_or_below(n.suffix(0), zone.apex_key())) continue;  // not ours to give
    // Glue below the cut is what the referral needs to be usable (RFC 9471).
    add_addresses(p, target, zone.find(n.suffix(0)), key_at_or_below(n.suffix(0), cut.key()));
  }
}

enum class Step { Done, Follow };

// Answers for one name of the (CNAME) chain. `owner` is the name as it is to appear in the
// response; on a CNAME returns Follow with the target in `next`.
Step resolve(const DatabaseVersion& db, Bytes owner, uint16_t qtype, bool first, Plan& p,
             Bytes& next) {
  const LookupName n(owner);
  const Zone* zone = db.find_zone(n.suffix(0));
  if (!zone) {
    if (first) p.rcode = rcode::REFUSED;
    return Step::Done;  // a chain leaving our zones ends here; the resolver follows it
  }
  size_t apex_label = n.labels;
  while (n.length - n.offsets[apex_label] < zone->apex_key().size()) --apex_label;

  // Walk down from the apex: a zone cut on the way makes this a referral; the first missing
  // name makes the one above it the closest encloser.
  const ZoneNode* encloser = nullptr;
  size_t encloser_label = apex_label;
  const ZoneNode* match = nullptr;
  for (size_t i = apex_label + 1; i-- > 0;) {
    const ZoneNode* node = i == apex_label ? zone->apex_node() : zone->find(n.suffix(i));
    if (!node) break;
    if (i != apex_label && node->find(type::NS) && !(i == 0 && qtype == type::DS)) {
      if (first) add_referral(p, *zone, owner.subspan(n.offsets[i]), *node);
      return Step::Done;  // a chain into a delegation ends with what we have
    }
    encloser = node;
    encloser_label = i;
    if (i == 0) match = node;
  }
  if (first) p.aa = true;
  p.rcode = rcode::NOERROR;
  if (!match && encloser) {
    // RFC 4592: only the wildcard child of the closest encloser can match.
    const std::string_view enc = n.suffix(encloser_label);
    uint8_t wild[Name::kMaxWireLength + 2] = {1, '*'};
    if (enc.size() + 2 <= Name::kMaxWireLength) {
      std::memcpy(wild + 2, enc.data(), enc.size());
      match = zone->find(as_key(wild, enc.size() + 2));
    }
  }
  if (!match) {
    p.rcode = rcode::NXDOMAIN;
    add_negative_soa(p, *zone);
    return Step::Done;
  }
  const RRset* data = nullptr;
  if (qtype == type::ANY) {
    if (!match->rrsets.empty()) data = &match->rrsets.front();
  } else {
    data = match->find(qtype);
  }
  if (data) {
    p.answer.add(entry(owner, data, data->ttl));
    add_additional_for(p, db, *data);
    return Step::Done;
  }
  if (const RRset* cname = match->find(type::CNAME); cname && qtype != type::CNAME) {
    p.answer.add(entry(owner, cname, cname->ttl));
    next = target_of(type::CNAME, cname->rdatas.front());
    return next.empty() ? Step::Done : Step::Follow;
  }
  add_negative_soa(p, *zone);  // NODATA, also for empty non-terminals
  return Step::Done;
}

void resolve_chain(const DatabaseVersion& db, const ParsedQuery& q, Plan& p) {
  Bytes seen[kMaxCnameChain + 1];
  size_t seen_count = 0;
  Bytes name = q.qname;
  for (;;) {
    seen[seen_count++] = name;
    Bytes next;
    if (resolve(db, name, q.qtype, seen_count == 1, p, next) == Step::Done) return;
    if (seen_count > kMaxCnameChain) return;
    for (size_t i = 0; i < seen_count; ++i)
      if (same_name(seen[i], next)) return;  // a loop: the CNAMEs so far are the answer
    name = next;
  }
}

size_t write_response(const ParsedQuery& q, const Plan& p, std::span<uint8_t> out,
                      const AnswerOptions& options) {
  size_t limit = 65535;
  if (!options.tcp)
    limit =
        q.edns ? std::clamp<size_t>(q.udp_size, kMinUdpPayload, kMaxUdpPayload) : kMinUdpPayload;
  limit -= std::min(limit, options.reserve);
  ResponseWriter w(out, limit, q.edns ? kOptSize : 0);
  uint16_t qd = 0, an = 0, ns = 0, ar = 0;
  if (q.question_ok && w.question(q.qname, q.qtype, q.qclass)) qd = 1;
  const size_t after_question = w.position();

  bool tc = false;
  for (size_t i = 0; i < p.answer.count && !tc; ++i) {
    const Entry& e = p.answer.items[i];
    tc = !w.rrset(e.owner_name(), *e.rrset, e.ttl);
    an += e.rrset->rdatas.size();
  }
  for (size_t i = 0; i < p.authority.count && !tc; ++i) {
    const Entry& e = p.authority.items[i];
    tc = !w.rrset(e.owner_name(), *e.rrset, e.ttl);
    ns += e.rrset->rdatas.size();
  }
  for (size_t i = 0; i < p.additional.count && !tc; ++i) {
    const Entry& e = p.additional.items[i];
    if (w.rrset(e.owner_name(), *e.rrset, e.ttl)) {
      ar += e.rrset->rdatas.size();
    } else {
      tc = e.required;  // optional additional data is simply left out
      if (!tc) break;
    }
  }
  if (tc) {
    w.rewind(after_question);
    an = ns = ar = 0;
  }
  if (q.edns && w.opt(kMaxUdpPayload, static_cast<uint8_t>(p.rcode >> 4), q.dnssec_ok)) ++ar;
  // RD and CD are defined for QUERY only (RFC 1035 4.1.1, RFC 6840 5.9): other opcodes get them
  // clear, as compliance checkers expect. AD is never set: we do not validate.
  const bool is_query = q.opcode == opcode::QUERY;
  const uint8_t flags_hi =
      0x80 | (q.opcode << 3) | (p.aa ? 0x04 : 0) | (tc ? 0x02 : 0) | (is_query && q.rd ? 0x01 : 0);
  const uint8_t flags_lo = (is_query && q.cd ? 0x10 : 0) | (p.rcode & 0x0f);
  return w.finish(q.id, flags_hi, flags_lo, qd, an, ns, ar);
}

}  // namespace

size_t answer_query(const DatabaseVersion& db, std::span<const uint8_t> query,
                    std::span<uint8_t> out, const AnswerOptions& options) {
  if (query.size() < kHeaderSize || out.size() < kHeaderSize) return 0;
  if (query[2] & 0x80) return 0;  // a response: answering it could start a packet loop
  const ParsedQuery q = parse_query(query);
  Plan p;
  // This server is only ever a primary: like NSD for its primary zones, it refuses NOTIFY
  // (RFC 1996) rather than saying the opcode is unknown.
  if (q.opcode == opcode::NOTIFY)
    p.rcode = rcode::REFUSED;
  else if (q.opcode != opcode::QUERY)
    p.rcode = rcode::NOTIMP;
  else if (q.malformed)
    p.rcode = rcode::FORMERR;
  else if (q.edns && q.edns_version > 0)
    p.rcode = rcode::BADVERS;
  else if (q.qclass != rclass::IN && q.qclass != rclass::ANY)
    p.rcode = rcode::REFUSED;
  else if (q.qtype == type::AXFR || q.qtype == type::IXFR)
    p.rcode = rcode::REFUSED;
  else if (q.qtype == kMailA || q.qtype == kMailB)
    p.rcode = rcode::NOTIMP;
  else
    resolve_chain(db, q, p);
  return write_response(q, p, out, options);
}

}  // namespace dns
