#pragma once
// Socket options Asio has no portable name for.

#include <sys/socket.h>

#include <boost/asio/detail/socket_option.hpp>

namespace net {

// SO_REUSEPORT: several sockets on one address, the kernel load-balances between them.
using ReusePort = boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

template <typename Socket>
void set_reuse_port(Socket& socket) {
  socket.set_option(ReusePort(true));
}

// Sets SO_RCVBUF / SO_SNDBUF to `bytes`. The kernel silently caps them at net.core.rmem_max /
// wmem_max (often ~200 KiB, which drops bursts), so when allowed (CAP_NET_ADMIN) the cap is
// bypassed with SO_RCVBUFFORCE / SO_SNDBUFFORCE, else a warning says what to raise.
void set_buffer_sizes(int fd, int receive_bytes, int send_bytes);

}  // namespace net
