#pragma once
// Zone transfers out of a cluster node: AXFR (RFC 5936) over TCP and IXFR (RFC 1995) from the
// node's journal of committed diffs (the SOA alone for a current client, TC=1 over UDP for an
// older one, the whole zone when the journal does not reach back), for the
// zones whose `allow_transfer` (net/zone_policy_config.h) admits the client by address prefix
// or TSIG key, every message TSIG-signed when the request was (RFC 8945 §5.3.1).

#include <cstdint>
#include <memory>
#include <span>

#include "dns/zone_db.h"
#include "dns/zone_journal.h"
#include "net/zone_policy_config.h"
#include "net/zone_query_handler.h"

namespace net {

// Opens transfer answers on any DNS worker thread; each reads one consistent database version.
class TransferService final : public TransferSink {
 public:
  // `journal` (may be null: every IXFR of an older serial gets the whole zone) holds the
  // committed diffs IXFR answers from.
  TransferService(std::shared_ptr<const ZonePolicyConfig> policy, const dns::Database& db,
                  const dns::ZoneJournal* journal = nullptr);

  // The answer to an AXFR or IXFR request from `client`: a stream of messages, or one message
  // with the refusal (FORMERR for a malformed request, NOTAUTH with the TSIG error for a bad
  // signature, REFUSED for a zone not listed or a client it does not admit, NOTAUTH for a zone
  // not served here).
  std::unique_ptr<dns::MessageStream> open(std::span<const std::uint8_t> query, bool tcp,
                                           const boost::asio::ip::address& client) override;

  // Transfers answered since start (tests).
  std::uint64_t opened() const { return opened_.load(); }

 private:
  std::shared_ptr<const ZonePolicyConfig> policy_;
  const dns::Database& db_;
  const dns::ZoneJournal* journal_;
  std::atomic<std::uint64_t> opened_{0};
};

}  // namespace net
