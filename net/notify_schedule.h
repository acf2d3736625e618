#pragma once
// When to send which NOTIFY (RFC 1996 §3.6): per zone and target, the newest serial to announce
// and at most one NOTIFY outstanding, retransmitted with exponential backoff until a reply comes
// or the retry budget is spent. Pure bookkeeping on times the caller passes in (tests drive it
// with made-up times); net/notify_sender.h does the sockets and the timer.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "dns/name.h"
#include "engine/io.h"
#include "net/listen_address.h"

namespace net {

// How long to wait for a reply and when to stop. The defaults: retransmissions after 1, 2, 4,
// 8, 16, 16 ... s, giving up 60 s after the first transmission or after 8 transmissions.
struct NotifyRetryPolicy {
  engine::Duration first_timeout = std::chrono::seconds(1);
  engine::Duration max_timeout = std::chrono::seconds(16);
  engine::Duration budget = std::chrono::seconds(60);
  int max_attempts = 8;
  // How long a new serial waits for the reply to an outstanding first NOTIFY before superseding
  // it: a burst of changes costs a target one NOTIFY per round trip (if shorter) or per
  // reply_wait, and a NOTIFY lost before the change delays the new serial at most this long.
  engine::Duration reply_wait = std::chrono::milliseconds(250);
};

// One zone told to one target.
struct NotifyChannel {
  dns::Name zone;
  ListenAddress target;
};

// What happened on a channel (counted by raftdns_notify_total and logged).
enum class NotifyEvent {
  Acked,     // the target answered NOERROR
  Retry,     // no reply in time: sent again
  GaveUp,    // no reply within the budget: stopped until the next serial change
  Rejected,  // the target answered an error rcode (REFUSED, NOTAUTH, NOTIMP ...): not retried
};

// One NOTIFY to put on the wire now.
struct NotifyTransmission {
  std::size_t channel = 0;  // index into channels()
  std::uint16_t id = 0;     // DNS message id
  std::uint32_t serial = 0;
  int attempt = 1;  // 1 = first transmission of this serial's series
};

class NotifySchedule {
 public:
  using EventFn = std::function<void(const NotifyChannel&, NotifyEvent, std::uint32_t serial)>;
  using IdFn = std::function<std::uint16_t()>;

  // `next_id` gives each transmission its message id (random in dns-node); `on_event` may be
  // empty.
  NotifySchedule(std::vector<NotifyChannel> channels, NotifyRetryPolicy policy, IdFn next_id,
                 EventFn on_event = {});

  // `zone`'s serial is now `serial`: each of its targets is to hear of it. A target with no
  // NOTIFY outstanding is due at once. One with a first NOTIFY outstanding hears the newest
  // serial right after the reply, or at most reply_wait after that transmission (a burst of
  // changes costs one NOTIFY per round trip); one that already missed a reply hears it at once.
  // The new NOTIFY supersedes the outstanding one: never more than one outstanding. Unknown
  // zones are ignored.
  void set_serial(const dns::Name& zone, std::uint32_t serial, engine::TimePoint now);

  // Everything due by `now`: first transmissions and retransmissions (channels out of budget
  // give up instead).
  std::vector<NotifyTransmission> due(engine::TimePoint now);

  // A reply from channel `channel`'s target with message id `id` and header rcode `rcode`.
  // Replies that match no outstanding transmission (late duplicates, strays) are ignored;
  // returns whether it matched.
  bool on_reply(std::size_t channel, std::uint16_t id, std::uint16_t rcode, engine::TimePoint now);

  // When due() next has something to do, or none when every channel is idle.
  std::optional<engine::TimePoint> next_due() const;

  const std::vector<NotifyChannel>& channels() const { return channels_; }
  // Whether a NOTIFY is outstanding on `channel` (tests and the sender's log).
  bool outstanding(std::size_t channel) const { return state_.at(channel).sent.size() > 0; }

 private:
  struct Sent {
    std::uint16_t id = 0;
    std::uint32_t serial = 0;
  };
  // A channel's state. Idle: nothing wanted and nothing sent. A new serial makes it wanted;
  // `sent` holds the recent transmissions since the channel was last idle (their ids, so a late
  // reply to an earlier one still counts), `attempts` the transmissions of the wanted serial so
  // far, `started` the first of them, `last_sent` the latest transmission.
  struct State {
    std::optional<std::uint32_t> wanted;   // the newest serial not yet acknowledged
    std::optional<engine::TimePoint> due;  // when to transmit (or give up) next
    std::vector<Sent> sent;
    int attempts = 0;
    engine::TimePoint started{};
    engine::TimePoint last_sent{};
  };
  static constexpr std::size_t kRemembered = 16;  // ids kept for matching late replies

  engine::Duration timeout_after(int attempts) const;
  void event(std::size_t channel, NotifyEvent e, std::uint32_t serial);

  std::vector<NotifyChannel> channels_;
  std::vector<State> state_;
  NotifyRetryPolicy policy_;
  IdFn next_id_;
  EventFn on_event_;
};

}  // namespace net
