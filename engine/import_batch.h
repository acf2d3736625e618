#pragma once
// What a first-boot import batch (ChangeBatch::import, command kind 7) changes when applied. A
// node that crashed before its import finished proposes its zone file again; by then the zone
// may exist, served and changed since, with a higher serial. The file's SOA (serial 1, say) must
// not set that serial back, so an import's ADD of a SOA for an existing zone whose serial is the
// same or newer (RFC 1982) is left out. Decided against the serving database as of the batch's
// index, which every replica holds alike (batches are served in log order), so all agree.

#include <vector>

#include "dns/zone_db.h"

namespace engine {

std::vector<dns::Change> import_changes(const dns::DatabaseVersion& db,
                                        const std::vector<dns::Change>& changes);
// The same, leaving out in place (an import by copy's million records are not copied).
std::vector<dns::Change> import_changes(const dns::DatabaseVersion& db,
                                        std::vector<dns::Change>&& changes);

}  // namespace engine
