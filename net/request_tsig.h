#pragma once
// The TSIG (RFC 8945) side of one request to a cluster node, UPDATE or zone transfer: the
// request's signature checked against the config's keys, and the signing of the answer(s).

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dns/tsig.h"
#include "net/zone_policy_config.h"

namespace net {

// Seconds since the epoch (the wall clock TSIG times are in).
std::uint64_t tsig_now();

// What checking a request's TSIG found, and how its answers are signed.
struct RequestTsig {
  std::optional<dns::tsig::Record> request;  // the request's TSIG record; none: unsigned
  const dns::tsig::Key* key = nullptr;       // the known key it named (null: none or unknown)
  std::uint16_t error = 0;                   // TSIG error: BADSIG, BADKEY, BADTIME, BADTRUNC
  bool formerr = false;  // a MAC of an impossible length: answer FORMERR, unsigned

  // Checks the TSIG record `located` of `query` (none: an unsigned request, always fine).
  static RequestTsig check(std::span<const std::uint8_t> query,
                           const std::optional<dns::tsig::Located>& located,
                           const ZonePolicyConfig& policy);
  bool signed_ok() const { return request && key != nullptr && error == 0 && !formerr; }
  // Signs a single answer: with the key when it verified (BADTIME: signed, our time in Other
  // Data), with an unsigned TSIG carrying the error for BADSIG/BADKEY, not at all when the
  // request was unsigned or FORMERR.
  void sign(std::vector<std::uint8_t>& message) const;
  // The signer of a multi-message answer (RFC 8945 §5.3.1); none unless signed_ok().
  std::optional<dns::tsig::Signer> signer() const;
};

}  // namespace net
