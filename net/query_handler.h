#pragma once
// The seam between the network servers and DNS logic: turns one query into one response.

#include <cstddef>
#include <cstdint>
#include <span>

namespace net {

// Answers one DNS query in wire form. Implementations are called concurrently from every worker
// thread, so they must be thread-safe; they must not block (a blocked call stalls one worker).
class QueryHandler {
 public:
  virtual ~QueryHandler() = default;
  // Writes the response into `out` and returns its size, or 0 to send nothing (e.g. a packet
  // with QR=1). `tcp` tells whether the UDP size limits (512 / EDNS) apply.
  virtual std::size_t handle(std::span<const std::uint8_t> query, std::span<std::uint8_t> out,
                             bool tcp) = 0;
};

}  // namespace net
