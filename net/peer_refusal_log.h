#pragma once
// Rate limit for the log lines about refused peer connections: anyone who can reach the raft
// port can make a node refuse connections as fast as it can open them, and must not be able to
// flood the log. At most one line per remote address (IP, not port) per interval; the next line
// logged for that address says how many were left out.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace net {

// Decides which refusals get a log line; time is passed in, so it is testable without waiting.
class PeerRefusalLog {
 public:
  using Clock = std::chrono::steady_clock;

  // An interval of zero logs every refusal. `max_addresses` bounds the memory an attacker with
  // many addresses can make us use.
  explicit PeerRefusalLog(std::chrono::milliseconds interval, std::size_t max_addresses = 4096)
      : interval_(interval), max_addresses_(max_addresses) {}

  // For a refusal of a connection from `address` at `now`: nullopt if it is not to be logged,
  // else the number of refusals from that address left out since its last logged line.
  std::optional<std::uint64_t> admit(const std::string& address, Clock::time_point now);

 private:
  struct Entry {
    Clock::time_point logged_at;
    std::uint64_t suppressed = 0;
  };
  void forget_quiet_addresses(Clock::time_point now);

  std::chrono::milliseconds interval_;
  std::size_t max_addresses_;
  std::map<std::string, Entry> entries_;
};

}  // namespace net
