#pragma once
// Checks on parsed zone data shared by both zone-file formats.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dns/record.h"
#include "dns/zone_error.h"

namespace dns {

// Where a parsed record was written: file name and line.
struct RecordLocation {
  const std::string* file;  // owned by the parser, outlives the check
  size_t line;
};

// False for OPT and the query-only/meta types 128-255 (TKEY, TSIG, IXFR, AXFR, ANY...), which
// never live in a zone.
bool is_zone_data_type(uint16_t rtype);

// One warning per owner name that has a CNAME beside other data (RFC 1034 §3.6.2 forbids it;
// the prototype's zones do it, and the answer logic lets exact-type data win). The warning names
// the first CNAME's file:line. `locations[i]` is where `records[i]` came from.
std::vector<ZoneWarning> find_cname_conflicts(const std::vector<Record>& records,
                                              const std::vector<RecordLocation>& locations);
// The same over records kept in several vectors (a file parsed in batches), in order: record i
// of the concatenation came from `locations[i]`.
std::vector<ZoneWarning> find_cname_conflicts(std::span<const RecordBatch> batches,
                                              const std::vector<RecordLocation>& locations);

}  // namespace dns
