#include "net/notify_sender.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <chrono>

#include <boost/asio/post.hpp>

#include "dns/error.h"
#include "dns/message.h"
#include "dns/types.h"
#include "dns/zone.h"
#include "net/error.h"
#include "net/logging.h"

namespace net {
namespace {

namespace ip = boost::asio::ip;

// TSIG's time signed: the wall clock (the engine's Clock is monotonic, with no epoch).
std::uint64_t unix_now() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::vector<NotifyChannel> channels_of(const ZonePolicyConfig& policy) {
  std::vector<NotifyChannel> channels;
  for (const ZonePolicy& zone : policy.zones)
    for (const ListenAddress& target : zone.notify) channels.push_back({zone.zone, target});
  return channels;
}

const char* event_text(NotifyEvent e) {
  switch (e) {
    case NotifyEvent::Acked:
      return "acknowledged";
    case NotifyEvent::Retry:
      return "no reply yet, sent again";
    case NotifyEvent::GaveUp:
      return "no reply within the retry budget, gave up until the next change";
    case NotifyEvent::Rejected:
      return "refused by the target";
  }
  return "?";
}

}  // namespace

std::vector<std::uint8_t> notify_message(std::uint16_t id, const dns::Name& zone,
                                         const dns::Record& soa) {
  dns::Message m;
  m.header.id = id;
  m.header.opcode = dns::opcode::NOTIFY;
  m.header.aa = true;
  m.questions.push_back({zone, dns::type::SOA, dns::rclass::IN});
  m.answer.push_back(soa);
  return dns::encode_message(m, 512);
}

std::vector<std::uint8_t> signed_notify_message(std::uint16_t id, const dns::Name& zone,
                                                const dns::Record& soa, const dns::tsig::Key& key,
                                                std::uint64_t unix_now,
                                                std::vector<std::uint8_t>& mac) {
  std::vector<std::uint8_t> wire = notify_message(id, zone, soa);
  dns::tsig::Signer signer(key, {});
  signer.sign(wire, unix_now);
  mac = signer.last_mac();
  return wire;
}

std::optional<NotifyReply> parse_notify_reply(std::span<const std::uint8_t> wire) {
  if (wire.size() < dns::kHeaderSize) return std::nullopt;
  if ((wire[2] & 0x80) == 0 || ((wire[2] >> 3) & 0x0f) != dns::opcode::NOTIFY) return std::nullopt;
  NotifyReply reply;
  reply.id = static_cast<std::uint16_t>((wire[0] << 8) | wire[1]);
  reply.rcode = wire[3] & 0x0f;
  try {
    const dns::Message m = dns::decode_message(wire);
    if (!m.questions.empty()) reply.zone = m.questions.front().name;
  } catch (const std::exception&) {
    // The header is enough to match the reply; an undecodable body (a TSIG-signed error from a
    // secondary that wants a key, say) still ends the wait.
  }
  return reply;
}

std::optional<dns::Record> served_soa(const dns::DatabaseVersion& version, const dns::Name& zone) {
  const std::string key = zone.lowercased().wire();
  const dns::Zone* z = version.find_zone(key);
  if (z == nullptr || !(z->apex() == zone)) return std::nullopt;
  const dns::RRset* soa = z->soa();
  if (soa == nullptr || soa->rdatas.size() == 0) return std::nullopt;
  const auto rdata = soa->rdatas.front();
  return dns::Record{zone, dns::type::SOA, dns::rclass::IN, soa->ttl,
                     std::vector<std::uint8_t>(rdata.begin(), rdata.end())};
}

NotifySender::NotifySender(boost::asio::io_context& io, engine::Clock& clock,
                           engine::Random& random, const dns::Database& db,
                           const ZonePolicyConfig& policy, const ip::address& source,
                           NotifyRetryPolicy retry, ClusterMetrics* metrics)
    : io_(io),
      clock_(clock),
      random_(random),
      db_(db),
      source_(source),
      metrics_(metrics),
      schedule_(
          channels_of(policy), retry,
          [this] { return static_cast<std::uint16_t>(random_.next_u64()); },
          [this](const NotifyChannel& c, NotifyEvent e, std::uint32_t serial) {
            on_event(c, e, serial);
          }) {
  for (const ZonePolicy& zone : policy.zones) {
    if (zone.notify.empty()) continue;
    zones_.push_back(zone.zone);
    if (zone.notify_key) keys_[zone.zone] = policy.key(*zone.notify_key);
  }
}

NotifySender::~NotifySender() {
  stop();
  *alive_ = false;
}

NotifySender::Socket& NotifySender::socket_for(const ip::address& target) {
  Socket& s = target.is_v4() ? v4_ : v6_;
  if (s.socket) return s;
  const ip::udp protocol = target.is_v4() ? ip::udp::v4() : ip::udp::v6();
  ip::address bind_to =
      target.is_v4() ? ip::address(ip::address_v4::any()) : ip::address(ip::address_v6::any());
  if (source_.is_v4() == target.is_v4() && !source_.is_unspecified()) bind_to = source_;
  s.socket = std::make_unique<ip::udp::socket>(io_);
  boost::system::error_code ec;
  s.socket->open(protocol, ec);
  if (!ec) s.socket->bind(ip::udp::endpoint(bind_to, 0), ec);
  if (ec) {
    s.socket.reset();
    throw Error(fmt::format("notify: cannot open a UDP socket on {}: {}", bind_to.to_string(),
                            ec.message()));
  }
  receive(s);
  return s;
}

void NotifySender::start() {
  if (started_ || !active()) return;
  started_ = true;
  for (const NotifyChannel& c : schedule_.channels()) socket_for(c.target.address);
  check_serials();
}

void NotifySender::serving_changed() {
  if (!started_ || stopped_ || check_posted_) return;
  check_posted_ = true;
  boost::asio::post(io_, [this, alive = alive_] {
    if (!*alive) return;
    check_posted_ = false;
    if (!stopped_) check_serials();
  });
}

void NotifySender::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (timer_) clock_.cancel_timer(*timer_);
  timer_.reset();
  for (Socket* s : {&v4_, &v6_}) {
    if (!s->socket) continue;
    boost::system::error_code ignored;
    s->socket->close(ignored);
  }
}

