#include "harness/log_fingerprints.h"

namespace harness {

void LogFingerprints::reset(raft::Index index, std::uint64_t hash) {
  base_ = index;
  hashes_.assign(1, hash);
}

std::optional<std::uint64_t> LogFingerprints::put(const raft::Entry& entry) {
  if (entry.index <= base_ || entry.index > last() + 1) return std::nullopt;
  hashes_.resize(entry.index - base_);  // drops a conflicting suffix
  hashes_.push_back(chain_hash(hashes_.back(), entry));
  return hashes_.back();
}

void LogFingerprints::compact(raft::Index index) {
  if (index <= base_ || index > last()) return;
  hashes_.erase(hashes_.begin(), hashes_.begin() + static_cast<std::ptrdiff_t>(index - base_));
  base_ = index;
}

std::optional<std::uint64_t> LogFingerprints::at(raft::Index index) const {
  if (index < base_ || index > last()) return std::nullopt;
  return hashes_[index - base_];
}

}  // namespace harness
