#pragma once
// The QueryHandler that answers from the zone database.

#include "dns/answer.h"
#include "dns/message.h"
#include "dns/response_writer.h"
#include "dns/types.h"
#include "dns/zone_db.h"
#include "net/query_handler.h"
#include "net/signed_query_service.h"

namespace net {

// Where a ZoneQueryHandler sends the DNS UPDATE requests it defers (net/update_service.h).
class UpdateSink {
 public:
  virtual ~UpdateSink() = default;
  // Called on a DNS worker thread; `reply` exactly once, from any thread.
  virtual void handle(std::span<const std::uint8_t> query, QueryHandler::Reply reply) = 0;
};

// Where a ZoneQueryHandler sends zone transfer requests (net/transfer_service.h).
class TransferSink {
 public:
  virtual ~TransferSink() = default;
  // Called on a DNS worker thread; never null.
  virtual std::unique_ptr<dns::MessageStream> open(std::span<const std::uint8_t> query, bool tcp,
                                                   const boost::asio::ip::address& client) = 0;
};

// Answers authoritatively from a dns::Database. One per worker thread: it caches the current
// database version and refreshes it only when a newer one is published, so queries never touch
// a shared reference count and a reload never blocks them. With `updates` (cluster mode), an
// UPDATE, which the answer logic gives NOTIMP, is deferred to it instead; with `transfers`, an
// AXFR over TCP or an IXFR, which it refuses, is streamed from there; with `signed_queries`, a
// QUERY carrying a TSIG record is answered signed from there. A QUERY pays one well-predicted
// branch for each (and a look at its additional record's type when it has one).
class ZoneQueryHandler : public QueryHandler {
 public:
  explicit ZoneQueryHandler(const dns::Database& db, UpdateSink* updates = nullptr,
                            TransferSink* transfers = nullptr,
                            const SignedQueryService* signed_queries = nullptr)
      : reader_(db), updates_(updates), transfers_(transfers), signed_queries_(signed_queries) {}
  std::size_t handle(std::span<const std::uint8_t> query, std::span<std::uint8_t> out,
                     bool tcp) override {
    const std::size_t n =
        dns::answer_query(reader_.get(), query, out, dns::AnswerOptions{.tcp = tcp});
    if (n < 4) return n;
    const unsigned rcode = out[3] & 0x0f;
    if (updates_ != nullptr && rcode == dns::rcode::NOTIMP &&
        ((query[2] >> 3) & 0x0f) == dns::opcode::UPDATE)
      return kDeferred;
    if (transfers_ != nullptr && rcode == dns::rcode::REFUSED && is_transfer(out.first(n), tcp))
      return kStream;
    if (signed_queries_ != nullptr && (query[10] != 0 || query[11] != 0) &&
        ((query[2] >> 3) & 0x0f) == dns::opcode::QUERY)
      if (std::optional<std::size_t> m = signed_queries_->answer(reader_.get(), query, out, tcp))
        return *m;
    return n;
  }
  void handle_deferred(std::span<const std::uint8_t> query, bool /*tcp*/, Reply reply) override {
    if (updates_ != nullptr) updates_->handle(query, std::move(reply));
  }
  std::unique_ptr<dns::MessageStream> open_stream(std::span<const std::uint8_t> query, bool tcp,
                                                  const boost::asio::ip::address& client) override {
    return transfers_ != nullptr ? transfers_->open(query, tcp, client) : nullptr;
  }

 private:
  // True when the (refused) answer's question asks for a transfer we serve: IXFR (UDP or TCP)
  // or AXFR over TCP (AXFR over UDP stays REFUSED: RFC 5936 §4.2 defines it for TCP only).
  static bool is_transfer(std::span<const std::uint8_t> answer, bool tcp) {
    if (answer.size() < dns::kHeaderSize || answer[4] != 0 || answer[5] != 1) return false;
    const std::size_t len = dns::wire_name_length(answer.subspan(dns::kHeaderSize));
    if (len == 0 || dns::kHeaderSize + len + 2 > answer.size()) return false;
    const std::size_t at = dns::kHeaderSize + len;
    const std::uint16_t qtype = static_cast<std::uint16_t>(answer[at] << 8 | answer[at + 1]);
    return qtype == dns::type::IXFR || (tcp && qtype == dns::type::AXFR);
  }

  dns::DatabaseReader reader_;
  UpdateSink* updates_;
  TransferSink* transfers_;
  const SignedQueryService* signed_queries_;
};

}  // namespace net
