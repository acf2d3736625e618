#include "net/transfer_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "dns/error.h"
#include "dns/message.h"
#include "dns/tsig.h"
#include "dns/types.h"
#include "dns/zone.h"
#include "dns/zone_transfer.h"
#include "net/request_tsig.h"

namespace net {
namespace {

// Room left in every message for the TSIG record (names of at most 255 octets each, a MAC of
// at most 64, the fixed fields and six octets of other data).
constexpr std::size_t kTsigRoom = 1024;

// Signs each message of the inner stream in turn (RFC 8945 §5.3.1: the first covers the
// request's MAC, each later one the previous MAC).
class SignedStream final : public dns::MessageStream {
 public:
  SignedStream(std::unique_ptr<dns::MessageStream> inner, dns::tsig::Signer signer)
      : inner_(std::move(inner)), signer_(std::move(signer)) {}
  bool next(std::vector<std::uint8_t>& message) override {
    if (!inner_->next(message)) return false;
    signer_.sign(message, tsig_now());
    return true;
  }

 private:
  std::unique_ptr<dns::MessageStream> inner_;
  dns::tsig::Signer signer_;
};

// A one-message answer, already complete (and signed if it must be).
class SingleMessage final : public dns::MessageStream {
 public:
  explicit SingleMessage(std::vector<std::uint8_t> message) : message_(std::move(message)) {}
  bool next(std::vector<std::uint8_t>& message) override {
    if (sent_) return false;
    sent_ = true;
    message = std::move(message_);
    return true;
  }

