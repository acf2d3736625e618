#pragma once
// DNS messages: header, question, sections, EDNS0; decoding from and encoding to wire form.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dns/name.h"
#include "dns/record.h"
#include "dns/types.h"

namespace dns {

// The fixed 12-byte header minus the counts (which come from the sections).
struct Header {
  uint16_t id = 0;
  bool qr = false, aa = false, tc = false, rd = false, ra = false, ad = false, cd = false;
  uint8_t opcode = 0;
  uint16_t rcode = 0;  // 12-bit; the upper 8 bits travel in the OPT record
  bool operator==(const Header&) const = default;
};

struct Question {
  Name name;
  uint16_t qtype = 0;
  uint16_t qclass = rclass::IN;
  bool operator==(const Question&) const = default;
};

// EDNS0 (RFC 6891) parameters carried by the OPT pseudo-record.
struct Edns {
  uint16_t udp_size = 1232;
  uint8_t version = 0;
  bool dnssec_ok = false;
  std::vector<uint8_t> options;  // raw option TLVs
  bool operator==(const Edns&) const = default;
};

// A whole DNS message. The OPT record is not in `additional`; it is `edns`.
struct Message {
  Header header;
  std::vector<Question> questions;
  std::vector<Record> answer, authority, additional;
  std::optional<Edns> edns;
  bool operator==(const Message&) const = default;
};

constexpr size_t kHeaderSize = 12;

// Wire -> Message. Throws FormatError: bounds checked, compression pointers must point strictly
// backwards, counts must match the content, at most one OPT (in additional, root owner),
// trailing garbage rejected, rdata of known types decompressed and validated.
Message decode_message(std::span<const uint8_t> wire);

// Message -> wire with name compression (owner names and the RFC 1035 compressible rdata names:
// NS, CNAME, SOA, PTR, MX; never SRV or unknown types). If the result would exceed max_size,
// whole RRsets are dropped from the end (additional first, then authority, then answer) and TC
// is set when answer/authority data had to be dropped. The OPT record is always kept.
std::vector<uint8_t> encode_message(const Message& message, size_t max_size = 65535);
// Allocation-light variant for the hot path: writes into `out` (max size = out.size()), returns
// the number of bytes written. Throws FormatError if even header+question+OPT do not fit.
size_t encode_message(const Message& message, std::span<uint8_t> out);

}  // namespace dns
