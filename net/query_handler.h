#pragma once
// The seam between the network servers and DNS logic: turns one query into one response.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "dns/zone_transfer.h"

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

  // What handle() returns for a request answered later (a DNS UPDATE waits for its raft
  // commit): the server then calls handle_deferred with a way to send the answer. Only this one
  // comparison is added to the query path.
  static constexpr std::size_t kDeferred = ~std::size_t{0};
  // Sends a deferred answer to the client; callable from any thread, at most once. Dropped if
  // the connection or the server is gone by then.
  using Reply = std::function<void(std::vector<std::uint8_t>)>;
  // Takes over a request handle() deferred (`query` is only valid during the call).
  virtual void handle_deferred(std::span<const std::uint8_t> /*query*/, bool /*tcp*/,
                               Reply /*reply*/) {}

  // What handle() returns for a request whose answer may be many messages (a zone transfer):
  // the server then calls open_stream with the client's address (access control needs it) and
  // sends the stream's messages in order; over UDP only the first.
  static constexpr std::size_t kStream = ~std::size_t{0} - 1;
  // Never null for a request handle() gave kStream (an error is a one-message stream).
  virtual std::unique_ptr<dns::MessageStream> open_stream(
      std::span<const std::uint8_t> /*query*/, bool /*tcp*/,
      const boost::asio::ip::address& /*client*/) {
    return nullptr;
  }
};

}  // namespace net
