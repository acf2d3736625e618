#include "dns/response_writer.h"

#include <algorithm>
#include <cstring>

#include "dns/name.h"
#include "dns/types.h"

namespace dns {

namespace {

bool equal_ignoring_case(const uint8_t* a, const uint8_t* b, size_t n) {
  if (std::memcmp(a, b, n) == 0) return true;
  for (size_t i = 0; i < n; ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

}  // namespace

size_t wire_name_length(std::span<const uint8_t> wire) {
  size_t pos = 0;
  while (pos < wire.size() && pos < Name::kMaxWireLength) {
    const uint8_t len = wire[pos];
    if (len == 0) return pos + 1;
    if (len > Name::kMaxLabelLength) return 0;
    pos += 1 + len;
  }
  return 0;
}

ResponseWriter::ResponseWriter(std::span<uint8_t> out, size_t limit, size_t reserve) : out_(out) {
  hard_end_ = std::min(limit, out.size());
  end_ = hard_end_ >= reserve ? hard_end_ - reserve : 0;
  if (end_ < 12) end_ = hard_end_ = 12 <= out.size() ? 12 : 0;
}

bool ResponseWriter::put(std::span<const uint8_t> bytes) {
  if (!room(bytes.size())) return false;
  std::memcpy(out_.data() + pos_, bytes.data(), bytes.size());
  pos_ += bytes.size();
  return true;
}

bool ResponseWriter::put16(uint16_t v) {
  if (!room(2)) return false;
  out_[pos_] = v >> 8;
  out_[pos_ + 1] = v & 0xff;
  pos_ += 2;
  return true;
}

bool ResponseWriter::put32(uint32_t v) {
  if (!room(4)) return false;
  out_[pos_] = v >> 24;
  out_[pos_ + 1] = (v >> 16) & 0xff;
  out_[pos_ + 2] = (v >> 8) & 0xff;
  out_[pos_ + 3] = v & 0xff;
  pos_ += 4;
  return true;
}

// Writes `wire` compressed against the names already in the message (RFC 1035 §4.1.4).
bool ResponseWriter::name(std::span<const uint8_t> wire) {
  const size_t length = wire.size();
  size_t prefix = 0;  // bytes of leading labels written literally
  int pointer = -1;
  while (prefix < length && wire[prefix] != 0) {
    const uint8_t* suffix = wire.data() + prefix;
    const size_t suffix_len = length - prefix;
    for (size_t i = 0; i < known_count_ && pointer < 0; ++i)
      if (known_[i].length == suffix_len && equal_ignoring_case(known_[i].name, suffix, suffix_len))
        pointer = known_[i].offset;
    if (pointer >= 0) break;
    prefix += 1 + wire[prefix];
  }
  const size_t needed = prefix + (pointer >= 0 ? 2 : 1);
  if (!room(needed)) return false;
  for (size_t p = 0; p < prefix; p += 1 + wire[p]) {
    if (known_count_ < kMaxKnown && pos_ + p < 0x4000)
      known_[known_count_++] = Known{wire.data() + p, static_cast<uint16_t>(length - p),
                                     static_cast<uint16_t>(pos_ + p)};
  }
  std::memcpy(out_.data() + pos_, wire.data(), prefix);
  pos_ += prefix;
  if (pointer >= 0) return put16(0xC000 | pointer);
  out_[pos_++] = 0;
  return true;
}

bool ResponseWriter::question(std::span<const uint8_t> qname, uint16_t qtype, uint16_t qclass) {
  const size_t start = pos_;
  if (name(qname) && put16(qtype) && put16(qclass)) return true;
  rewind(start);
  return false;
}

// RDATA with the RFC 1035 compressible names (NS, CNAME, PTR, MX, SOA) compressed; all other
// types are copied as they are (RFC 3597 §4 forbids compressing newer types).
bool ResponseWriter::rdata(uint16_t rrtype, std::span<const uint8_t> rd) {
  size_t fixed = 0;  // octets before the first name
  int names = 0;
  switch (rrtype) {
    case type::NS:
    case type::CNAME:
    case type::PTR:
      names = 1;
      break;
    case type::MX:
      fixed = 2;
      names = 1;
      break;
    case type::SOA:
      names = 2;
      break;
    default:
      return put(rd);
  }
  if (rd.size() < fixed || !put(rd.first(fixed))) return false;
  size_t pos = fixed;
  for (int i = 0; i < names; ++i) {
    const size_t len = wire_name_length(rd.subspan(pos));
    if (len == 0) return put(rd.subspan(pos));  // not well formed: copy verbatim
    if (!name(rd.subspan(pos, len))) return false;
    pos += len;
  }
  return put(rd.subspan(pos));
}

bool ResponseWriter::record(std::span<const uint8_t> owner, uint16_t rrtype, uint32_t ttl,
                            std::span<const uint8_t> rd) {
  const size_t start = pos_;
  if (!name(owner) || !put16(rrtype) || !put16(rclass::IN) || !put32(ttl) || !put16(0)) {
    rewind(start);
    return false;
  }
  const size_t rdata_start = pos_;
  if (!rdata(rrtype, rd)) {
    rewind(start);
    return false;
  }
  const size_t rdlength = pos_ - rdata_start;
  out_[rdata_start - 2] = rdlength >> 8;
  out_[rdata_start - 1] = rdlength & 0xff;
  return true;
}

bool ResponseWriter::rrset(std::span<const uint8_t> owner, const RRset& set, uint32_t ttl) {
  const size_t start = pos_;
  for (const auto& rd : set.rdatas) {
    if (!record(owner, set.type, ttl, rd)) {
      rewind(start);
      return false;
    }
  }
  return true;
}

bool ResponseWriter::opt(uint16_t udp_size, uint8_t extended_rcode, bool dnssec_ok) {
  end_ = hard_end_;
  const uint8_t rr[11] = {0,
                          0,
                          type::OPT,
                          static_cast<uint8_t>(udp_size >> 8),
                          static_cast<uint8_t>(udp_size & 0xff),
                          extended_rcode,
                          0,  // version
                          static_cast<uint8_t>(dnssec_ok ? 0x80 : 0),
                          0,
                          0,
                          0};
  return put(rr);
}

void ResponseWriter::rewind(size_t pos) {
  pos_ = pos;
  while (known_count_ > 0 && known_[known_count_ - 1].offset >= pos) --known_count_;
}

size_t ResponseWriter::finish(uint16_t id, uint8_t flags_hi, uint8_t flags_lo, uint16_t qd,
                              uint16_t an, uint16_t ns, uint16_t ar) {
  const uint8_t header[12] = {static_cast<uint8_t>(id >> 8),
                              static_cast<uint8_t>(id & 0xff),
                              flags_hi,
                              flags_lo,
                              static_cast<uint8_t>(qd >> 8),
                              static_cast<uint8_t>(qd),
                              static_cast<uint8_t>(an >> 8),
                              static_cast<uint8_t>(an),
                              static_cast<uint8_t>(ns >> 8),
                              static_cast<uint8_t>(ns),
                              static_cast<uint8_t>(ar >> 8),
                              static_cast<uint8_t>(ar)};
  std::memcpy(out_.data(), header, 12);
  return pos_;
}

}  // namespace dns
