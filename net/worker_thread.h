#pragma once
// engine::Worker over one long-lived thread: the engine's local-store snapshots (seconds apart)
// and, on a second one, its raft log fsyncs (thousands a second, where a thread per piece would
// cost more than the work).

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include <boost/asio/any_io_executor.hpp>

#include "engine/io.h"

namespace net {

// Runs the work it is given in order on its own thread and posts each `done` to `executor`, the
// engine's thread. Destroying it finishes the work already started: declare it after what that
// work uses (the Disk) and before the engine node.
class WorkerThread final : public engine::Worker {
 public:
  explicit WorkerThread(boost::asio::any_io_executor executor);
  ~WorkerThread() override;
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  void run(std::function<void()> work, std::function<void()> done) override;
  void wait() override;

 private:
  void loop();

  boost::asio::any_io_executor executor_;
  std::mutex mutex_;
  std::condition_variable wake_;  // work queued, or stopping
  std::condition_variable idle_;  // the queue ran dry
  std::deque<std::pair<std::function<void()>, std::function<void()>>> queue_;
  bool busy_ = false;  // the thread runs a piece of work
  bool stopping_ = false;
  std::thread thread_;  // last: started once the rest exists
};

}  // namespace net