void NotifySender::check_serials() {
  const auto version = db_.current();
  const engine::TimePoint now = clock_.now();
  for (const dns::Name& zone : zones_) {
    std::optional<dns::Record> soa = served_soa(*version, zone);
    if (!soa) continue;  // not served (yet): nothing to announce
    const std::uint32_t serial = dns::soa_serial(soa->rdata);
    auto it = served_serial_.find(zone);
    if (it != served_serial_.end() && it->second == serial) continue;
    served_serial_[zone] = serial;
    soa_.insert_or_assign(zone, std::move(*soa));
    schedule_.set_serial(zone, serial, now);
  }
  pump();
}

void NotifySender::pump() {
  if (stopped_) return;
  for (const NotifyTransmission& t : schedule_.due(clock_.now())) send(t);
  const std::optional<engine::TimePoint> next = schedule_.next_due();
  if (next == timer_at_) return;  // already armed for that time (or both none)
  if (timer_) clock_.cancel_timer(*timer_);
  timer_.reset();
  timer_at_ = next;
  if (!next) return;
  timer_ = clock_.start_timer(*next - clock_.now(), [this] {
    timer_.reset();
    timer_at_.reset();
    pump();
  });
}

void NotifySender::send(const NotifyTransmission& t) {
  const NotifyChannel& channel = schedule_.channels()[t.channel];
  auto soa = soa_.find(channel.zone);
  if (soa == soa_.end()) return;
  // The SOA hint carries the newest served serial; t.serial is what the schedule tracks and is
  // the same unless the zone changed since (then the hint is newer, which is what we want).
  auto wire = std::make_shared<std::vector<std::uint8_t>>();
  if (auto key = keys_.find(channel.zone); key != keys_.end() && key->second != nullptr) {
    std::vector<std::uint8_t> mac;
    *wire = signed_notify_message(t.id, channel.zone, soa->second, *key->second, unix_now(), mac);
    macs_[{t.channel, t.id}] = std::move(mac);
  } else {
    *wire = notify_message(t.id, channel.zone, soa->second);
  }
  Socket& s = socket_for(channel.target.address);
  s.socket->async_send_to(
      boost::asio::buffer(*wire), ip::udp::endpoint(channel.target.address, channel.target.port),
      [wire, target = channel.target.to_string()](const boost::system::error_code& ec,
                                                  std::size_t) {
        // A lost send is a lost datagram: the schedule retransmits.
        if (ec && ec != boost::asio::error::operation_aborted)
          component_logger("notify")->debug("send to {} failed: {}", target, ec.message());
      });
  if (metrics_) metrics_->on_notify_sent();
  component_logger("notify")->debug("NOTIFY {} serial {} to {} (attempt {}, id {})",
                                    channel.zone.to_text(), t.serial, channel.target.to_string(),
                                    t.attempt, t.id);
}

