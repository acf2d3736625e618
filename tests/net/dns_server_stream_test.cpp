// Streamed answers (QueryHandler::kStream), as a zone transfer is: over TCP every message of the
// stream goes out in order, however much larger than one output batch it is, and a query
// pipelined behind it is answered after it; the handler sees the client's address; over UDP only
// the first message is sent.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>

#include "net/dns_server.h"
#include "tests/net/test_client.h"

namespace net {
namespace {

using namespace std::chrono_literals;
using testing::Bytes;
using testing::framed;
using testing::id_of;
using testing::query_with_id;
using testing::TcpClient;
using testing::UdpClient;

constexpr std::size_t kMessages = 40;
constexpr std::size_t kMessageSize = 30000;  // 40 x 30 kB: several output batches of 256 KiB

// `count` messages of `size` octets, each starting with the id `id + i` (then a sequence byte).
class CountingStream : public dns::MessageStream {
 public:
  CountingStream(std::uint16_t id, std::size_t count, std::size_t size)
      : id_(id), count_(count), size_(size) {}
  bool next(std::vector<std::uint8_t>& message) override {
    if (sent_ == count_) return false;
    message.assign(size_, static_cast<std::uint8_t>(sent_));
    const std::uint16_t id = static_cast<std::uint16_t>(id_ + sent_);
    message[0] = id >> 8;
    message[1] = id & 0xff;
    message[2] = 0x80;
    ++sent_;
    return true;
  }

 private:
  std::uint16_t id_;
  std::size_t count_, size_, sent_ = 0;
};

// Echoes queries with QR set, except those of opcode 0 with id >= 0x7000: streamed.
class StreamingHandler : public QueryHandler {
 public:
  std::size_t handle(std::span<const std::uint8_t> query, std::span<std::uint8_t> out,
                     bool) override {
    if (query.size() < 12 || (query[2] & 0x80)) return 0;
    if (id_of(Bytes(query.begin(), query.end())) >= 0x7000) return kStream;
    std::copy(query.begin(), query.end(), out.begin());
    out[2] |= 0x80;
    return query.size();
  }
  std::unique_ptr<dns::MessageStream> open_stream(std::span<const std::uint8_t> query, bool tcp,
                                                  const boost::asio::ip::address& client) override {
    std::lock_guard lock(mutex_);
    clients_.push_back(client.to_string());
    return std::make_unique<CountingStream>(id_of(Bytes(query.begin(), query.end())), kMessages,
                                            tcp ? kMessageSize : 100);
  }
  std::vector<std::string> clients() {
    std::lock_guard lock(mutex_);
    return clients_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> clients_;
};

class StreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.threads = 1;
    server = std::make_unique<DnsServer>(handler, ListenAddress::parse("127.0.0.1:0"), options);
    server->start();
  }
  std::uint16_t port() const { return server->address().port; }
  StreamingHandler handler;
  std::unique_ptr<DnsServer> server;
};

TEST_F(StreamTest, TcpSendsEveryMessageInOrderThenThePipelinedQuery) {
  TcpClient client(port());
  Bytes both = framed(query_with_id(0x7000));
  const Bytes after = framed(query_with_id(0x0100));
  both.insert(both.end(), after.begin(), after.end());
  ASSERT_TRUE(client.send(both));
  for (std::size_t i = 0; i < kMessages; ++i) {
    auto m = client.receive_message();
    ASSERT_TRUE(m) << "message " << i;
    EXPECT_EQ(m->size(), kMessageSize);
    EXPECT_EQ(id_of(*m), 0x7000 + i);
    EXPECT_EQ((*m)[3], static_cast<std::uint8_t>(i));
  }
  auto answer = client.receive_message();
  ASSERT_TRUE(answer);
  EXPECT_EQ(id_of(*answer), 0x0100);
  EXPECT_EQ(handler.clients(), std::vector<std::string>{"127.0.0.1"});
}

TEST_F(StreamTest, UdpSendsTheFirstMessageOnly) {
  UdpClient client(port());
  client.send(query_with_id(0x7100));
  auto first = client.receive();
  ASSERT_TRUE(first);
  EXPECT_EQ(id_of(*first), 0x7100);
  EXPECT_EQ(first->size(), 100u);
  EXPECT_FALSE(client.receive(200ms));
  EXPECT_EQ(handler.clients(), std::vector<std::string>{"127.0.0.1"});
}

}  // namespace
}  // namespace net
