#include "net/http_server.h"

#include <cctype>
#include <optional>
#include <unordered_set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/system/system_error.hpp>

#include "net/error.h"

namespace net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

class HttpSession;

// Everything the accept loop and the connections share; held by each of them, so whichever
// goes last frees it, and nothing refers to the HttpServer object after it is gone.
struct HttpServer::State {
  State(asio::io_context& io, HttpHandler h, HttpServerOptions o)
      : acceptor(io), retry_timer(io), handler(std::move(h)), options(o) {}
  tcp::acceptor acceptor;
  asio::steady_timer retry_timer;  // after a failed accept (e.g. out of file descriptors)
  HttpHandler handler;
  HttpServerOptions options;
  std::unordered_set<HttpSession*> sessions;
  bool stopped = false;
};

namespace {

std::string lowercase_first(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

HttpReply text_reply(unsigned status, std::string body) {
  return HttpReply{status, "text/plain; charset=utf-8", std::move(body) + "\n"};
}

}  // namespace

// One client connection: reads requests one at a time, answers each, keeps the connection
// while the client asks to.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, std::shared_ptr<HttpServer::State> state)
      : stream_(std::move(socket)),
        buffer_(state->options.max_header_bytes + state->options.max_body_bytes),
        state_(std::move(state)) {
    state_->sessions.insert(this);
  }
  ~HttpSession() { state_->sessions.erase(this); }

  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_->options.max_header_bytes));
    parser_->body_limit(state_->options.max_body_bytes);
    stream_.expires_after(state_->options.timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec) {
      // A request that is not HTTP, or over a limit, gets a reason; a connection that closed,
      // timed out or was cancelled just ends.
      if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
          ec != http::error::end_of_stream && ec != http::error::partial_message)
        return respond(text_reply(400, "bad request: " + lowercase_first(ec.message())), false,
                       false);
      return close();
    }
    const auto& request = parser_->get();
    const bool head = request.method() == http::verb::head;
    if (request.method() != http::verb::get && !head) {
      HttpReply reply = text_reply(405, "method not allowed: only GET and HEAD");
      return respond(std::move(reply), request.keep_alive(), false, true);
    }
    std::string_view target(request.target().data(), request.target().size());
    if (auto query = target.find('?'); query != std::string_view::npos)
      target = target.substr(0, query);
    HttpReply reply;
    try {
      reply = state_->handler(target);
    } catch (const std::exception& e) {
      spdlog::warn("http: {} failed: {}", target, e.what());
      reply = text_reply(500, "internal error");
    }
    respond(std::move(reply), request.keep_alive(), head);
  }

  void respond(HttpReply reply, bool keep_alive, bool head, bool allow_header = false) {
    response_ = {};
    response_.version(11);
    response_.result(reply.status);
    response_.set(http::field::server, "dns-node");
    response_.set(http::field::content_type, reply.content_type);
    response_.set(http::field::cache_control, "no-store");
    if (allow_header) response_.set(http::field::allow, "GET, HEAD");
    response_.keep_alive(keep_alive);
    if (head) {
      response_.content_length(reply.body.size());
    } else {
      response_.body() = std::move(reply.body);
      response_.prepare_payload();
    }
    stream_.expires_after(state_->options.timeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                        if (ec || !keep_alive || self->state_->stopped) return self->close();
                        self->read();
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::shared_ptr<HttpServer::State> state_;
};

namespace {

void accept(std::shared_ptr<HttpServer::State> state) {
  state->acceptor.async_accept([state](const boost::system::error_code& ec, tcp::socket socket) {
    if (state->stopped || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of file descriptors and the like: try again shortly rather than spin or give up.
      spdlog::warn("http: accept failed: {}", ec.message());
      state->retry_timer.expires_after(std::chrono::milliseconds(100));
      state->retry_timer.async_wait([state](const boost::system::error_code& timer_ec) {
        if (!timer_ec && !state->stopped) accept(state);
      });
      return;
    }
    if (state->sessions.size() >= state->options.max_connections) {
      boost::system::error_code ignored;
      socket.close(ignored);
    } else {
      std::make_shared<HttpSession>(std::move(socket), state)->read();
    }
    accept(state);
  });
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, const ListenAddress& listen, HttpHandler handler,
                       HttpServerOptions options)
    : address_(listen), state_(std::make_shared<State>(io, std::move(handler), options)) {
  const tcp::endpoint endpoint(listen.address, listen.port);
  try {
    state_->acceptor.open(endpoint.protocol());
    state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    state_->acceptor.bind(endpoint);
    state_->acceptor.listen();
    address_.port = state_->acceptor.local_endpoint().port();
  } catch (const boost::system::system_error& e) {
    throw Error(
        fmt::format("http on {}: {}", listen.to_string(), lowercase_first(e.code().message())));
  }
}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::start() {
  accept(state_);
}

void HttpServer::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
  state_->retry_timer.cancel();
  // Closing cancels their pending reads and writes; each session then frees itself.
  for (HttpSession* session : std::unordered_set<HttpSession*>(state_->sessions)) session->close();
}

}  // namespace net
