#pragma once
// Reads the operator's command lines from a file descriptor (dns-node's standard input) on a
// thread of its own and hands each line to the engine's io_context, so a slow or silent terminal
// never blocks the engine and the engine never blocks the terminal.

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>

namespace net {

class ConsoleReader {
 public:
  using LineFn = std::function<void(std::string line)>;
  using EofFn = std::function<void()>;

  // Lines longer than `max_line` are cut there (the remainder up to the newline is skipped), so
  // the parser sees an over-long line and refuses it. `on_eof` runs once when input ends.
  ConsoleReader(boost::asio::io_context& io, int fd, std::size_t max_line, LineFn on_line,
                EofFn on_eof);
  ~ConsoleReader();
  ConsoleReader(const ConsoleReader&) = delete;
  ConsoleReader& operator=(const ConsoleReader&) = delete;

  // Stops the thread (within one poll interval) and joins it.
  void stop();

 private:
  void run();

  boost::asio::io_context& io_;
  int fd_;
  std::size_t max_line_;
  LineFn on_line_;
  EofFn on_eof_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace net
