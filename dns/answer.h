#pragma once
// Authoritative answering: one query packet in, one response packet out, from one immutable
// database version. Pure and allocation-free on the common path.
#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/zone_db.h"

namespace dns {

struct AnswerOptions {
  bool tcp = false;  // response limit 65535 instead of the UDP limit
  // Octets the response leaves free below its limit, for a record appended afterwards (the
  // TSIG of a signed answer: net/signed_query_service.h).
  size_t reserve = 0;
};

// Our advertised EDNS UDP payload size (the DNS flag day 2020 value) and the cap on the client's.
constexpr uint16_t kMaxUdpPayload = 1232;
constexpr size_t kMaxCnameChain = 16;

// Answers `query` into `out` and returns the response length; 0 means send nothing (a response
// packet, QR=1, or fewer octets than a header). Behaviour (RFC 1034/1035, 2308, 4592, 6891,
// 8482), in the order the checks apply:
//  - opcode other than QUERY -> NOTIMP; malformed query (QDCOUNT != 1, records in the answer
//    section, bad names, trailing octets, anything decode_message rejects) -> FORMERR with the
//    question echoed when it could be read; EDNS version > 0 -> BADVERS; QCLASS not IN/ANY ->
//    REFUSED; AXFR/IXFR -> REFUSED (a cluster node streams them instead: net/transfer_service.h
//    takes AXFR over TCP and IXFR), MAILA/MAILB -> NOTIMP;
//    a name outside every zone -> REFUSED.
//  - In a zone: AA=1, RA=0, RD and CD copied. Exact-type data wins over a CNAME beside it; else a
//    CNAME is followed through our zones (at most kMaxCnameChain, stopping at a loop, at a name
//    outside our zones, or at a delegation) and the rcode is that of the last name. NXDOMAIN and
//    NODATA (also for empty non-terminals) carry the SOA with TTL min(SOA TTL, SOA minimum).
//    Wildcards per RFC 4592 (source of synthesis *.<closest encloser>; owner = query name).
//  - At or below a zone cut (NS below the apex; DS at the cut itself is answered by the parent):
//    a referral, AA=0, NS in authority, in-zone glue A/AAAA in additional.
//  - ANY: one RRset, the one with the lowest type number at the name (RFC 8482 §4.2).
//  - MX/NS/SRV answers get A/AAAA of their targets from our data in additional, as room allows.
//  - Size: UDP limit 512 without EDNS, else the client's size clamped to [512, 1232]; TCP 65535.
//    If the answer or authority section does not fit (or glue below a referral's cut), the
//    response is the question (and OPT) only with TC=1; additional RRsets that do not fit are
//    left out silently.
//  - OPT echoed with our size 1232, version 0 and the DO bit copied; no options.
size_t answer_query(const DatabaseVersion& db, std::span<const uint8_t> query,
                    std::span<uint8_t> out, const AnswerOptions& options = {});

}  // namespace dns
