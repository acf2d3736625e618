#include "net/console_reader.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include <boost/asio/post.hpp>

namespace net {

ConsoleReader::ConsoleReader(boost::asio::io_context& io, int fd, std::size_t max_line,
                             LineFn on_line, EofFn on_eof)
    : io_(io),
      fd_(fd),
      max_line_(max_line),
      on_line_(std::move(on_line)),
      on_eof_(std::move(on_eof)),
      thread_([this] { run(); }) {}

ConsoleReader::~ConsoleReader() {
  stop();
}

void ConsoleReader::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void ConsoleReader::run() {
  std::string line;
  bool skipping = false;  // inside the tail of an over-long line
  char buffer[4096];
  auto deliver = [this](std::string text) {
    boost::asio::post(io_, [this, text = std::move(text)]() mutable {
      if (!stopping_) on_line_(std::move(text));
    });
  };
  while (!stopping_) {
    pollfd p{fd_, POLLIN, 0};
    // Polling with a timeout (rather than blocking in read) lets stop() end the thread.
    const int ready = ::poll(&p, 1, 200);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      if (ready < 0) break;
      continue;
    }
    const ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;  // end of input (or an unreadable fd): the node keeps running
    for (ssize_t i = 0; i < n; ++i) {
      const char c = buffer[i];
      if (c == '\n') {
        if (!skipping || !line.empty()) deliver(std::move(line));
        line.clear();
        skipping = false;
      } else if (!skipping) {
        line.push_back(c);
        if (line.size() > max_line_) {
          deliver(std::move(line));  // over-long: the parser refuses it
          line.clear();
          skipping = true;
        }
      }
    }
  }
  if (!line.empty() && !skipping) deliver(std::move(line));
  if (!stopping_)
    boost::asio::post(io_, [this] {
      if (!stopping_) on_eof_();
    });
}

}  // namespace net
