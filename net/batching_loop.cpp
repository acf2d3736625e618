#include "net/batching_loop.h"

#include <ctime>

namespace net {

void BatchingLoop::run() {
  if (wait_.count() <= 0) {
    io_.run();
    return;
  }
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(wait_);
  const timespec pause{static_cast<std::time_t>(seconds.count()),
                       static_cast<long>((wait_ - seconds).count() * 1000)};
  for (;;) {
    // Work found right after a wait, or after sleeping in epoll for less than a wait, is steady
    // traffic: waiting gathers about one more query or more. Slower traffic gains nothing from a
    // wait, and a thread answering it never waits.
    bool steady = true;
    std::size_t handlers = io_.poll();
    if (handlers == 0) {
      const auto idle_from = std::chrono::steady_clock::now();
      handlers = io_.run_one();  // nothing ready: sleep in epoll until there is
      steady = std::chrono::steady_clock::now() - idle_from < wait_;
    }
    if (handlers == 0 || io_.stopped()) return;  // out of work, or stopped
    if (steady) {
      ++waits_;
      ::nanosleep(&pause, nullptr);
    }
  }
}

}  // namespace net
