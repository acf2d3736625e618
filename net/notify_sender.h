#pragma once
// NOTIFY (RFC 1996) out of a node: watches the served SOA serial of every zone that has `notify`
// targets in the cluster config and tells each target of every change, over UDP, retried and
// coalesced by a NotifySchedule. Runs on the engine's thread (its io_context and Clock).

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "dns/tsig.h"
#include "dns/zone_db.h"
#include "engine/io.h"
#include "net/metrics_cluster.h"
#include "net/notify_schedule.h"
#include "net/zone_policy_config.h"

namespace net {

// The NOTIFY for `zone` announcing `soa` (its SOA record, as RFC 1996 §3.7 allows as a hint):
// opcode NOTIFY, AA, one question (zone, SOA, IN). Wire form.
std::vector<std::uint8_t> notify_message(std::uint16_t id, const dns::Name& zone,
                                         const dns::Record& soa);

// The same, TSIG-signed with `key` at `unix_now` (seconds since the epoch); `mac` receives the
// request MAC the signed reply must cover.
std::vector<std::uint8_t> signed_notify_message(std::uint16_t id, const dns::Name& zone,
                                                const dns::Record& soa, const dns::tsig::Key& key,
                                                std::uint64_t unix_now,
                                                std::vector<std::uint8_t>& mac);

// What a reply to a NOTIFY says, or none when `wire` is not a NOTIFY response (too short, QR
// clear, another opcode, undecodable).
struct NotifyReply {
  std::uint16_t id = 0;
  std::uint16_t rcode = 0;
  std::optional<dns::Name> zone;  // the question's name, when the reply echoes it
};
std::optional<NotifyReply> parse_notify_reply(std::span<const std::uint8_t> wire);

// The zone's SOA record in `version` (apex, SOA, IN, its TTL and rdata), or none when the zone
// is not served or has no SOA.
std::optional<dns::Record> served_soa(const dns::DatabaseVersion& version, const dns::Name& zone);

class NotifySender {
 public:
  // `policy`'s zones with notify targets are watched in `db`; a zone with notify_key has its
  // NOTIFYs signed, and takes a NOERROR reply only when it is signed with that key. NOTIFYs leave
  // from `source` (the node's DNS address, port chosen by the OS; an unspecified or other-family
  // address lets the OS choose), so secondaries that allow NOTIFY from the primary's address accept
  // them. `metrics` (may be null) counts sends and outcomes. The references must outlive the
  // sender.
  NotifySender(boost::asio::io_context& io, engine::Clock& clock, engine::Random& random,
               const dns::Database& db, const ZonePolicyConfig& policy,
               const boost::asio::ip::address& source, NotifyRetryPolicy retry = {},
               ClusterMetrics* metrics = nullptr);
  ~NotifySender();
  NotifySender(const NotifySender&) = delete;
  NotifySender& operator=(const NotifySender&) = delete;

  // Opens the sockets and announces the serials served now (a restarted node tells its
  // secondaries; a secondary already current only checks the SOA). Throws net::Error when a
  // socket cannot be opened.
  void start();
  // The serving database changed (an applied batch, an installed datastore copy): compare the
  // watched serials once the current burst of engine work is done (one check per burst).
  void serving_changed();
  void stop();

  // Whether any zone has notify targets (no targets: start() opens nothing).
  bool active() const { return !schedule_.channels().empty(); }

 private:
  struct Socket {
    std::unique_ptr<boost::asio::ip::udp::socket> socket;
    boost::asio::ip::udp::endpoint from;
    std::array<std::uint8_t, 512> buffer{};
  };

  void check_serials();
  void pump();
  void send(const NotifyTransmission& t);
  void receive(Socket& s);
  void on_datagram(const boost::asio::ip::udp::endpoint& from, std::span<const std::uint8_t> wire);
  // Whether a reply may count for `channel`: always for an unsigned zone; for a signed one, an
  // error rcode, or a NOERROR carrying a valid MAC of the zone's key over the request's.
  bool signed_reply_ok(std::size_t channel, const NotifyReply& reply,
                       std::span<const std::uint8_t> wire) const;
  void on_event(const NotifyChannel& channel, NotifyEvent event, std::uint32_t serial);
  Socket& socket_for(const boost::asio::ip::address& target);

  boost::asio::io_context& io_;
  engine::Clock& clock_;
  engine::Random& random_;
  const dns::Database& db_;
  boost::asio::ip::address source_;
  ClusterMetrics* metrics_;
  NotifySchedule schedule_;
  std::vector<dns::Name> zones_;                      // watched: those with targets
  std::map<dns::Name, std::uint32_t> served_serial_;  // last serial seen served per zone
  std::map<dns::Name, dns::Record> soa_;              // the SOA announced per zone
  std::map<dns::Name, const dns::tsig::Key*> keys_;   // notify_key per zone (in the policy)
  // Signed NOTIFYs outstanding: (channel, id) -> the request MAC their reply must cover.
  std::map<std::pair<std::size_t, std::uint16_t>, std::vector<std::uint8_t>> macs_;
  Socket v4_, v6_;
  std::optional<engine::Clock::TimerId> timer_;
  std::optional<engine::TimePoint> timer_at_;
  bool check_posted_ = false;
  bool started_ = false;
  bool stopped_ = false;
  // Tells handlers still queued in the io_context that the sender is gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace net
