#pragma once
// dns::Record: one resource record with its rdata in uncompressed wire form.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dns/name.h"
#include "dns/types.h"

namespace dns {

// One resource record. rdata is always uncompressed wire form (names inside it expanded).
struct Record {
  Name owner;
  uint16_t type = 0;
  uint16_t rclass = rclass::IN;
  uint32_t ttl = 0;
  std::vector<uint8_t> rdata;

  // Owner compared case-insensitively; rdata compared in RFC 4034 canonical form (embedded
  // names of the types that carry them compared case-insensitively). TTL is compared too.
  bool operator==(const Record& other) const;
};

// Records kept in pieces (a zone file parsed in batches): shared and immutable, so one thread can
// build zones from a batch while the one that parsed it keeps it for its own checks.
using RecordBatch = std::shared_ptr<const std::vector<Record>>;

// One master-file line: "owner TTL CLASS TYPE rdata".
std::string to_text(const Record& record);

// True when a and b have the same rdata once embedded names are lowercased (RFC 4034 §6.2).
bool rdata_equal(uint16_t type, std::span<const uint8_t> a, std::span<const uint8_t> b);

}  // namespace dns
