#include "net/signed_query_service.h"

#include <algorithm>
#include <vector>

#include "dns/answer.h"
#include "dns/error.h"
#include "dns/message.h"
#include "dns/response_writer.h"
#include "dns/tsig.h"
#include "dns/types.h"
#include "dns/zone_transfer.h"
#include "net/request_tsig.h"

namespace net {
namespace {

// Room the answer keeps for its TSIG record: the request's key and algorithm names, the RR's
// fixed fields (10 octets), time, fudge, MAC size, original id, error and other length (16) and a
// MAC as long as the request's (a verified request's MAC is the algorithm's whole digest). The
// answer's limit shrinks by this much, so the signed answer still fits the client's limit.
std::size_t tsig_room(const dns::tsig::Record& request) {
  return request.key_name.wire().size() + request.algorithm.wire().size() + 10 + 16 +
         request.mac.size();
}

// True when the only additional record of a query without authority records is an OPT: a plain
// EDNS query, which has no TSIG (it would have to be last, and be a second record).
bool only_opt(std::span<const std::uint8_t> query) {
  if (query[8] != 0 || query[9] != 0 || query[10] != 0 || query[11] != 1) return false;
  const std::size_t name = dns::wire_name_length(query.subspan(dns::kHeaderSize));
  const std::size_t at = dns::kHeaderSize + name + 4;  // the OPT's owner, the root
  return name != 0 && at + 3 <= query.size() && query[at] == 0 && query[at + 1] == 0 &&
         query[at + 2] == dns::type::OPT;
}

// The header of an error answer to `query`: its id and, when it starts with one well-formed
// uncompressed question (as every query does), that question.
dns::TransferHeader error_header(std::span<const std::uint8_t> query) {
  dns::TransferHeader header;
  header.id = static_cast<std::uint16_t>(query[0] << 8 | query[1]);
  const std::size_t name = dns::wire_name_length(query.subspan(dns::kHeaderSize));
  if (query[4] == 0 && query[5] == 1 && name != 0 && dns::kHeaderSize + name + 4 <= query.size()) {
    const auto q = query.subspan(dns::kHeaderSize);
    header.qname.assign(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(name));
    header.qtype = static_cast<std::uint16_t>(q[name] << 8 | q[name + 1]);
    header.qclass = static_cast<std::uint16_t>(q[name + 2] << 8 | q[name + 3]);
  }
  return header;
}

// Copies an unsigned error answer into `out`.
std::optional<std::size_t> error_answer(std::span<const std::uint8_t> query, std::uint16_t rcode,
                                        std::span<std::uint8_t> out) {
  const std::vector<std::uint8_t> message = dns::transfer_error(error_header(query), rcode);
  if (message.size() > out.size()) return 0;
  std::copy(message.begin(), message.end(), out.begin());
  return message.size();
}

}  // namespace

std::optional<std::size_t> SignedQueryService::answer(const dns::DatabaseVersion& db,
                                                      std::span<const std::uint8_t> query,
                                                      std::span<std::uint8_t> out, bool tcp) const {
  if (query.size() < dns::kHeaderSize || (query[10] == 0 && query[11] == 0) || only_opt(query))
    return std::nullopt;
  std::optional<dns::tsig::Located> located;
  try {
    located = dns::tsig::find(query);
  } catch (const dns::Error&) {
    // A TSIG that cannot be parsed or is not the last record (RFC 8945 §5.2), or records that
    // cannot be read at all: the message is corrupt, and the answer path, which reads only the
    // question and an OPT, would otherwise answer it as if it were fine.
    return error_answer(query, dns::rcode::FORMERR, out);
  }
  if (!located) return std::nullopt;
  const RequestTsig tsig = RequestTsig::check(query, located, *policy_);
  std::vector<std::uint8_t> message;
  if (tsig.formerr || tsig.error != 0) {
    message = dns::transfer_error(error_header(query),
                                  tsig.formerr ? dns::rcode::FORMERR : dns::tsig::kNotAuth);
  } else {
    const std::size_t n = dns::answer_query(
        db, query, out, dns::AnswerOptions{.tcp = tcp, .reserve = tsig_room(located->record)});
    if (n == 0) return 0;
    message.assign(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
  }
  tsig.sign(message);
  if (message.size() > out.size()) return 0;
  std::copy(message.begin(), message.end(), out.begin());
  return message.size();
}

}  // namespace net
