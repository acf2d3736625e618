#pragma once
// DNS UPDATE (RFC 2136): reading an UPDATE message into a request (zone, prerequisites, updates,
// with the section checks of §3.1-§3.4.1), and evaluating a request against one version of the
// zone database: the prerequisites (§3.2), then the updates (§3.4.2, with the SOA and apex NS
// rules), giving an rcode and the record changes that carry it out. Evaluation is a pure
// function of (database version, request), so every replica that evaluates the same request
// against the same state gets the same answer.
#include <cstdint>
#include <string>
#include <vector>

#include "dns/message.h"
#include "dns/name.h"
#include "dns/record.h"
#include "dns/types.h"
#include "dns/zone_db.h"

namespace dns::update {

// The UPDATE rcodes beyond RFC 1035's (RFC 2136 §2.2), and RFC 1035's own.
namespace rcode {
using namespace dns::rcode;
inline constexpr uint16_t YXDOMAIN = 6, YXRRSET = 7, NXRRSET = 8, NOTAUTH = 9, NOTZONE = 10;
}  // namespace rcode

// One UPDATE request: its zone, prerequisite RRs and update RRs as they came on the wire
// (classes ANY/NONE and empty rdata carry the RFC's meanings).
struct Request {
  Name zone;
  std::vector<Record> prerequisites;
  std::vector<Record> updates;
  bool operator==(const Request&) const = default;
};

// The outcome of reading an UPDATE message.
struct Parsed {
  uint16_t rcode = 0;  // NOERROR: `request` is usable; else FORMERR or NOTZONE
  std::string error;   // why, for the log
  Request request;
};

// Reads `message` (opcode UPDATE; a TSIG record, if any, already removed from `additional`):
// exactly one zone of type SOA class IN, prerequisites and updates whose classes, TTLs and rdata
// lengths are legal, owners inside the zone (else NOTZONE).
Parsed parse(const Message& message);

// What evaluating a request against the database gives.
struct Outcome {
  uint16_t rcode = 0;  // NOERROR, NOTAUTH (zone not served), a prerequisite's rcode, NOTZONE
  std::vector<Change> changes;  // NOERROR only; empty when nothing changes
  std::string detail;           // for a failed prerequisite: which one
};

// Evaluates the prerequisites, then the updates, against `db`. Never throws for any request.
Outcome evaluate(const DatabaseVersion& db, const Request& request);

// The text of an UPDATE rcode ("YXRRSET"); rcode_to_text for the others.
std::string rcode_text(uint16_t rcode);

}  // namespace dns::update
