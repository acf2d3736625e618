#pragma once
// The QueryHandler that answers from the zone database.

#include "dns/answer.h"
#include "dns/zone_db.h"
#include "net/query_handler.h"

namespace net {

// Answers authoritatively from a dns::Database. One per worker thread: it caches the current
// database version and refreshes it only when a newer one is published, so queries never touch
// a shared reference count and a reload never blocks them.
class ZoneQueryHandler : public QueryHandler {
 public:
  explicit ZoneQueryHandler(const dns::Database& db) : reader_(db) {}
  std::size_t handle(std::span<const std::uint8_t> query, std::span<std::uint8_t> out,
                     bool tcp) override {
    return dns::answer_query(reader_.get(), query, out, dns::AnswerOptions{.tcp = tcp});
  }

 private:
  dns::DatabaseReader reader_;
};

}  // namespace net
