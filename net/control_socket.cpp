#include "net/control_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "net/error.h"
#include "net/unix_socket_path.h"

namespace net {

using boost::asio::local::stream_protocol;

namespace {

constexpr const char* kBlankReply = "NOOP blank line or comment";

// Whether a process accepts connections on the socket file at `path` right now.
bool someone_answers(const std::filesystem::path& path) {
  const UnixSocketPath name(path);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw Error(
        fmt::format("control socket {}: socket(): {}", path.string(), std::strerror(errno)));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, name.name().data(), name.name().size());
  const bool answered =
      ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  const int error = errno;
  ::close(fd);
  if (answered) return true;
  // ECONNREFUSED: a socket file nobody listens on (its process died); ENOENT: it just went.
  if (error == ECONNREFUSED || error == ENOENT) return false;
  throw Error(fmt::format("control socket {}: cannot tell whether it is in use: {}", path.string(),
                          std::strerror(error)));
}

// Makes `path` free for bind(): refuses a path in use or not a socket, removes a stale socket.
void clear_stale_socket(const std::filesystem::path& path) {
  if (path.empty()) throw Error("control socket: empty path");
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw Error(fmt::format("control socket {}: {}", path.string(), std::strerror(errno)));
  }
  if (!S_ISSOCK(st.st_mode))
    throw Error(fmt::format("control socket {}: exists and is not a socket; not replacing it",
                            path.string()));
  if (someone_answers(path))
    throw Error(
        fmt::format("control socket {} is in use by a running process (another "
                    "dns-node?)",
                    path.string()));
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    throw Error(fmt::format("control socket {}: cannot remove the stale socket: {}", path.string(),
                            std::strerror(errno)));
  spdlog::info("control socket {}: replaced a stale socket file (left by a previous run)",
               path.string());
}

unsigned long long inode_of(const std::filesystem::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return 0;
  return static_cast<unsigned long long>(st.st_ino);
}

}  // namespace

std::string encode_control_reply(const std::string& reply) {
  if (reply.empty()) return std::string(kBlankReply) + "\n";
  std::vector<std::string_view> lines;
  std::string_view rest = reply;
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    lines.push_back(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  if (lines.size() == 1) return std::string(lines.front()) + "\n";
  std::string out;
  for (std::string_view line : lines) out += fmt::format("| {}\n", line);
  return out + "OK\n";
}

bool is_continuation_line(std::string_view line) {
  return line.starts_with("| ") || line == "|";
}

bool is_success_reply(std::string_view line) {
  auto word = [](std::string_view text, std::string_view w) {
    return text.starts_with(w) && (text.size() == w.size() || text[w.size()] == ' ');
  };
  if (word(line, "RELOAD")) line = line.substr(std::min(line.size(), std::size_t{7}));
  return word(line, "OK") || word(line, "NOOP") || word(line, "STATUS");
}

// One client of the control socket: reads a line, hands it to the handler, writes the reply,
// reads the next.
class ControlConnection : public std::enable_shared_from_this<ControlConnection> {
 public:
  ControlConnection(stream_protocol::socket socket,
                    std::shared_ptr<const ControlLineHandler> handler,
                    const ControlSocketOptions& options)
      : socket_(std::move(socket)),
        idle_timer_(socket_.get_executor()),
        handler_(std::move(handler)),
        options_(options) {}

  void start() { read_line(); }

  void close() {
    if (closed_) return;
    closed_ = true;
    idle_timer_.cancel();
    boost::system::error_code ignored;
    socket_.shutdown(stream_protocol::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  bool open() const { return !closed_; }

 private:
  void read_line() {
    if (closed_) return;
    idle_timer_.expires_after(options_.idle_timeout);
    idle_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      if (auto self = weak.lock(); self && !ec) self->close();
    });
    boost::asio::async_read_until(
        socket_, boost::asio::dynamic_buffer(buffer_, options_.max_line + 1), '\n',
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          self->idle_timer_.cancel();
          if (self->closed_) return;
          if (!ec) {
            std::string line = self->buffer_.substr(0, n - 1);
            self->buffer_.erase(0, n);
            self->handle(std::move(line), false);
          } else if (ec == boost::asio::error::not_found) {
            // The buffer filled up without a line end: refuse and hang up, since what follows
            // is the rest of a line no one will read.
            self->send(fmt::format("ERROR line {}: line too long (more than {} bytes)\n",
                                   self->line_number_ + 1, self->options_.max_line),
                       true);
          } else if (ec == boost::asio::error::eof && !self->buffer_.empty()) {
            // A last command without its '\n' (e.g. `printf STATUS | socat ...`).
            std::string line = std::move(self->buffer_);
            self->buffer_.clear();
            self->handle(std::move(line), true);
          } else {
            self->close();
          }
        });
  }

  void handle(std::string line, bool last) {
    ++line_number_;
    auto answered = std::make_shared<bool>(false);
    // The reply holds the connection: while a write waits for its commit, nothing else does.
    ControlReplyFn reply = [self = shared_from_this(), answered, last](const std::string& text) {
      if (*answered) return;
      *answered = true;
      self->send(encode_control_reply(text), last);
    };
    try {
      (*handler_)(std::move(line), line_number_, reply);
    } catch (const std::exception& e) {
      reply(fmt::format("ERROR internal error: {}", e.what()));
    }
  }

  void send(std::string text, bool then_close) {
    if (closed_) return;
    auto data = std::make_shared<std::string>(std::move(text));
    boost::asio::async_write(socket_, boost::asio::buffer(*data),
                             [self = shared_from_this(), data, then_close](
                                 const boost::system::error_code& ec, std::size_t) {
                               if (ec || then_close) {
                                 self->close();
                               } else {
                                 self->read_line();
                               }
                             });
  }

  stream_protocol::socket socket_;
  boost::asio::steady_timer idle_timer_;
  std::shared_ptr<const ControlLineHandler> handler_;
  ControlSocketOptions options_;
  std::string buffer_;
  int line_number_ = 0;
  bool closed_ = false;
};

