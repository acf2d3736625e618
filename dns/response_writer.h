#pragma once
// The wire encoder of the answer hot path: writes header, question, RRsets and OPT straight from
// zone data into a caller buffer, with name compression, never past a size limit, and without
// heap allocation. What goes in, the flags and truncation are decided by dns/answer.cpp.
#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/rrset.h"

namespace dns {

// Writes one DNS response. Names passed in (owners, question) must stay valid until the response
// is complete: the compression table points into them.
class ResponseWriter {
 public:
  // `limit` bounds the response size (and is clamped to out.size()); `reserve` bytes are kept
  // free at the end for the OPT record.
  ResponseWriter(std::span<uint8_t> out, size_t limit, size_t reserve);

  // Each returns false, writing nothing, when the item does not fit.
  bool question(std::span<const uint8_t> qname, uint16_t qtype, uint16_t qclass);
  // All records of an RRset under `owner` with `ttl`; all or nothing.
  bool rrset(std::span<const uint8_t> owner, const RRset& rrset, uint32_t ttl);
  // One record (a zone transfer may split an RRset between messages). Names inside `rdata`
  // join the compression table too, so it must also stay valid until the response is complete.
  bool record(std::span<const uint8_t> owner, uint16_t rrtype, uint32_t ttl,
              std::span<const uint8_t> rdata);
  // The OPT record (may use the reserved space).
  bool opt(uint16_t udp_size, uint8_t extended_rcode, bool dnssec_ok);

  size_t position() const { return pos_; }
  // Forgets everything written from `pos` on (for all-or-nothing sections).
  void rewind(size_t pos);
  // Fills in the 12-byte header; returns the response length.
  size_t finish(uint16_t id, uint8_t flags_hi, uint8_t flags_lo, uint16_t qd, uint16_t an,
                uint16_t ns, uint16_t ar);

 private:
  struct Known {
    const uint8_t* name;  // uncompressed wire suffix already written at `offset`
    uint16_t length;
    uint16_t offset;
  };
  static constexpr size_t kMaxKnown = 64;

  bool name(std::span<const uint8_t> wire);
  bool rdata(uint16_t type, std::span<const uint8_t> rdata);
  bool put16(uint16_t v);
  bool put32(uint32_t v);
  bool put(std::span<const uint8_t> bytes);
  bool room(size_t n) const { return pos_ <= end_ && n <= end_ - pos_; }

  std::span<uint8_t> out_;
  size_t end_;  // limit minus the OPT reserve
  size_t hard_end_;
  size_t pos_ = 12;
  Known known_[kMaxKnown];
  size_t known_count_ = 0;
};

// Length of the well-formed uncompressed name at the start of `wire`, or 0 if there is none.
size_t wire_name_length(std::span<const uint8_t> wire);

}  // namespace dns
