#include "net/notify_schedule.h"

#include <algorithm>

#include "dns/types.h"

namespace net {

NotifySchedule::NotifySchedule(std::vector<NotifyChannel> channels, NotifyRetryPolicy policy,
                               IdFn next_id, EventFn on_event)
    : channels_(std::move(channels)),
      state_(channels_.size()),
      policy_(policy),
      next_id_(std::move(next_id)),
      on_event_(std::move(on_event)) {
  policy_.max_attempts = std::max(policy_.max_attempts, 1);
}

void NotifySchedule::set_serial(const dns::Name& zone, std::uint32_t serial,
                                engine::TimePoint now) {
  for (std::size_t i = 0; i < channels_.size(); ++i) {
    if (!(channels_[i].zone == zone)) continue;
    State& s = state_[i];
    if (s.wanted == serial) continue;
    s.wanted = serial;
    if (s.sent.empty()) {
      s.due = now;  // idle: send at once
      continue;
    }
    // A NOTIFY is outstanding. If it is a first transmission, the new serial waits for its
    // reply (coalescing a burst into one NOTIFY per round trip), but no longer than reply_wait
    // after it was sent. If the target already missed a reply (down, or NOTIFYs lost), waiting
    // says little: the new serial goes at once. Either way it supersedes the outstanding NOTIFY
    // and starts a series of its own (attempts and budget anew); a target that stays silent
    // while the zone keeps changing gets at most one NOTIFY per reply_wait.
    const bool target_silent = s.attempts >= 2;
    s.due = target_silent ? now : std::min(*s.due, std::max(now, s.last_sent + policy_.reply_wait));
    s.attempts = 0;
  }
}

engine::Duration NotifySchedule::timeout_after(int attempts) const {
  engine::Duration t = policy_.first_timeout;
  for (int i = 1; i < attempts && t < policy_.max_timeout; ++i) t *= 2;
  return std::min(t, policy_.max_timeout);
}

std::vector<NotifyTransmission> NotifySchedule::due(engine::TimePoint now) {
  std::vector<NotifyTransmission> out;
  for (std::size_t i = 0; i < channels_.size(); ++i) {
    State& s = state_[i];
    if (!s.due || *s.due > now || !s.wanted) continue;
    const int attempts = s.attempts;
    if (attempts > 0 && (attempts >= policy_.max_attempts || now - s.started >= policy_.budget)) {
      const std::uint32_t serial = *s.wanted;
      s = State{};
      event(i, NotifyEvent::GaveUp, serial);
      continue;
    }
    if (attempts == 0) s.started = now;
    const NotifyTransmission t{i, next_id_(), *s.wanted, attempts + 1};
    s.sent.push_back({t.id, t.serial});
    if (s.sent.size() > kRemembered) s.sent.erase(s.sent.begin());
    s.attempts = t.attempt;
    s.last_sent = now;
    // The last wait ends when the budget does, so giving up is on time.
    s.due = std::min(now + timeout_after(t.attempt), s.started + policy_.budget);
    if (t.attempt > 1) event(i, NotifyEvent::Retry, t.serial);
    out.push_back(t);
  }
  return out;
}

bool NotifySchedule::on_reply(std::size_t channel, std::uint16_t id, std::uint16_t rcode,
                              engine::TimePoint now) {
  if (channel >= state_.size()) return false;
  State& s = state_[channel];
  auto it = std::find_if(s.sent.begin(), s.sent.end(), [id](const Sent& x) { return x.id == id; });
  if (it == s.sent.end()) return false;
  const std::uint32_t serial = it->serial;
  if (rcode != dns::rcode::NOERROR) {
    s = State{};
    event(channel, NotifyEvent::Rejected, serial);
    return true;
  }
  event(channel, NotifyEvent::Acked, serial);
  if (!s.wanted || *s.wanted == serial) {
    s = State{};
    return true;
  }
  // A newer serial came meanwhile. If it is already on its way, wait for that reply; else
  // announce it now.
  s.sent.erase(it);
  const bool newest_sent = std::any_of(s.sent.begin(), s.sent.end(),
                                       [&](const Sent& x) { return x.serial == *s.wanted; });
  if (!newest_sent) {
    const std::uint32_t wanted = *s.wanted;
    s = State{};
    s.wanted = wanted;
    s.due = now;
  }
  return true;
}

std::optional<engine::TimePoint> NotifySchedule::next_due() const {
  std::optional<engine::TimePoint> next;
  for (const State& s : state_)
    if (s.due && s.wanted && (!next || *s.due < *next)) next = s.due;
  return next;
}

void NotifySchedule::event(std::size_t channel, NotifyEvent e, std::uint32_t serial) {
  if (on_event_) on_event_(channels_[channel], e, serial);
}

}  // namespace net