ControlSocket::ControlSocket(boost::asio::io_context& io, std::filesystem::path path,
                             ControlLineHandler handler, ControlSocketOptions options)
    : path_(std::move(path)),
      handler_(std::make_shared<const ControlLineHandler>(std::move(handler))),
      options_(options),
      acceptor_(io),
      retry_timer_(io) {
  clear_stale_socket(path_);
  std::optional<UnixSocketPath> name;
  try {
    name.emplace(path_);
  } catch (const Error& e) {
    throw Error(fmt::format("control socket {}", e.what()));
  }
  boost::system::error_code ec;
  acceptor_.open(stream_protocol(), ec);
  if (!ec) {
    // The socket file is created by bind() with the umask's mode: make it 0600 from the start,
    // not only after a chmod, so no other user can connect in between.
    const mode_t old_mask = ::umask(0177);
    acceptor_.bind(stream_protocol::endpoint(name->name()), ec);
    ::umask(old_mask);
  }
  if (!ec && ::chmod(path_.c_str(), 0600) != 0)
    ec = boost::system::error_code(errno, boost::system::system_category());
  if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    throw Error(fmt::format("control socket {}: {}", path_.string(), ec.message()));
  }
  inode_ = inode_of(path_);
}

ControlSocket::~ControlSocket() {
  close();
}

void ControlSocket::start() {
  accept();
}

std::size_t ControlSocket::connections() const {
  std::size_t open = 0;
  for (const auto& weak : connections_)
    if (auto connection = weak.lock(); connection && connection->open()) ++open;
  return open;
}

void ControlSocket::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec,
                                stream_protocol::socket socket) {
    if (closed_ || ec == boost::asio::error::operation_aborted) return;
    if (!ec) {
      std::erase_if(connections_, [](const std::weak_ptr<ControlConnection>& weak) {
        auto connection = weak.lock();
        return !connection || !connection->open();
      });
      if (connections_.size() >= options_.max_connections) {
        auto refused = std::make_shared<stream_protocol::socket>(std::move(socket));
        auto text = std::make_shared<std::string>(
            fmt::format("ERROR too many control connections (at most {}); try again later\n",
                        options_.max_connections));
        boost::asio::async_write(*refused, boost::asio::buffer(*text),
                                 [refused, text](const boost::system::error_code&, std::size_t) {
                                   boost::system::error_code ignored;
                                   refused->close(ignored);
                                 });
      } else {
        auto connection =
            std::make_shared<ControlConnection>(std::move(socket), handler_, options_);
        connections_.push_back(connection);
        connection->start();
      }
    } else {
      // Out of descriptors, say: try again a little later rather than spin.
      spdlog::warn("control socket {}: accept: {}", path_.string(), ec.message());
      retry_timer_.expires_after(std::chrono::milliseconds(100));
      retry_timer_.async_wait([this](const boost::system::error_code& wait_ec) {
        if (!wait_ec && !closed_) accept();
      });
      return;
    }
    accept();
  });
}

void ControlSocket::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  retry_timer_.cancel();
  for (const auto& weak : connections_)
    if (auto connection = weak.lock()) connection->close();
  connections_.clear();
  if (inode_ != 0 && inode_of(path_) == inode_) ::unlink(path_.c_str());
}

}  // namespace net
