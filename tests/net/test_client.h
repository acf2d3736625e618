#pragma once
// Minimal blocking POSIX clients with timeouts, for poking at the servers in unit tests.
// (Asio's synchronous calls ignore SO_RCVTIMEO, so a hung server would hang the test.)

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace net::testing {

using Bytes = std::vector<std::uint8_t>;

inline sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// Waits until `fd` is readable; false on timeout.
inline bool wait_readable(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0;
}

// A 12-byte DNS header (plus `extra` bytes) with the given id; enough for an echoing handler.
inline Bytes query_with_id(std::uint16_t id, std::size_t extra = 0) {
  Bytes q(12 + extra, 0);
  q[0] = static_cast<std::uint8_t>(id >> 8);
  q[1] = static_cast<std::uint8_t>(id & 0xff);
  q[5] = 1;  // QDCOUNT = 1
  return q;
}

inline std::uint16_t id_of(const Bytes& message) {
  return static_cast<std::uint16_t>((message.at(0) << 8) | message.at(1));
}

inline Bytes framed(const Bytes& message) {
  Bytes out(2 + message.size());
  out[0] = static_cast<std::uint8_t>(message.size() >> 8);
  out[1] = static_cast<std::uint8_t>(message.size() & 0xff);
  std::copy(message.begin(), message.end(), out.begin() + 2);
  return out;
}

// An owned file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {
    if (fd_ < 0) throw std::runtime_error("socket() failed");
  }
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// A UDP client socket talking to 127.0.0.1:port.
class UdpClient {
 public:
  explicit UdpClient(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_DGRAM, 0)) {
    auto addr = loopback(port);
    if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("udp connect failed");
  }
  void send(const Bytes& datagram) { ::send(fd_.get(), datagram.data(), datagram.size(), 0); }
  std::optional<Bytes> receive(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    if (!wait_readable(fd_.get(), timeout)) return std::nullopt;
    Bytes buffer(65535);
    ssize_t n = ::recv(fd_.get(), buffer.data(), buffer.size(), 0);
    if (n < 0) return std::nullopt;
    buffer.resize(static_cast<std::size_t>(n));
    return buffer;
  }

 private:
  Fd fd_;
};

// A TCP client connection to 127.0.0.1:port.
class TcpClient {
 public:
  explicit TcpClient(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    auto addr = loopback(port);
    if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("tcp connect failed");
    int one = 1;
    ::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  bool send(const Bytes& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd_.get(), bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }
  // Exactly `size` bytes, or nullopt on timeout / EOF / error.
  std::optional<Bytes> receive_exact(std::size_t size,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    Bytes out(size);
    std::size_t got = 0;
    while (got < size) {
      if (!wait_readable(fd_.get(), timeout)) return std::nullopt;
      ssize_t n = ::recv(fd_.get(), out.data() + got, size - got, 0);
      if (n <= 0) return std::nullopt;
      got += static_cast<std::size_t>(n);
    }
    return out;
  }
  // One length-prefixed message.
  std::optional<Bytes> receive_message(
      std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto prefix = receive_exact(2, timeout);
    if (!prefix) return std::nullopt;
    return receive_exact(static_cast<std::size_t>(((*prefix)[0] << 8) | (*prefix)[1]), timeout);
  }
  // True when the server closed the connection (EOF or reset) within `timeout`.
  bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::uint8_t byte;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!wait_readable(fd_.get(), std::chrono::milliseconds(50))) continue;
      ssize_t n = ::recv(fd_.get(), &byte, 1, 0);
      if (n <= 0) return true;
    }
    return false;
  }

 private:
  Fd fd_;
};

}  // namespace net::testing