 private:
  std::vector<std::uint8_t> message_;
  bool sent_ = false;
};

bool admitted(const ZonePolicy& policy, const RequestTsig& tsig,
              const boost::asio::ip::address& client) {
  if (tsig.signed_ok())
    for (const dns::Name& k : policy.transfer_keys)
      if (k == tsig.key->name) return true;
  for (const AddressPrefix& prefix : policy.transfer_from)
    if (prefix.contains(client)) return true;
  return false;
}

// The serial a client named in an IXFR request: the SOA in its authority section.
std::optional<std::uint32_t> client_serial(const dns::Message& m) {
  if (m.authority.size() != 1 || m.authority.front().type != dns::type::SOA) return std::nullopt;
  const auto& rd = m.authority.front().rdata;
  if (rd.size() < 20) return std::nullopt;
  return dns::soa_serial(rd);
}

// RFC 1982: true when serial a is newer than b.
bool serial_newer(std::uint32_t a, std::uint32_t b) {
  return a != b && static_cast<std::uint32_t>(a - b) < 0x80000000u;
}

}  // namespace

TransferService::TransferService(std::shared_ptr<const ZonePolicyConfig> policy,
                                 const dns::Database& db, const dns::ZoneJournal* journal)
    : policy_(std::move(policy)), db_(db), journal_(journal) {}

std::unique_ptr<dns::MessageStream> TransferService::open(std::span<const std::uint8_t> query,
                                                          bool tcp,
                                                          const boost::asio::ip::address& client) {
  ++opened_;
  dns::TransferHeader header;
  if (query.size() >= dns::kHeaderSize)
    header.id = static_cast<std::uint16_t>(query[0] << 8 | query[1]);
  RequestTsig tsig;
  auto refuse = [&](std::uint16_t rcode, const std::string& why) {
    spdlog::debug("transfer {:04x} from {}: rcode {} ({})", header.id, client.to_string(), rcode,
                  why);
    std::vector<std::uint8_t> out = dns::transfer_error(header, rcode);
    tsig.sign(out);
    return std::make_unique<SingleMessage>(std::move(out));
  };

  dns::Message message;
  std::optional<dns::tsig::Located> located;
  try {
    located = dns::tsig::find(query);
    message = dns::decode_message(query);
  } catch (const dns::Error& e) {
    return refuse(dns::rcode::FORMERR, e.what());
  }
  if (message.questions.size() != 1) return refuse(dns::rcode::FORMERR, "not one question");
  const dns::Question& question = message.questions.front();
  header.qname = question.name.wire();
  header.qtype = question.qtype;
  header.qclass = question.qclass;
  if (located) {
    message.additional.pop_back();  // the TSIG record, last (tsig::find checked)
    tsig = RequestTsig::check(query, located, *policy_);
    if (tsig.formerr) return refuse(dns::rcode::FORMERR, "TSIG MAC of an impossible length");
    if (tsig.error != 0)
      return refuse(dns::tsig::kNotAuth, fmt::format("TSIG error {} for key {}", tsig.error,
                                                     located->record.key_name.to_text()));
  }
  const ZonePolicy* policy = policy_->zone(question.name);
  if (policy == nullptr)
    return refuse(dns::rcode::REFUSED,
                  fmt::format("zone {} allows no transfer", question.name.to_text()));
  if (!admitted(*policy, tsig, client))
    return refuse(dns::rcode::REFUSED,
                  fmt::format("zone {}: client {} is not in its allow_transfer",
                              question.name.to_text(), client.to_string()));

  std::shared_ptr<const dns::DatabaseVersion> version = db_.current();
  const dns::Zone* zone = version->find_zone(dns::name_key(question.name));
  if (zone == nullptr || zone->apex_key() != dns::name_key(question.name) || zone->soa() == nullptr)
    return refuse(dns::tsig::kNotAuth,
                  fmt::format("zone {} is not served here", question.name.to_text()));
  const dns::RRset& soa = *zone->soa();
  const std::uint32_t serial = dns::soa_serial(soa.rdatas.front());

  std::unique_ptr<dns::MessageStream> stream;
  const std::size_t limit = dns::kMaxTcpMessage - (tsig.signed_ok() ? kTsigRoom : 0);
  if (question.qtype == dns::type::IXFR) {
    const std::optional<std::uint32_t> from = client_serial(message);
    if (!from) return refuse(dns::rcode::FORMERR, "IXFR without the client's SOA");
    dns::Record current{
        zone->apex_node()->owner(), dns::type::SOA, dns::rclass::IN, soa.ttl,
        std::vector<std::uint8_t>(soa.rdatas.front().begin(), soa.rdatas.front().end())};
    if (*from == serial || serial_newer(*from, serial)) {
      // RFC 1995 §2: a client as new as we are gets our SOA alone.
      stream = dns::record_stream({std::move(current)}, header, limit);
    } else if (!tcp) {
      // Older: the difference goes over TCP; TC=1 makes the client retry there.
      std::vector<std::uint8_t> out = dns::transfer_error(header, dns::rcode::NOERROR, true);
      tsig.sign(out);
      return std::make_unique<SingleMessage>(std::move(out));
    } else if (journal_ != nullptr) {
      if (auto diffs = journal_->between(question.name, *from, serial)) {
        spdlog::debug("transfer {:04x} from {}: IXFR of {} from serial {} to {} ({} diffs)",
                      header.id, client.to_string(), question.name.to_text(), *from, serial,
                      diffs->size());
        stream = dns::record_stream(dns::ixfr_records(*diffs, current), header, limit);
      }
    }
  }
  if (!stream) {
    // AXFR, or an IXFR the journal cannot answer: the whole zone (RFC 1995 §4 allows it).
    spdlog::debug("transfer {:04x} from {}: {} of {} serial {}", header.id, client.to_string(),
                  question.qtype == dns::type::AXFR ? "AXFR" : "IXFR as AXFR",
                  question.name.to_text(), serial);
    stream = dns::axfr_stream(version, *zone, header, limit);
  }
  if (std::optional<dns::tsig::Signer> signer = tsig.signer())
    return std::make_unique<SignedStream>(std::move(stream), std::move(*signer));
  return stream;
}

}  // namespace net
