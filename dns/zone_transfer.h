#pragma once
// The answer messages of a zone transfer: AXFR (RFC 5936) from one immutable database version,
// and any fixed record sequence (an IXFR answer, RFC 1995), packed into as many messages as it
// takes, each within a size limit and with name compression. Pure: the caller decides who may
// transfer, and signs the messages (dns/tsig.h).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dns/record.h"
#include "dns/response_writer.h"
#include "dns/zone_db.h"

namespace dns {

// What each answer message repeats from the request: its id and question. Only the first
// message carries the question (RFC 5936 §2.2.1 allows the others to leave it out).
struct TransferHeader {
  uint16_t id = 0;
  std::string qname;  // uncompressed wire form, case as asked
  uint16_t qtype = 0;
  uint16_t qclass = 1;
};

// Largest DNS message over TCP.
inline constexpr size_t kMaxTcpMessage = 65535;

// Fills messages with records, in order, each message at most `limit` octets. Every record
// passed in (its owner and rdata) must stay valid until the message holding it was taken.
class TransferPacker {
 public:
  TransferPacker(TransferHeader header, size_t limit);
  // Adds one record to the current message; false when it does not fit (take() the message,
  // then add it again). Throws Error if it does not fit even into an empty message.
  bool add(std::span<const uint8_t> owner, uint16_t rrtype, uint32_t ttl,
           std::span<const uint8_t> rdata);
  bool empty() const { return count_ == 0; }
  // Completes the current message (AA=1, NOERROR) and starts the next one.
  std::vector<uint8_t> take();

 private:
  void start();

  TransferHeader header_;
  size_t limit_;
  bool first_ = true;
  std::vector<uint8_t> buffer_;
  std::unique_ptr<ResponseWriter> writer_;
  uint16_t qd_ = 0;
  size_t count_ = 0;
};

// A multi-message answer, produced one message at a time so that a large transfer never sits
// in memory whole: the connection asks for the next message when the last one is on its way.
class MessageStream {
 public:
  virtual ~MessageStream() = default;
  // The next message into `message`; false when the answer is complete.
  virtual bool next(std::vector<uint8_t>& message) = 0;
};

// The AXFR answer for `zone` of `version` (which the stream keeps alive): its SOA, every other
// record at or below the apex (delegations and glue included, child zones not), the SOA again.
// Messages are at most `limit` octets (kMaxTcpMessage minus room for a TSIG record).
std::unique_ptr<MessageStream> axfr_stream(std::shared_ptr<const DatabaseVersion> version,
                                           const Zone& zone, TransferHeader header, size_t limit);

// An answer of exactly these records in order (an IXFR's, or a lone SOA), in as many messages
// as they need.
std::unique_ptr<MessageStream> record_stream(std::vector<Record> records, TransferHeader header,
                                             size_t limit);

// One message with only the header and question: an error rcode (REFUSED, NOTAUTH, FORMERR,
// NOTIMP), or TC=1 for an IXFR over UDP that needs TCP. AA is set only for NOERROR.
std::vector<uint8_t> transfer_error(const TransferHeader& header, uint16_t rcode,
                                    bool truncated = false);

}  // namespace dns
