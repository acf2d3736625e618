#pragma once
// Record data (rdata) of the supported types: master-file text <-> uncompressed wire form, and
// the domain names embedded in it.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dns/name.h"

namespace dns {

// One field of a master-file record after tokenizing: quotes removed from text, escapes NOT yet
// decoded (rdata_from_text decodes them as the type requires).
struct TextToken {
  std::string text;
  bool quoted = false;
};

// Master-file fields -> uncompressed wire rdata for A, AAAA, NS, CNAME, SOA, MX, TXT, PTR, SRV,
// CAA, and RFC 3597 `\# len hex` for any type. Throws dns::Error saying what was expected
// (e.g. "expected a 16-bit number for MX preference"); the caller adds file:line.
std::vector<uint8_t> rdata_from_text(uint16_t type, std::span<const TextToken> fields,
                                     const Name& origin);
// Wire rdata -> master-file form; unknown types as `\# len hex`. Throws FormatError when the
// rdata does not have the structure of its type.
std::string rdata_to_text(uint16_t type, std::span<const uint8_t> rdata);

// Throws FormatError unless rdata (uncompressed) has the structure its type requires.
void validate_rdata(uint16_t type, std::span<const uint8_t> rdata);

// Names embedded in rdata, in order (NS, CNAME, PTR, MX, SOA, SRV); empty for other types.
std::vector<Name> rdata_names(uint16_t type, std::span<const uint8_t> rdata);
// The name additional-section processing follows: CNAME target, NS nsdname, MX exchange, SRV
// target, PTR target.
std::optional<Name> rdata_target(uint16_t type, std::span<const uint8_t> rdata);
// rdata with its embedded names lowercased (RFC 4034 §6.2 canonical form).
std::vector<uint8_t> rdata_canonical(uint16_t type, std::span<const uint8_t> rdata);

struct SoaFields {
  Name mname, rname;
  uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
};
SoaFields soa_from_rdata(std::span<const uint8_t> rdata);  // throws FormatError
std::vector<uint8_t> soa_to_rdata(const SoaFields& soa);

}  // namespace dns
