#include "engine/change_batches.h"

#include <algorithm>

namespace engine {

std::size_t encoded_change_size(const dns::Change& change) {
  // kind (1) + owner (4-byte length + wire name) + type/class (4) + ttl (4) + rdata (4 + n),
  // as put_change() writes them.
  return 1 + 4 + change.record.owner.wire_length() + 4 + 4 + 4 + change.record.rdata.size();
}

std::size_t encoded_changes_size(const std::vector<dns::Change>& changes) {
  std::size_t total = 0;
  for (const dns::Change& c : changes) total += encoded_change_size(c);
  return total;
}

std::vector<std::vector<dns::Change>> split_changes(std::vector<dns::Change> changes,
                                                    std::size_t max_changes,
                                                    std::size_t max_bytes) {
  max_changes = std::max<std::size_t>(1, max_changes);
  std::vector<std::vector<dns::Change>> batches;
  std::vector<dns::Change> batch;
  std::size_t bytes = 0;
  for (dns::Change& c : changes) {
    const std::size_t size = encoded_change_size(c);
    if (!batch.empty() && (batch.size() == max_changes || bytes + size > max_bytes)) {
      batches.push_back(std::move(batch));
      batch.clear();
      bytes = 0;
    }
    bytes += size;
    batch.push_back(std::move(c));
  }
  if (!batch.empty()) batches.push_back(std::move(batch));
  return batches;
}

}  // namespace engine
