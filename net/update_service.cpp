#include "net/update_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "dns/error.h"
#include "dns/message.h"
#include "dns/tsig.h"
#include "dns/types.h"
#include "dns/update.h"
#include "net/request_tsig.h"

namespace net {
namespace {

// The answer to an UPDATE: header, the zone section echoed (when it was readable), no records.
std::vector<std::uint8_t> answer(std::uint16_t id, const std::optional<dns::Question>& zone,
                                 std::uint16_t rcode) {
  dns::Message m;
  m.header.id = id;
  m.header.qr = true;
  m.header.opcode = dns::opcode::UPDATE;
  m.header.rcode = rcode;
  if (zone) m.questions.push_back(*zone);
  return dns::encode_message(m);
}

std::uint16_t read_id(std::span<const std::uint8_t> q) {
  return static_cast<std::uint16_t>(q[0] << 8 | q[1]);
}

}  // namespace

UpdateService::UpdateService(std::shared_ptr<const ZonePolicyConfig> policy,
                             boost::asio::io_context& engine_io, engine::Node& node,
                             ClusterMetrics* metrics)
    : policy_(std::move(policy)), engine_io_(engine_io), node_(node), metrics_(metrics) {}

void UpdateService::handle(std::span<const std::uint8_t> query, QueryHandler::Reply reply) {
  if (query.size() < dns::kHeaderSize) return;
  const std::uint16_t id = read_id(query);
  RequestTsig signing;
  std::optional<dns::Question> zone;
  auto refuse = [&](std::uint16_t rcode, const std::string& why) {
    spdlog::debug("update {:04x}: {} ({})", id, dns::update::rcode_text(rcode), why);
    if (metrics_) metrics_->on_update_answered(rcode);
    std::vector<std::uint8_t> out = answer(id, zone, rcode);
    signing.sign(out);
    reply(std::move(out));
  };

  dns::Message message;
  std::optional<dns::tsig::Located> tsig;
  try {
    tsig = dns::tsig::find(query);
    message = dns::decode_message(query);
  } catch (const dns::Error& e) {
    return refuse(dns::rcode::FORMERR, e.what());
  }
  if (message.questions.size() == 1) zone = message.questions.front();
  if (tsig) {
    message.additional.pop_back();  // the TSIG record, last (tsig::find checked)
    signing = RequestTsig::check(query, tsig, *policy_);
    if (signing.formerr) return refuse(dns::rcode::FORMERR, "TSIG MAC of an impossible length");
    if (signing.error != 0)
      return refuse(
          dns::update::rcode::NOTAUTH,
          fmt::format("TSIG error {} for key {}", signing.error, tsig->record.key_name.to_text()));
  }
  dns::update::Parsed parsed = dns::update::parse(message);
  if (parsed.rcode != dns::rcode::NOERROR) return refuse(parsed.rcode, parsed.error);
  const ZonePolicy* policy = policy_->zone(parsed.request.zone);
  if (policy == nullptr || policy->allow_update.empty())
    return refuse(dns::rcode::REFUSED,
                  fmt::format("zone {} allows no UPDATE", parsed.request.zone.to_text()));
  if (signing.key == nullptr || !policy->may_update(signing.key->name))
    return refuse(dns::rcode::REFUSED,
                  fmt::format("zone {}: UPDATE needs a TSIG key of its allow_update",
                              parsed.request.zone.to_text()));

  ++submitted_;
  boost::asio::post(engine_io_, [this, id, zone, signing, reply = std::move(reply),
                                 request = std::move(parsed.request)]() mutable {
    node_.submit_update(std::move(request), [this, id, zone, signing, reply = std::move(reply)](
                                                const engine::WriteResult& r) {
      // Only a committed and applied UPDATE has an rcode of its own; anything else (no
      // quorum in time, a disk fault, stopping) is SERVFAIL: nothing was applied here.
      const std::uint16_t rcode =
          r.kind == engine::WriteResult::Ok ? r.rcode : dns::rcode::SERVFAIL;
      spdlog::debug("update {:04x}: {} ({})", id, dns::update::rcode_text(rcode), r.message);
      if (metrics_) metrics_->on_update_answered(rcode);
      std::vector<std::uint8_t> out = answer(id, zone, rcode);
      signing.sign(out);
      reply(std::move(out));
    });
  });
}

}  // namespace net