void NotifySender::receive(Socket& s) {
  s.socket->async_receive_from(
      boost::asio::buffer(s.buffer), s.from,
      [this, &s, alive = alive_](const boost::system::error_code& ec, std::size_t n) {
        if (!*alive || stopped_ || ec == boost::asio::error::operation_aborted) return;
        if (!ec) on_datagram(s.from, std::span<const std::uint8_t>(s.buffer.data(), n));
        receive(s);  // ICMP errors (connection refused) surface here too: keep listening
      });
}

void NotifySender::on_datagram(const ip::udp::endpoint& from, std::span<const std::uint8_t> wire) {
  const std::optional<NotifyReply> reply = parse_notify_reply(wire);
  if (!reply) return;
  const engine::TimePoint now = clock_.now();
  const auto& channels = schedule_.channels();
  for (std::size_t i = 0; i < channels.size(); ++i) {
    const ListenAddress& target = channels[i].target;
    if (target.address != from.address() || target.port != from.port()) continue;
    if (reply->zone && !(*reply->zone == channels[i].zone)) continue;
    if (!signed_reply_ok(i, *reply, wire)) continue;
    if (schedule_.on_reply(i, reply->id, reply->rcode, now)) break;
  }
  pump();
}

bool NotifySender::signed_reply_ok(std::size_t channel, const NotifyReply& reply,
                                   std::span<const std::uint8_t> wire) const {
  auto key = keys_.find(schedule_.channels()[channel].zone);
  if (key == keys_.end() || key->second == nullptr) return true;  // unsigned zone
  // An error (NOTAUTH: the secondary does not know our key) may come unsigned (RFC 8945 §5.3.2);
  // it ends the retries either way. A NOERROR must carry our key's MAC over our request's.
  if (reply.rcode != dns::rcode::NOERROR) return true;
  auto mac = macs_.find({channel, reply.id});
  if (mac == macs_.end()) return false;
  bool ok = false;
  try {
    ok = dns::tsig::verify_response(wire, *key->second, mac->second);
  } catch (const std::exception&) {
    ok = false;
  }
  if (!ok)
    component_logger("notify")->warn(
        "{}: ignored a NOERROR reply from {} to a signed NOTIFY: not signed with key {}",
        schedule_.channels()[channel].zone.to_text(),
        schedule_.channels()[channel].target.to_string(), key->second->name.to_text());
  return ok;
}

void NotifySender::on_event(const NotifyChannel& channel, NotifyEvent event, std::uint32_t serial) {
  if (metrics_) metrics_->on_notify(event);
  if (event != NotifyEvent::Retry) {  // the series ended: its request MACs are not needed
    const std::size_t index = static_cast<std::size_t>(&channel - schedule_.channels().data());
    std::erase_if(macs_, [index](const auto& m) { return m.first.first == index; });
  }
  auto log = component_logger("notify");
  const std::string line = fmt::format("{} serial {} to {}: {}", channel.zone.to_text(), serial,
                                       channel.target.to_string(), event_text(event));
  if (event == NotifyEvent::GaveUp || event == NotifyEvent::Rejected)
    log->warn("{}", line);
  else
    log->debug("{}", line);
}

}  // namespace net
