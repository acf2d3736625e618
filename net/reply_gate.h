#pragma once
// Hands work from other threads (a deferred DNS answer) to one worker's io_context, for as long
// as that io_context runs.

#include <functional>
#include <mutex>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace net {

// A worker thread's door for deferred answers: post() runs the function on the worker's
// io_context while the worker serves; after close() (the worker is stopping, its io_context
// may be gone soon) posted work is dropped. Shared with every pending answer.
class ReplyGate {
 public:
  explicit ReplyGate(boost::asio::io_context& io) : io_(&io) {}
  void post(std::function<void()> work) {
    std::lock_guard lock(mutex_);
    if (io_ != nullptr) boost::asio::post(*io_, std::move(work));
  }
  void close() {
    std::lock_guard lock(mutex_);
    io_ = nullptr;
  }

 private:
  std::mutex mutex_;
  boost::asio::io_context* io_;
};

}  // namespace net
