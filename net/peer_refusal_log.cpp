#include "net/peer_refusal_log.h"

namespace net {

std::optional<std::uint64_t> PeerRefusalLog::admit(const std::string& address,
                                                   Clock::time_point now) {
  if (interval_.count() <= 0) return 0;
  auto it = entries_.find(address);
  if (it != entries_.end() && now - it->second.logged_at < interval_) {
    ++it->second.suppressed;
    return std::nullopt;
  }
  if (it == entries_.end()) {
    if (entries_.size() >= max_addresses_) forget_quiet_addresses(now);
    if (entries_.size() >= max_addresses_) {
      // Every known address is still within its interval: too many talkers to track each, so
      // keep logging bounded by treating the newcomer as already logged.
      return std::nullopt;
    }
    entries_.emplace(address, Entry{now, 0});
    return 0;
  }
  const std::uint64_t suppressed = it->second.suppressed;
  it->second = Entry{now, 0};
  return suppressed;
}

void PeerRefusalLog::forget_quiet_addresses(Clock::time_point now) {
  // First forget addresses whose interval is over and that have nothing left out; if that is
  // not enough, also those whose left-out count would have been reported on their next line.
  std::erase_if(entries_, [&](const auto& item) {
    return now - item.second.logged_at >= interval_ && item.second.suppressed == 0;
  });
  if (entries_.size() < max_addresses_) return;
  std::erase_if(entries_,
                [&](const auto& item) { return now - item.second.logged_at >= interval_; });
}

}  // namespace net
