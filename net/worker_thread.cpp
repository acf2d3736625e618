#include "net/worker_thread.h"

#include <boost/asio/post.hpp>

namespace net {

WorkerThread::WorkerThread(boost::asio::any_io_executor executor)
    : executor_(std::move(executor)), thread_([this] { loop(); }) {}

WorkerThread::~WorkerThread() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void WorkerThread::run(std::function<void()> work, std::function<void()> done) {
  {
    std::lock_guard lock(mutex_);
    queue_.emplace_back(std::move(work), std::move(done));
  }
  wake_.notify_one();
}

void WorkerThread::wait() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void WorkerThread::loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything started has run
    auto [work, done] = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    work();
    boost::asio::post(executor_, std::move(done));
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
}

}  // namespace net
