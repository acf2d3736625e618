#pragma once
// Tunables of the DNS front end (UDP + TCP servers).

#include <chrono>
#include <cstddef>

namespace net {

// Limits and sizes for DnsServer; the defaults are what dns-node uses.
struct ServerOptions {
  // Worker threads, each with its own io_context, UDP socket and TCP acceptor; 0 = one per core.
  unsigned threads = 0;
  // Kernel socket buffers; the default (~200 KiB) drops bursts at tens of thousands of qps.
  int udp_receive_buffer_bytes = 4 << 20;
  int udp_send_buffer_bytes = 4 << 20;
  // RFC 7766 section 6.2.3: close TCP connections that have been idle this long.
  std::chrono::milliseconds tcp_idle_timeout{10'000};
  // Connections beyond this (over all threads) are accepted and closed at once.
  std::size_t max_tcp_connections = 1000;
  // Largest DNS message accepted over TCP; a larger length prefix closes the connection.
  std::size_t max_tcp_message_size = 65535;
  // Under steady traffic a worker waits this long after a round of work before it looks for more,
  // so it reads, answers and sends a batch per wake-up (net/batching_loop.h): less CPU per query
  // for at most this much added latency. Zero: never wait.
  std::chrono::microseconds batch_wait{200};
};

}  // namespace net
