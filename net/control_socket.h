#pragma once
// The node's control socket: a Unix stream socket speaking the console's command language, so
// that a node run as a daemon (standard input at /dev/null) can be driven by `dnsctl`.
//
// Protocol: the client writes command lines (as typed on the console); the node answers each
// line, in order, with exactly one final reply line ("OK index=N", "NOOP ...", "ERROR ...",
// "STATUS ...", "RELOAD ..."). A reply of several lines (only HELP's) comes as lines starting
// with "| " followed by the final line "OK". A blank line or a comment is answered "NOOP blank
// line or comment". A connection handles one command at a time; several connections may be
// open at once. A line longer than the limit is answered with an ERROR and the connection is
// closed; so is a connection beyond the limit, at once, and one idle past the idle timeout.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

namespace net {

class ControlConnection;

// Limits of one control socket.
struct ControlSocketOptions {
  std::size_t max_line = 64 * 1024;  // bytes of one command line, without its '\n'
  std::size_t max_connections = 16;  // open at once; more are refused with an ERROR line
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};  // without a command
};

// Answers one command line. `reply` must be called once, now or later, on the io_context's
// thread; an empty reply means "nothing to say" (blank line or comment). line_number counts the
// lines of this connection, from 1.
using ControlReplyFn = std::function<void(const std::string& reply)>;
using ControlLineHandler =
    std::function<void(std::string line, int line_number, ControlReplyFn reply)>;

// The listening socket and its connections, all on one io_context.
class ControlSocket {
 public:
  // Binds `path` with mode 0600 and listens (accepting starts with start()). A stale socket
  // file (nobody answers on it: left by a crashed run) is replaced. Throws net::Error naming
  // the path when a live process answers on it, when it exists and is not a socket, when the
  // path is too long for a Unix socket, or when it cannot be bound.
  ControlSocket(boost::asio::io_context& io, std::filesystem::path path, ControlLineHandler handler,
                ControlSocketOptions options = {});
  ~ControlSocket();
  ControlSocket(const ControlSocket&) = delete;
  ControlSocket& operator=(const ControlSocket&) = delete;

  void start();
  // Closes the listener and every connection and removes the socket file (if it is still ours).
  void close();

  const std::filesystem::path& path() const { return path_; }
  // Connections open now (for tests).
  std::size_t connections() const;

 private:
  void accept();

  std::filesystem::path path_;
  std::shared_ptr<const ControlLineHandler> handler_;  // shared with the connections
  ControlSocketOptions options_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;  // after a failed accept (e.g. out of descriptors)
  std::vector<std::weak_ptr<ControlConnection>> connections_;
  unsigned long long inode_ = 0;  // of the file we bound, so close() removes only ours
  bool closed_ = false;
};

// Splits a reply into the lines sent on the socket (see the protocol above), each ending '\n'.
std::string encode_control_reply(const std::string& reply);

// Whether a line read from the socket is one of a reply's leading "| " lines (more follow).
bool is_continuation_line(std::string_view line);

// Whether a final reply line reports success: OK..., NOOP..., STATUS ..., RELOAD OK/NOOP ...;
// ERROR..., RELOAD ERROR ... and anything unexpected are failures.
bool is_success_reply(std::string_view line);

}  // namespace net
