#pragma once
// engine::Clock for a real dns-node: the OS's monotonic clock and Asio timers.

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "engine/io.h"

namespace net {

// engine::Clock over an Asio executor (an io_context, or a strand when the io_context has several
// threads). now() reads std::chrono::steady_clock; each timer is one steady_timer whose callback
// runs on the executor, never inside start_timer(); a zero (or negative) delay is a post, with no
// timer armed. After cancel_timer(id) returns, the callback
// of `id` never runs, even if the timer had already expired and its completion was queued.
// Timer ids are never reused. start_timer/cancel_timer must be called on the executor's thread
// (or before it runs). Destroy the clock before its io_context.
class AsioClock final : public engine::Clock {
 public:
  explicit AsioClock(boost::asio::any_io_executor executor);
  explicit AsioClock(boost::asio::io_context& io) : AsioClock(io.get_executor()) {}
  ~AsioClock() override;
  AsioClock(const AsioClock&) = delete;
  AsioClock& operator=(const AsioClock&) = delete;

  engine::TimePoint now() const override;
  // A negative `after` counts as zero.
  TimerId start_timer(engine::Duration after, std::function<void()> fire) override;
  // Unknown or already fired ids are ignored.
  void cancel_timer(TimerId id) override;

  // Timers started and neither fired nor cancelled yet.
  std::size_t pending_timers() const { return state_->timers.size(); }

 private:
  // Shared with the completion handlers, which may outlive the clock in the io_context's queue.
  struct State {
    std::unordered_map<TimerId, std::unique_ptr<boost::asio::steady_timer>> timers;
  };

  boost::asio::any_io_executor executor_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
  TimerId next_id_ = 1;
};

}  // namespace net
