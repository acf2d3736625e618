// Deferred answers (QueryHandler::kDeferred): a request answered later from another thread, as
// a DNS UPDATE is after its commit, over UDP and TCP; on TCP, answers to later queries are not
// held back by it, and a reply after the server stopped is dropped without harm.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

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

// Echoes queries with QR set, except opcode 5 (UPDATE): deferred, and answered (echoed with QR
// set) when release() is called, from the calling thread.
class DeferringHandler : public QueryHandler {
 public:
  std::size_t handle(std::span<const std::uint8_t> query, std::span<std::uint8_t> out,
                     bool) override {
    if (query.size() < 12 || (query[2] & 0x80)) return 0;
    if (((query[2] >> 3) & 0x0f) == 5) return kDeferred;
    std::copy(query.begin(), query.end(), out.begin());
    out[2] |= 0x80;
    return query.size();
  }
  void handle_deferred(std::span<const std::uint8_t> query, bool, Reply reply) override {
    std::lock_guard lock(mutex_);
    Bytes answer(query.begin(), query.end());
    answer[2] |= 0x80;
    waiting_.emplace_back(std::move(answer), std::move(reply));
  }
  std::size_t waiting() {
    std::lock_guard lock(mutex_);
    return waiting_.size();
  }
  void release() {
    std::vector<std::pair<Bytes, Reply>> all;
    {
      std::lock_guard lock(mutex_);
      all.swap(waiting_);
    }
    for (auto& [answer, reply] : all) reply(std::move(answer));
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<Bytes, Reply>> waiting_;
};

Bytes update_with_id(std::uint16_t id) {
  Bytes q = query_with_id(id);
  q[2] = 5 << 3;
  return q;
}

bool wait_for(const std::function<bool()>& done) {
  for (int i = 0; i < 500 && !done(); ++i) std::this_thread::sleep_for(10ms);
  return done();
}

class DeferredTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.threads = 2;
    server = std::make_unique<DnsServer>(handler, ListenAddress::parse("127.0.0.1:0"), options);
    server->start();
  }
  std::uint16_t port() const { return server->address().port; }
  DeferringHandler handler;
  std::unique_ptr<DnsServer> server;
};

TEST_F(DeferredTest, UdpAnswerArrivesWhenReleasedFromAnotherThread) {
  UdpClient client(port());
  client.send(update_with_id(0x0501));
  ASSERT_TRUE(wait_for([&] { return handler.waiting() == 1; }));
  EXPECT_FALSE(client.receive(100ms)) << "answered before it was released";
  client.send(query_with_id(0x0502));  // a normal query is answered meanwhile
  auto normal = client.receive();
  ASSERT_TRUE(normal);
  EXPECT_EQ(id_of(*normal), 0x0502);
  std::thread([&] { handler.release(); }).join();
  auto deferred = client.receive();
  ASSERT_TRUE(deferred);
  EXPECT_EQ(id_of(*deferred), 0x0501);
}

TEST_F(DeferredTest, TcpLaterQueriesAreNotHeldBackAndTheDeferredAnswerFollows) {
  TcpClient client(port());
  Bytes both = framed(update_with_id(0x0601));
  const Bytes second = framed(query_with_id(0x0602));
  both.insert(both.end(), second.begin(), second.end());
  ASSERT_TRUE(client.send(both));
  auto first_answer = client.receive_message();
  ASSERT_TRUE(first_answer);
  EXPECT_EQ(id_of(*first_answer), 0x0602);
  ASSERT_TRUE(wait_for([&] { return handler.waiting() == 1; }));
  std::thread([&] { handler.release(); }).join();
  auto deferred = client.receive_message();
  ASSERT_TRUE(deferred);
  EXPECT_EQ(id_of(*deferred), 0x0601);
  // The connection still works afterwards, for both kinds.
  ASSERT_TRUE(client.send(framed(query_with_id(0x0603))));
  auto third = client.receive_message();
  ASSERT_TRUE(third);
  EXPECT_EQ(id_of(*third), 0x0603);
  ASSERT_TRUE(client.send(framed(update_with_id(0x0604))));
  ASSERT_TRUE(wait_for([&] { return handler.waiting() == 1; }));
  handler.release();
  auto fourth = client.receive_message();
  ASSERT_TRUE(fourth);
  EXPECT_EQ(id_of(*fourth), 0x0604);
}

TEST_F(DeferredTest, ManyDeferredTcpAnswersReleasedAtOnceAllArrive) {
  TcpClient client(port());
  Bytes burst;
  for (std::uint16_t id = 1; id <= 50; ++id) {
    const Bytes f = framed(id % 2 ? update_with_id(id) : query_with_id(id));
    burst.insert(burst.end(), f.begin(), f.end());
  }
  ASSERT_TRUE(client.send(burst));
  ASSERT_TRUE(wait_for([&] { return handler.waiting() == 25; }));
  handler.release();
  std::vector<bool> seen(51, false);
  for (int i = 0; i < 50; ++i) {
    auto answer = client.receive_message();
    ASSERT_TRUE(answer) << i;
    seen.at(id_of(*answer)) = true;
  }
  for (std::uint16_t id = 1; id <= 50; ++id) EXPECT_TRUE(seen[id]) << id;
}

TEST_F(DeferredTest, ReplyAfterTheServerStoppedIsDropped) {
  UdpClient udp(port());
  udp.send(update_with_id(7));
  TcpClient tcp(port());
  ASSERT_TRUE(tcp.send(framed(update_with_id(8))));
  ASSERT_TRUE(wait_for([&] { return handler.waiting() == 2; }));
  server->stop();
  handler.release();  // the gates are closed: nothing is sent, nothing crashes
  server.reset();
  EXPECT_FALSE(udp.receive(100ms));
}

}  // namespace
}  // namespace net
