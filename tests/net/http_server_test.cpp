// net::HttpServer over real loopback sockets: answers, keep-alive, 400/405/500, limits, the
// connection cap, the timeout and stop().

#include "net/http_server.h"

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/post.hpp>

#include "net/error.h"
#include "tests/net/test_client.h"

namespace net {
namespace {

using std::chrono::milliseconds;
using testing::TcpClient;

testing::Bytes bytes_of(const std::string& text) {
  return testing::Bytes(text.begin(), text.end());
}

// One HTTP response read from `client`: status line, headers and Content-Length body.
struct Response {
  int status = 0;
  std::string head;
  std::string body;
};

// `head`: the answer to a HEAD request, which has no body whatever its Content-Length says.
std::optional<Response> read_response(TcpClient& client, bool head = false) {
  Response r;
  while (r.head.size() < 16384 && !r.head.ends_with("\r\n\r\n")) {
    auto byte = client.receive_exact(1);
    if (!byte) return std::nullopt;
    r.head += static_cast<char>((*byte)[0]);
  }
  if (!r.head.starts_with("HTTP/1.1 ")) return std::nullopt;
  r.status = std::stoi(r.head.substr(9, 3));
  std::size_t length = 0;
  if (auto at = r.head.find("Content-Length: "); at != std::string::npos)
    length = std::stoul(r.head.substr(at + 16));
  if (length > 0 && !head) {
    auto body = client.receive_exact(length);
    if (!body) return std::nullopt;
    r.body.assign(body->begin(), body->end());
  }
  return r;
}

std::optional<Response> get(TcpClient& client, const std::string& path,
                            const std::string& method = "GET") {
  client.send(bytes_of(method + " " + path + " HTTP/1.1\r\nHost: test\r\n\r\n"));
  return read_response(client, method == "HEAD");
}

// A server on a free loopback port, its io_context on a thread of its own.
class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions options = {}) {
    server_ = std::make_unique<HttpServer>(
        io_, ListenAddress::parse("127.0.0.1:0"),
        [](std::string_view path) -> HttpReply {
          if (path == "/boom") throw std::runtime_error("boom");
          if (path == "/missing") return {404, "text/plain", "not found\n"};
          return {200, "text/plain", "you asked for " + std::string(path) + "\n"};
        },
        options);
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (server_) {
      std::promise<void> stopped;
      boost::asio::post(io_, [&] {
        server_->stop();
        stopped.set_value();
      });
      stopped.get_future().wait();
    }
    if (thread_.joinable()) thread_.join();  // run() returns once every connection is gone
  }
  std::uint16_t port() const { return server_->address().port; }

  boost::asio::io_context io_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

TEST_F(HttpServerTest, AnswersGetAndKeepsTheConnection) {
  start();
  TcpClient client(port());
  auto r = get(client, "/metrics?x=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "you asked for /metrics\n");  // the query string is not part of the path
  EXPECT_NE(r->head.find("Content-Type: text/plain"), std::string::npos);
  r = get(client, "/missing");  // same connection
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_F(HttpServerTest, HeadHasTheLengthButNoBody) {
  start();
  TcpClient client(port());
  auto r = get(client, "/x", "HEAD");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->head.find("Content-Length: 17"), std::string::npos) << r->head;
  // Nothing follows the head: the next response is the next request's.
  r = get(client, "/y");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "you asked for /y\n");
}

TEST_F(HttpServerTest, OtherMethodsAre405) {
  start();
  TcpClient client(port());
  client.send(bytes_of("POST /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi"));
  auto r = read_response(client);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_NE(r->head.find("Allow: GET, HEAD"), std::string::npos);
}

TEST_F(HttpServerTest, GarbageGets400AndTheConnectionCloses) {
  start();
  TcpClient client(port());
  client.send(bytes_of("HELLO THERE\r\n\r\n"));
  auto r = read_response(client);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(HttpServerTest, OversizedHeadersAndBodiesGet400) {
  HttpServerOptions options;
  options.max_header_bytes = 1024;
  options.max_body_bytes = 16;
  start(options);
  {
    TcpClient client(port());
    client.send(bytes_of("GET / HTTP/1.1\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n"));
    auto r = read_response(client);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
  }
  {
    TcpClient client(port());
    client.send(bytes_of("GET / HTTP/1.1\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'b')));
    auto r = read_response(client);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
  }
}

TEST_F(HttpServerTest, AHandlerExceptionIs500AndTheServerGoesOn) {
  start();
  TcpClient client(port());
  auto r = get(client, "/boom");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  r = get(client, "/after");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, ConnectionsBeyondTheCapAreClosed) {
  HttpServerOptions options;
  options.max_connections = 2;
  start(options);
  TcpClient a(port()), b(port());
  ASSERT_TRUE(get(a, "/a"));  // both accepted and served
  ASSERT_TRUE(get(b, "/b"));
  TcpClient c(port());
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(get(a, "/a-again")->status, 200);
}

TEST_F(HttpServerTest, AnIdleConnectionIsClosedAfterTheTimeout) {
  HttpServerOptions options;
  options.timeout = milliseconds(200);
  start(options);
  TcpClient idle(port());
  idle.send(bytes_of("GET / HT"));  // never finished
  EXPECT_TRUE(idle.closed_by_peer(milliseconds(5000)));
}

TEST(HttpServerBind, ABusyAddressIsAnErrorNamingIt) {
  boost::asio::io_context io;
  HttpServer first(io, ListenAddress::parse("127.0.0.1:0"),
                   [](std::string_view) { return HttpReply{}; });
  const std::string address = first.address().to_string();
  try {
    HttpServer second(io, first.address(), [](std::string_view) { return HttpReply{}; });
    FAIL() << "bound twice";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "http on " + address + ": address already in use");
  }
}

}  // namespace
}  // namespace net
