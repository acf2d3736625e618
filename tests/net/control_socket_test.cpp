// The control socket server: its line protocol, limits and resilience against bad clients,
// driven through real Unix sockets against a handler that uses the console's parser.

#include "net/control_socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "engine/console_command.h"
#include "net/error.h"
#include "net/unix_socket_path.h"
#include "tests/net/temp_dir.h"

namespace net {
namespace {

using testing::TempDir;

// A node stand-in: the console parser decides what a line is; writes answer later (from a
// timer, as a commit would), everything else at once. RELOAD throws, as a broken handler might.
void fake_node(boost::asio::io_context& io, std::string line, int line_number,
               ControlReplyFn reply) {
  const engine::ConsoleCommand command =
      engine::parse_console_line(line, line_number, engine::ConsoleDefaults{});
  if (std::holds_alternative<engine::console::Change>(command)) {
    auto timer = std::make_shared<boost::asio::steady_timer>(io, std::chrono::milliseconds(2));
    timer->async_wait([timer, reply, line_number](const boost::system::error_code&) {
      reply(fmt::format("OK index={}", line_number));
    });
  } else if (std::holds_alternative<engine::console::Status>(command)) {
    reply(fmt::format("STATUS line={}", line_number));
  } else if (std::holds_alternative<engine::console::Help>(command)) {
    reply("first\n\nthird\n");
  } else if (std::holds_alternative<engine::console::Reload>(command)) {
    throw std::runtime_error("reload broke");
  } else if (const auto* error = std::get_if<engine::console::Error>(&command)) {
    reply("ERROR " + error->message);
  } else {
    reply("");
  }
}

// A ControlSocket on its own io_context thread, with fake_node behind it.
class Server {
 public:
  explicit Server(const std::filesystem::path& path, ControlSocketOptions options = {})
      : socket_(
            io_, path,
            [this](std::string line, int n, ControlReplyFn reply) {
              fake_node(io_, std::move(line), n, std::move(reply));
            },
            options) {
    socket_.start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Server() { stop(); }

  void stop() {
    if (!thread_.joinable()) return;
    boost::asio::post(io_, [this] {
      socket_.close();
      work_.reset();
    });
    thread_.join();
  }

  std::size_t connections() {
    std::promise<std::size_t> result;
    boost::asio::post(io_, [&] { result.set_value(socket_.connections()); });
    return result.get_future().get();
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  ControlSocket socket_;
  std::thread thread_;
};

// A blocking client whose every read gives up after 5 s, so a broken server fails the test
// instead of hanging it.
class Client {
 public:
  explicit Client(const std::filesystem::path& path) {
    const UnixSocketPath name(path);
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, name.name().data(), name.name().size());
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
      throw std::runtime_error("connect failed");
  }
  ~Client() { ::close(fd_); }

  void send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return;  // the server hung up: what it said is still readable
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

  // The next line without its '\n'; "<EOF>" when the server closed, "<TIMEOUT>" after 5 s.
  std::string line() {
    for (;;) {
      if (auto end = buffer_.find('\n'); end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        return line;
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return "<TIMEOUT>";
      char chunk[4096];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return "<EOF>";
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  std::string request(const std::string& command) {
    send(command + "\n");
    return line();
  }

 private:
  int fd_ = -1;
  std::string buffer_;
};

TEST(ControlSocketTest, AnswersEachLineInOrderWithOneLine) {
  TempDir dir;
  Server server(dir / "control.sock");
  Client client(dir / "control.sock");
  // Sent at once: the write's reply comes later than STATUS would, yet replies keep the order.
  client.send("ADD: a.example. A 192.0.2.1\nSTATUS\n\n# comment\nbogus\r\n");
  EXPECT_EQ(client.line(), "OK index=1");
  EXPECT_EQ(client.line(), "STATUS line=2");
  EXPECT_EQ(client.line(), "NOOP blank line or comment");
  EXPECT_EQ(client.line(), "NOOP blank line or comment");
  const std::string error = client.line();
  EXPECT_TRUE(error.starts_with("ERROR line 5: unknown command 'bogus'")) << error;
}

TEST(ControlSocketTest, SeveralLinesComeAsContinuationLinesThenOk) {
  TempDir dir;
  Server server(dir / "control.sock");
  Client client(dir / "control.sock");
  EXPECT_EQ(client.request("HELP"), "| first");
  EXPECT_EQ(client.line(), "| ");
  EXPECT_EQ(client.line(), "| third");
  EXPECT_EQ(client.line(), "OK");
  EXPECT_EQ(client.request("status"), "STATUS line=2");
}

TEST(ControlSocketTest, AHandlerThatThrowsIsAnErrorReplyAndTheConnectionGoesOn) {
  TempDir dir;
  Server server(dir / "control.sock");
  Client client(dir / "control.sock");
  EXPECT_EQ(client.request("RELOAD"), "ERROR internal error: reload broke");
  EXPECT_EQ(client.request("STATUS"), "STATUS line=2");
}

TEST(ControlSocketTest, GarbageIsAnsweredAndNeverStopsTheServer) {
  TempDir dir;
  Server server(dir / "control.sock");
  std::mt19937 random(7);
  for (int round = 0; round < 20; ++round) {
    Client client(dir / "control.sock");
    std::string garbage(1 + random() % 3000, '\0');
    for (char& c : garbage) c = static_cast<char>(random() % 256);
    std::erase(garbage, '\n');
    client.send(garbage + "\n");
    const std::string reply = client.line();
    EXPECT_TRUE(reply.starts_with("ERROR line 1: ") || reply.starts_with("NOOP") ||
                reply.starts_with("OK"))
        << reply;
    if (round % 2 == 0) client.send(garbage.substr(0, garbage.size() / 2));  // and hang up
  }
  Client after(dir / "control.sock");
  EXPECT_EQ(after.request("STATUS"), "STATUS line=1");
}

TEST(ControlSocketTest, ALineOverTheLimitIsRefusedAndTheConnectionClosed) {
  TempDir dir;
  ControlSocketOptions options;
  options.max_line = 100;
  Server server(dir / "control.sock", options);
  {
    Client client(dir / "control.sock");
    // Exactly at the limit is a line like any other (here an unknown command).
    const std::string reply = client.request(std::string(100, 'x'));
    EXPECT_TRUE(reply.starts_with("ERROR line 1: unknown command")) << reply;
    client.send(std::string(5000, 'y'));
    EXPECT_EQ(client.line(), "ERROR line 2: line too long (more than 100 bytes)");
    EXPECT_EQ(client.line(), "<EOF>");
  }
  Client next(dir / "control.sock");
  EXPECT_EQ(next.request("STATUS"), "STATUS line=1");
}

TEST(ControlSocketTest, ALastLineWithoutItsLineEndIsAnswered) {
  TempDir dir;
  Server server(dir / "control.sock");
  Client client(dir / "control.sock");
  client.send("STATUS");
  client.shutdown_write();
  EXPECT_EQ(client.line(), "STATUS line=1");
  EXPECT_EQ(client.line(), "<EOF>");
}

TEST(ControlSocketTest, ManyClientsAtOnceEachGetTheirOwnReplies) {
  TempDir dir;
  ControlSocketOptions options;
  options.max_connections = 8;
  Server server(dir / "control.sock", options);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 8; ++i) clients.push_back(std::make_unique<Client>(dir / "control.sock"));
  for (int round = 1; round <= 3; ++round) {
    for (auto& client : clients) client->send(fmt::format("ADD: x.example. A 192.0.2.{}\n", round));
    for (auto& client : clients) EXPECT_EQ(client->line(), fmt::format("OK index={}", round));
  }
  // One more than the limit is told so and closed; the others are unaffected.
  Client extra(dir / "control.sock");
  EXPECT_EQ(extra.line(), "ERROR too many control connections (at most 8); try again later");
  EXPECT_EQ(extra.line(), "<EOF>");
  EXPECT_EQ(clients[3]->request("STATUS"), "STATUS line=4");
  // Once clients leave, their slots are free again.
  clients.resize(2);
  for (int i = 0; i < 500 && server.connections() > 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(server.connections(), 2u);
  Client again(dir / "control.sock");
  EXPECT_EQ(again.request("STATUS"), "STATUS line=1");
}

TEST(ControlSocketTest, AReplyAfterTheClientLeftIsDropped) {
  TempDir dir;
  Server server(dir / "control.sock");
  for (int i = 0; i < 10; ++i) {
    Client client(dir / "control.sock");
    client.send("ADD: gone.example. A 192.0.2.1\n");  // answered after the client is gone
  }
  Client client(dir / "control.sock");
  EXPECT_EQ(client.request("ADD: here.example. A 192.0.2.1"), "OK index=1");
}

TEST(ControlSocketTest, AnIdleConnectionIsClosed) {
  TempDir dir;
  ControlSocketOptions options;
  options.idle_timeout = std::chrono::milliseconds(20);
  Server server(dir / "control.sock", options);
  Client client(dir / "control.sock");
  EXPECT_EQ(client.line(), "<EOF>");
}

TEST(ControlSocketTest, TheSocketFileIsPrivateAndRemovedOnClose) {
  TempDir dir;
  const auto path = dir / "control.sock";
  {
    Server server(path);
    struct stat st {};
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(ControlSocketTest, AStaleSocketFileIsReplaced) {
  TempDir dir;
  const auto path = dir / "control.sock";
  {
    // A socket file nobody listens on any more, as a killed node leaves it.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.native().size());
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
    ::close(fd);
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  Server server(path);
  Client client(path);
  EXPECT_EQ(client.request("STATUS"), "STATUS line=1");
}

TEST(ControlSocketTest, APathLongerThanSockaddrAllowsWorksThroughItsDirectory) {
  TempDir dir;
  const auto deep = dir / std::string(60, 'd') / std::string(60, 'e');
  std::filesystem::create_directories(deep);
  const auto path = deep / "control.sock";
  ASSERT_GT(path.native().size(), UnixSocketPath::max_length());
  {
    Server server(path);
    Client client(path);
    EXPECT_EQ(client.request("STATUS"), "STATUS line=1");
    struct stat st {};
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);  // the file is where it was asked for
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    boost::asio::io_context io;
    EXPECT_THROW(ControlSocket(io, path, [](std::string, int, ControlReplyFn) {}), Error);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  Server again(path);  // and a stale one there is replaced too
}

TEST(ControlSocketTest, ASocketALiveProcessAnswersOnIsAnErrorNamingThePath) {
  TempDir dir;
  const auto path = dir / "control.sock";
  Server first(path);
  boost::asio::io_context io;
  try {
    ControlSocket second(io, path, [](std::string, int, ControlReplyFn) {});
    FAIL() << "a second control socket on a live path was allowed";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), fmt::format("control socket {} is in use by a running "
                                                 "process (another dns-node?)",
                                                 path.string()));
  }
  Client client(path);  // the first one still serves
  EXPECT_EQ(client.request("STATUS"), "STATUS line=1");
}

TEST(ControlSocketTest, APathThatIsNotASocketOrTooLongIsRefused) {
  TempDir dir;
  boost::asio::io_context io;
  const auto file = dir / "control.sock";
  std::ofstream(file) << "precious\n";
  auto ignore = [](std::string, int, ControlReplyFn) {};
  EXPECT_THROW(ControlSocket(io, file, ignore), Error);
  EXPECT_TRUE(std::filesystem::exists(file));
  const auto long_name = dir / std::string(200, 'x');
  try {
    ControlSocket socket(io, long_name, ignore);
    FAIL() << "a 200-byte socket file name was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("socket file name too long"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(ControlSocket(io, dir / "missing" / "control.sock", ignore), Error);
}

TEST(ControlSocketTest, RepliesAreClassifiedAsDnsctlReportsThem) {
  EXPECT_TRUE(is_success_reply("OK index=4"));
  EXPECT_TRUE(is_success_reply("NOOP already present index=4"));
  EXPECT_TRUE(is_success_reply("STATUS node=0 role=Leader"));
  EXPECT_TRUE(is_success_reply("RELOAD OK index=9"));
  EXPECT_TRUE(is_success_reply("RELOAD NOOP zone file unchanged"));
  EXPECT_TRUE(is_success_reply("OK"));
  EXPECT_FALSE(is_success_reply("ERROR no quorum: ..."));
  EXPECT_FALSE(is_success_reply("RELOAD ERROR reload: ..."));
  EXPECT_FALSE(is_success_reply("OKAY"));
  EXPECT_FALSE(is_success_reply(""));
  EXPECT_TRUE(is_continuation_line("| text"));
  EXPECT_FALSE(is_continuation_line("OK"));
  EXPECT_EQ(encode_control_reply("OK index=1"), "OK index=1\n");
  EXPECT_EQ(encode_control_reply("a\nb\n"), "| a\n| b\nOK\n");
  EXPECT_EQ(encode_control_reply(""), "NOOP blank line or comment\n");
}

}  // namespace
}  // namespace net
