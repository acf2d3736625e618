#pragma once
// Shared by the PeerTransport tests: real sockets on loopback, one io_context driven by the
// test, every wait bounded by a loop count.

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "net/peer_transport.h"

namespace net::testing {

namespace asio = boost::asio;
using asio::ip::tcp;
using engine::Bytes;
using engine::LogLevel;
using engine::NodeId;

// Runs `io` in short slices until `done()` or about `slices` * 20 ms have passed.
template <typename Predicate>
bool run_until(asio::io_context& io, Predicate done, int slices = 250) {
  for (int i = 0; i < slices; ++i) {
    if (done()) return true;
    if (io.stopped()) io.restart();
    io.run_for(std::chrono::milliseconds(20));
  }
  return done();
}

inline void run_for(asio::io_context& io, std::chrono::milliseconds duration) {
  if (io.stopped()) io.restart();
  io.run_for(duration);
}

// A free loopback port: bind to port 0, note the port, release it.
inline tcp::endpoint free_endpoint(const char* address = "127.0.0.1") {
  asio::io_context io;
  tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address(address), 0));
  return probe.local_endpoint();
}

inline Bytes message(const std::string& text) {
  return Bytes(text.begin(), text.end());
}
inline std::string text(const Bytes& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// One transport plus everything it handed to its callbacks.
struct TestNode {
  std::vector<std::pair<NodeId, std::string>> received;
  std::vector<std::string> logs;
  std::unique_ptr<PeerTransport> transport;

  void start(asio::io_context& io, NodeId self, const PeerMembers& members,
             PeerOptions options = {}, const std::string& cluster = "test-cluster") {
    transport = std::make_unique<PeerTransport>(
        io, self, cluster, members,
        [this](NodeId from, Bytes bytes) { received.emplace_back(from, text(bytes)); },
        [this](LogLevel, const std::string& line) { logs.push_back(line); }, options);
  }
  void stop() { transport.reset(); }
  std::vector<std::string> from(NodeId peer) const {
    std::vector<std::string> out;
    for (const auto& [id, t] : received)
      if (id == peer) out.push_back(t);
    return out;
  }
  bool logged(const std::string& needle) const { return count_logged(needle) > 0; }
  int count_logged(const std::string& needle) const {
    int n = 0;
    for (const auto& line : logs) n += line.find(needle) != std::string::npos;
    return n;
  }
  PeerStats peer(NodeId id) const { return transport->stats().peers.at(id); }
};

inline std::string dump(const TestNode& node) {
  std::string out;
  for (const auto& line : node.logs) out += line + "\n";
  return out;
}

inline PeerMembers members_on_loopback(int count) {
  PeerMembers members;
  for (int id = 1; id <= count; ++id) members[static_cast<NodeId>(id)] = free_endpoint();
  return members;
}

inline std::vector<std::string> numbered(const std::string& prefix, int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

// A raw client on the peer port: what it sent and received, and whether the transport closed
// the connection.
class RawClient {
 public:
  RawClient(asio::io_context& io, const tcp::endpoint& to, const char* from = nullptr)
      : socket_(io) {
    if (from) {
      socket_.open(to.protocol());
      socket_.bind(tcp::endpoint(asio::ip::make_address(from), 0));
    }
    socket_.connect(to);
    local_ = socket_.local_endpoint();
  }
  void write(const Bytes& bytes) {
    sent_.insert(sent_.end(), bytes.begin(), bytes.end());
    boost::system::error_code ec;  // the transport may have closed the connection already
    asio::write(socket_, asio::buffer(bytes), ec);
  }
  // Starts reading until the transport closes the connection; received bytes are kept.
  void watch() {
    socket_.async_read_some(asio::buffer(chunk_),
                            [this](boost::system::error_code ec, std::size_t n) {
                              received_.insert(received_.end(), chunk_.begin(), chunk_.begin() + n);
                              if (ec)
                                closed_ = true;
                              else
                                watch();
                            });
  }
  bool closed() const { return closed_; }
  const Bytes& received() const { return received_; }
  const Bytes& sent() const { return sent_; }
  std::string address() const {
    return fmt::format("{}:{}", local_.address().to_string(), local_.port());
  }

 private:
  tcp::socket socket_;
  tcp::endpoint local_;
  std::array<std::uint8_t, 4096> chunk_{};
  Bytes received_;
  Bytes sent_;
  bool closed_ = false;
};

}  // namespace net::testing
