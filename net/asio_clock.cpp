#include "net/asio_clock.h"

#include <algorithm>
#include <chrono>

#include <boost/asio/post.hpp>

namespace net {

AsioClock::AsioClock(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

AsioClock::~AsioClock() {
  // Destroying a timer aborts its wait; the handler then finds the state gone and does nothing.
  state_->timers.clear();
}

engine::TimePoint AsioClock::now() const {
  const auto since_boot = std::chrono::steady_clock::now().time_since_epoch();
  return engine::TimePoint(std::chrono::duration_cast<engine::Duration>(since_boot));
}

AsioClock::TimerId AsioClock::start_timer(engine::Duration after, std::function<void()> fire) {
  const TimerId id = next_id_++;
  // The map, not the error code, decides: a timer cancelled after it expired completes with
  // success (or its post is already queued), and must still not fire.
  auto run = [weak = std::weak_ptr<State>(state_), id, fire = std::move(fire)] {
    auto state = weak.lock();
    if (!state) return;
    auto it = state->timers.find(id);
    if (it == state->timers.end()) return;
    state->timers.erase(it);
    fire();
  };
  if (after <= engine::Duration::zero()) {
    // "As soon as possible" (the node's coalescing of a burst of inputs): a post runs after the
    // handlers already queued, like an expired timer, without arming the timer queue (a
    // timerfd_settime and an epoll round per call).
    state_->timers.emplace(id, nullptr);
    boost::asio::post(executor_, std::move(run));
    return id;
  }
  auto timer = std::make_unique<boost::asio::steady_timer>(executor_);
  timer->expires_after(after);
  timer->async_wait([run = std::move(run)](const boost::system::error_code&) { run(); });
  state_->timers.emplace(id, std::move(timer));
  return id;
}

void AsioClock::cancel_timer(TimerId id) {
  // Destroying the timer cancels its wait.
  state_->timers.erase(id);
}

}  // namespace net
