#pragma once
// The QueryHandler that answers from the zone database.

#include "dns/answer.h"
#include "dns/types.h"
#include "dns/zone_db.h"
#include "net/query_handler.h"

namespace net {

// Where a ZoneQueryHandler sends the DNS UPDATE requests it defers (net/update_service.h).
class UpdateSink {
 public:
  virtual ~UpdateSink() = default;
  // Called on a DNS worker thread; `reply` exactly once, from any thread.
  virtual void handle(std::span<const std::uint8_t> query, QueryHandler::Reply reply) = 0;
};

// Answers authoritatively from a dns::Database. One per worker thread: it caches the current
// database version and refreshes it only when a newer one is published, so queries never touch
// a shared reference count and a reload never blocks them. With `updates` (cluster mode), an
// UPDATE, which the answer logic gives NOTIMP, is deferred to it instead: a QUERY pays one
// well-predicted branch.
class ZoneQueryHandler : public QueryHandler {
 public:
  explicit ZoneQueryHandler(const dns::Database& db, UpdateSink* updates = nullptr)
      : reader_(db), updates_(updates) {}
  std::size_t handle(std::span<const std::uint8_t> query, std::span<std::uint8_t> out,
                     bool tcp) override {
    const std::size_t n =
        dns::answer_query(reader_.get(), query, out, dns::AnswerOptions{.tcp = tcp});
    if (updates_ != nullptr && n >= 4 && (out[3] & 0x0f) == dns::rcode::NOTIMP &&
        ((query[2] >> 3) & 0x0f) == dns::opcode::UPDATE)
      return kDeferred;
    return n;
  }
  void handle_deferred(std::span<const std::uint8_t> query, bool /*tcp*/, Reply reply) override {
    if (updates_ != nullptr) updates_->handle(query, std::move(reply));
  }

 private:
  dns::DatabaseReader reader_;
  UpdateSink* updates_;
};

}  // namespace net
