// dnsctl: sends console commands to a running dns-node over its control socket and prints the
// replies. Exit status: 0 when every reply is a success (OK, NOOP, STATUS, RELOAD OK/NOOP,
// HELP), 1 when any is an ERROR, 2 for bad usage or when the node cannot be reached.

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include "net/cluster_config.h"
#include "net/control_socket.h"
#include "net/unix_socket_path.h"

namespace {

using boost::asio::local::stream_protocol;

constexpr int kUsageOrConnection = 2;

constexpr const char* kDescription = R"(dnsctl - send commands to a dns-node over its control socket

  dnsctl -s SOCKET 'COMMAND' ...
  dnsctl -c CONFIG -n NODE 'COMMAND' ...

COMMAND is a console line: 'ADD: name TYPE value', 'REMOVE: name TYPE value', STATUS, RELOAD,
MEMBERS, 'ADD-NODE id raft-ip:port dns-ip:port', 'REMOVE-NODE id', HELP. Commands run one after another; each reply is printed as one line (HELP: several).
Exit status: 0 if every reply is OK/NOOP (or STATUS, RELOAD OK/NOOP, HELP), 1 if any is an
ERROR, 2 for bad usage or when the node cannot be reached or does not answer in time.)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "dnsctl: %s\n", message.c_str());
  return kUsageOrConnection;
}

// One connection to a node's control socket, every operation bounded by one deadline.
class ControlClient {
 public:
  ControlClient(const std::string& path, std::chrono::milliseconds timeout)
      : socket_(io_), timeout_(timeout) {
    const net::UnixSocketPath name(path);  // a long path is reached through its directory
    boost::system::error_code result = boost::asio::error::would_block;
    socket_.async_connect(stream_protocol::endpoint(name.name()),
                          [&](const boost::system::error_code& ec) { result = ec; });
    run("connect", result);
  }

  // Sends one line; returns the reply's lines (HELP's "| " lines, then the final line).
  std::vector<std::string> request(const std::string& line) {
    const std::string data = line + "\n";
    boost::system::error_code result = boost::asio::error::would_block;
    boost::asio::async_write(
        socket_, boost::asio::buffer(data),
        [&](const boost::system::error_code& ec, std::size_t) { result = ec; });
    run("send", result);
    std::vector<std::string> lines;
    for (;;) {
      result = boost::asio::error::would_block;
      std::size_t length = 0;
      boost::asio::async_read_until(socket_, boost::asio::dynamic_buffer(buffer_), '\n',
                                    [&](const boost::system::error_code& ec, std::size_t n) {
                                      result = ec;
                                      length = n;
                                    });
      run("read the reply", result);
      lines.push_back(buffer_.substr(0, length - 1));
      buffer_.erase(0, length);
      if (!net::is_continuation_line(lines.back())) return lines;
    }
  }

 private:
  // Runs the io_context until the operation that sets `result` ends or the deadline passes.
  void run(const char* what, boost::system::error_code& result) {
    io_.restart();
    io_.run_for(timeout_);
    if (result == boost::asio::error::would_block) {
      throw std::runtime_error(fmt::format("no answer within {} ms ({})", timeout_.count(), what));
    }
    if (result == boost::asio::error::eof)
      throw std::runtime_error(fmt::format("the node closed the connection ({})", what));
    if (result == boost::asio::error::connection_refused ||
        result == boost::system::errc::no_such_file_or_directory)
      throw std::runtime_error(
          fmt::format("{}: {} (is the node running? see its log)", what, result.message()));
    if (result) throw std::runtime_error(fmt::format("{}: {}", what, result.message()));
  }

  boost::asio::io_context io_;
  stream_protocol::socket socket_;
  std::chrono::milliseconds timeout_;
  std::string buffer_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(kDescription, "dnsctl");
  std::string socket_path;
  std::string config_path;
  std::optional<std::uint64_t> node_id;
  double timeout_seconds = 30.0;
  std::vector<std::string> commands;
  app.add_option("-s,--socket", socket_path, "the node's control socket");
  auto* config_option = app.add_option("-c,--config", config_path, "the cluster config (with -n)");
  app.add_option("-n,--node", node_id, "the node's id in CONFIG")->needs(config_option);
  app.add_option("-t,--timeout", timeout_seconds,
                 "seconds to wait for each reply (a write waits up to the config's "
                 "write_timeout_ms); default 30")
      ->check(CLI::Range(0.001, 3600.0));
  app.add_option("command", commands, "console lines, e.g. STATUS")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(std::string(e.what()) + " (see dnsctl --help)");
  }
  if (socket_path.empty() == config_path.empty())
    return usage_error("give either -s SOCKET or -c CONFIG -n NODE (see dnsctl --help)");
  if (!config_path.empty()) {
    if (!node_id) return usage_error("-c CONFIG needs -n NODE");
    try {
      const net::ClusterConfig config = net::load_cluster_config(config_path);
      const net::NodeConfig& node = config.node(*node_id);
      socket_path = net::control_socket_path(node, node.data_dir).string();
    } catch (const std::exception& e) {
      return usage_error(e.what());
    }
  }
  for (const std::string& command : commands)
    if (command.find('\n') != std::string::npos)
      return usage_error(fmt::format("a command is one line; found a line end in '{}'",
                                     command.substr(0, command.find('\n'))));

  int status = 0;
  try {
    ControlClient client(
        socket_path, std::chrono::milliseconds(static_cast<long long>(timeout_seconds * 1000.0)));
    for (const std::string& command : commands) {
      const std::vector<std::string> reply = client.request(command);
      for (const std::string& line : reply) {
        // After HELP's lines, the final "OK" only marks the end.
        if (reply.size() > 1 && &line == &reply.back() && line == "OK") break;
        const std::string_view shown = net::is_continuation_line(line)
                                           ? std::string_view(line).substr(2)
                                           : std::string_view(line);
        std::fwrite(shown.data(), 1, shown.size(), stdout);
        std::fputc('\n', stdout);
      }
      std::fflush(stdout);
      if (!net::is_success_reply(reply.back())) status = 1;
    }
  } catch (const std::exception& e) {
    std::fflush(stdout);
    return usage_error(fmt::format("{}: {}", socket_path, e.what()));
  }
  return status;
}
