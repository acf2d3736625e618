#include "net/background_worker.h"

#include <utility>

#include <boost/asio/post.hpp>

namespace net {

BackgroundWorker::BackgroundWorker(boost::asio::any_io_executor executor)
    : executor_(std::move(executor)) {}

BackgroundWorker::~BackgroundWorker() {
  wait();
}

void BackgroundWorker::run(std::function<void()> work, std::function<void()> done) {
  wait();
  thread_ =
      std::thread([executor = executor_, work = std::move(work), done = std::move(done)]() mutable {
        work();
        boost::asio::post(executor, std::move(done));
      });
}

void BackgroundWorker::wait() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace net
