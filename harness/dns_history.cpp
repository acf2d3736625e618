#include "harness/dns_history.h"

#include <algorithm>
#include <cctype>

#include "dns/message.h"
#include "dns/rdata.h"
#include "dns/types.h"
#include "harness/dns_workload.h"

namespace harness {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The decoded answer to `question` from `serving` (rcode SERVFAIL if it sent nothing).
dns::Message ask(const dns::Database& serving, const dns::Question& question) {
  dns::Message m;
  m.header.id = 0x5000;
  m.questions.push_back(question);
  const std::vector<std::uint8_t> response = answer_from(serving, dns::encode_message(m));
  if (response.empty()) {
    dns::Message none;
    none.header.rcode = dns::rcode::SERVFAIL;
    return none;
  }
  return dns::decode_message(response);
}

}  // namespace

std::vector<HistoryChange> history_changes(const std::vector<dns::Change>& changes) {
  std::vector<HistoryChange> out;
  for (const dns::Change& c : changes)
    out.push_back({c.kind == dns::Change::Add, lower(c.record.owner.to_text()),
                   dns::type_to_text(c.record.type),
                   dns::rdata_to_text(c.record.type, c.record.rdata)});
  return out;
}

WriteOutcome history_outcome(engine::WriteResult::Kind kind) {
  switch (kind) {
    case engine::WriteResult::Ok:
      return WriteOutcome::Ok;
    case engine::WriteResult::Noop:
      return WriteOutcome::Noop;
    case engine::WriteResult::Invalid:
      return WriteOutcome::Fail;  // refused before it was proposed
    default:
      // "no quorum" is a timeout, and so may a disk fault be ("may still commit if a leader
      // received it"): either may commit later.
      return WriteOutcome::Unknown;
  }
}

HistoryRead history_read(const dns::Database& serving, std::size_t query_index) {
  const dns::Message query = dns::decode_message(dns_query(query_index));
  const dns::Question& q = query.questions.at(0);
  const dns::Message reply = ask(serving, q);
  HistoryRead r;
  r.name = lower(q.name.to_text());
  r.qtype = dns::type_to_text(q.qtype);
  r.rcode = dns::rcode_to_text(reply.header.rcode);
  for (const dns::Record& a : reply.answer)
    if (a.owner == q.name && a.type == q.qtype)
      r.answer.push_back(dns::rdata_to_text(a.type, a.rdata));
  std::sort(r.answer.begin(), r.answer.end());
  for (std::size_t z = 0; z < kDnsZones; ++z) {
    const dns::Name apex = dns::Name::from_text(dns_zone_apex(z));
    if (!q.name.is_subdomain_of(apex)) continue;
    r.zone = dns_zone_apex(z);
    // A second client question in the same instant: the zone's SOA, for its serial.
    const dns::Message soa = ask(serving, {apex, dns::type::SOA});
    for (const dns::Record& a : soa.answer)
      if (a.type == dns::type::SOA && a.owner == apex)
        r.serial = dns::soa_from_rdata(a.rdata).serial;
  }
  return r;
}

}  // namespace harness
