#pragma once
// The QUERYs that carry a TSIG record (RFC 8945), such as a secondary's signed SOA check before
// a refresh: checked against the cluster's keys and answered signed with the same key.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "dns/zone_db.h"
#include "net/zone_policy_config.h"

namespace net {

// Answers signed queries. An unsigned query (the common case) costs a look at the header and,
// with one additional record, at the record's type. A verified request gets the usual answer,
// left room for its TSIG and signed; a bad one gets NOTAUTH carrying the TSIG error (BADSIG,
// BADKEY unsigned; BADTIME signed with our time), as UPDATE and zone transfers do.
class SignedQueryService {
 public:
  explicit SignedQueryService(std::shared_ptr<const ZonePolicyConfig> policy)
      : policy_(std::move(policy)) {}

  // The length of the answer written to `out` when `query` (opcode QUERY) carries a TSIG
  // record, or FORMERR when its records cannot be read (a malformed TSIG, or one that is not
  // last); none when it carries no TSIG, so the caller answers it as usual.
  std::optional<std::size_t> answer(const dns::DatabaseVersion& db,
                                    std::span<const std::uint8_t> query,
                                    std::span<std::uint8_t> out, bool tcp) const;

 private:
  std::shared_ptr<const ZonePolicyConfig> policy_;
};

}  // namespace net
