#include "net/update_service.h"

#include <ctime>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "dns/error.h"
#include "dns/message.h"
#include "dns/tsig.h"
#include "dns/types.h"
#include "dns/update.h"

namespace net {
namespace {

std::uint64_t now_seconds() {
  return static_cast<std::uint64_t>(std::time(nullptr));
}

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

// Signs `message` when the request was signed with a known key (the answer to a request with a
// bad MAC or an unknown key carries an unsigned TSIG with the error instead).
struct Signing {
  const dns::tsig::Key* key = nullptr;
  std::optional<dns::tsig::Record> request;
  std::uint16_t error = 0;

  void apply(std::vector<std::uint8_t>& message) const {
    if (!request) return;
    const std::uint64_t now = now_seconds();
    if (key == nullptr || error == dns::tsig::error::BADSIG || error == dns::tsig::error::BADKEY) {
      dns::tsig::append_unsigned(message, *request, now, error);
      return;
    }
    dns::tsig::Signer signer(*key, request->mac, request->fudge);
    if (error == dns::tsig::error::BADTIME) {
      // RFC 8945 §5.2.3: our time in Other Data, so the client can see the skew.
      std::vector<std::uint8_t> other(6);
      for (int i = 0; i < 6; ++i) other[i] = static_cast<std::uint8_t>(now >> (8 * (5 - i)));
      signer.sign(message, now, error, other);
      return;
    }
    signer.sign(message, now, error);
  }
};

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
  Signing signing;
  std::optional<dns::Question> zone;
  auto refuse = [&](std::uint16_t rcode, const std::string& why) {
    spdlog::debug("update {:04x}: {} ({})", id, dns::update::rcode_text(rcode), why);
    if (metrics_) metrics_->on_update_answered(rcode);
    std::vector<std::uint8_t> out = answer(id, zone, rcode);
    signing.apply(out);
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
    signing.request = tsig->record;
    const dns::tsig::Verified v = dns::tsig::verify_request(
        query, *tsig, [this](const dns::Name& n) { return policy_->key(n); }, now_seconds());
    signing.key = v.key;
    signing.error = v.error;
    if (v.formerr) {
      signing.request.reset();
      return refuse(dns::rcode::FORMERR, "TSIG MAC of an impossible length");
    }
    if (v.error != 0)
      return refuse(dns::update::rcode::NOTAUTH, fmt::format("TSIG error {} for key {}", v.error,
                                                             tsig->record.key_name.to_text()));
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
      signing.apply(out);
      reply(std::move(out));
    });
  });
}

}  // namespace net
