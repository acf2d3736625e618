#pragma once
// Hands work from other threads (a deferred DNS answer) to one worker's io_context, for as long
// as that io_context runs.

#include <functional>
#include <mutex>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace net {

// A worker thread's door for deferred answers: post() runs the function on the worker's
// io_context while the worker serves, run_now() on the calling thread while the worker serves
// (for thread-safe work such as a sendto on its socket, without waking the worker); after
// close() (the worker is stopping, its io_context and socket may be gone soon) work is dropped.
// Shared with every pending answer.
class ReplyGate {
 public:
  explicit ReplyGate(boost::asio::io_context& io) : io_(&io) {}
  void post(std::function<void()> work) {
    std::lock_guard lock(mutex_);
    if (io_ != nullptr) boost::asio::post(*io_, std::move(work));
  }
  // close() waits for a run_now() in progress, so `work` may use what close() protects.
  void run_now(const std::function<void()>& work) {
    std::lock_guard lock(mutex_);
    if (io_ != nullptr) work();
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
