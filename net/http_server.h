#pragma once
// A small HTTP/1.1 server (Boost.Beast) for a node's metrics and health endpoints: GET and HEAD
// only, bounded requests, timeouts and a cap on connections, on the caller's io_context.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "net/listen_address.h"

namespace net {

// What one request is answered with.
struct HttpReply {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Answers a GET (or HEAD) of `path` (the request target without its query string). Runs on the
// server's io_context thread; an exception becomes a 500 reply.
using HttpHandler = std::function<HttpReply(std::string_view path)>;

// Limits of HttpServer; the defaults are what dns-node uses.
struct HttpServerOptions {
  // Open connections; a connection beyond it is closed at once (scrapers and probes need few).
  std::size_t max_connections = 8;
  // To receive a whole request (also the idle time allowed between keep-alive requests), and
  // to write a reply.
  std::chrono::milliseconds timeout{10'000};
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_body_bytes = 4 * 1024;
};

// Serves `handler` over HTTP on one address. Malformed requests (bad syntax, header or body over
// the limits) get 400 and the connection is closed; methods other than GET and HEAD get 405;
// the handler decides about paths (404 for unknown ones, see metrics_endpoint.h).
class HttpServer {
 public:
  // Binds and listens at once (throws net::Error "ADDR: address already in use"); accepts
  // nothing until start(). Port 0 picks a free port (see address()).
  HttpServer(boost::asio::io_context& io, const ListenAddress& listen, HttpHandler handler,
             HttpServerOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void start();
  // Closes the listener and every connection. Idempotent.
  void stop();
  const ListenAddress& address() const { return address_; }

  struct State;

 private:
  ListenAddress address_;
  std::shared_ptr<State> state_;
};

}  // namespace net
