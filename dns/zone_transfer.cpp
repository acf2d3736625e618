#include "dns/zone_transfer.h"

#include <algorithm>

#include "dns/error.h"
#include "dns/message.h"
#include "dns/types.h"

namespace dns {

namespace {

using Bytes = std::span<const uint8_t>;

Bytes bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

constexpr uint8_t kQr = 0x80, kAa = 0x04, kTc = 0x02;

// Walks a zone's records: SOA, then every RRset of every name (the apex first) but the SOA,
// then the SOA again.
class AxfrStream final : public MessageStream {
 public:
  AxfrStream(std::shared_ptr<const DatabaseVersion> version, const Zone& zone,
             TransferHeader header, size_t limit)
      : version_(std::move(version)), packer_(std::move(header), limit) {
    const ZoneNode* apex = zone.apex_node();
    soa_ = zone.soa();
    if (apex == nullptr || soa_ == nullptr || soa_->rdatas.empty())
      throw Error("zone transfer of a zone without SOA");
    apex_owner_ = bytes_of(apex->owner_wire());
    nodes_.reserve(zone.name_count());
    nodes_.push_back(apex);
    zone.for_each_node([&](const ZoneNode& n) {
      if (&n != apex && n.has_data()) nodes_.push_back(&n);
    });
  }

  bool next(std::vector<uint8_t>& message) override {
    if (done_) return false;
    for (;;) {
      Bytes owner, rdata;
      uint16_t rrtype = 0;
      uint32_t ttl = 0;
      if (!current(owner, rrtype, ttl, rdata)) {
        done_ = true;
        message = packer_.take();
        return true;
      }
      if (!packer_.add(owner, rrtype, ttl, rdata)) {
        message = packer_.take();
        return true;
      }
      advance();
    }
  }

 private:
  enum class Phase { FirstSoa, Body, LastSoa, Done };

  // The record at the cursor; false at the end.
  bool current(Bytes& owner, uint16_t& rrtype, uint32_t& ttl, Bytes& rdata) {
    if (phase_ == Phase::FirstSoa || phase_ == Phase::LastSoa) {
      owner = apex_owner_;
      rrtype = type::SOA;
      ttl = soa_->ttl;
      rdata = soa_->rdatas.front();
      return true;
    }
    if (phase_ == Phase::Done) return false;
    skip_soa_and_empty();
    if (phase_ != Phase::Body) return current(owner, rrtype, ttl, rdata);
    const ZoneNode& node = *nodes_[node_];
    const RRset& set = node.rrsets[set_];
    owner = bytes_of(node.owner_wire());
    rrtype = set.type;
    ttl = set.ttl;
    if (it_set_ != &set || it_index_ > rdata_) {
      it_ = set.rdatas.begin();
      it_index_ = 0;
      it_set_ = &set;
    }
    for (; it_index_ < rdata_; ++it_index_) ++it_;
    rdata = *it_;
    return true;
  }

  // Moves the body cursor past the apex SOA and past the end of each RRset and node.
  void skip_soa_and_empty() {
    while (node_ < nodes_.size()) {
      const ZoneNode& node = *nodes_[node_];
      if (set_ < node.rrsets.size() && node_ == 0 && node.rrsets[set_].type == type::SOA) {
        ++set_;
        continue;
      }
      if (set_ < node.rrsets.size() && rdata_ < node.rrsets[set_].rdatas.size()) return;
      if (set_ < node.rrsets.size()) {
        ++set_;
        rdata_ = 0;
        continue;
      }
      ++node_;
      set_ = rdata_ = 0;
    }
    phase_ = Phase::LastSoa;
  }

  void advance() {
    switch (phase_) {
      case Phase::FirstSoa:
        phase_ = Phase::Body;
        break;
      case Phase::Body:
        ++rdata_;
        break;
      case Phase::LastSoa:
        phase_ = Phase::Done;
        break;
      case Phase::Done:
        break;
    }
  }

  std::shared_ptr<const DatabaseVersion> version_;
  TransferPacker packer_;
  const RRset* soa_ = nullptr;
  Bytes apex_owner_;
  std::vector<const ZoneNode*> nodes_;
  Phase phase_ = Phase::FirstSoa;
  size_t node_ = 0, set_ = 0, rdata_ = 0;
  // Where in the current RRset's rdatas the cursor is (walking a list is sequential).
  const RRset* it_set_ = nullptr;
  RdataList::const_iterator it_;
  size_t it_index_ = 0;
  bool done_ = false;
};

// A fixed list of records.
class RecordStream final : public MessageStream {
 public:
  RecordStream(std::vector<Record> records, TransferHeader header, size_t limit)
      : records_(std::move(records)), packer_(std::move(header), limit) {}

  bool next(std::vector<uint8_t>& message) override {
    if (done_) return false;
    while (next_ < records_.size()) {
      const Record& r = records_[next_];
      if (!packer_.add(bytes_of(r.owner.wire()), r.type, r.ttl, r.rdata)) {
        message = packer_.take();
        return true;
      }
      ++next_;
    }
    done_ = true;
    message = packer_.take();
    return true;
  }

 private:
  std::vector<Record> records_;
  TransferPacker packer_;
  size_t next_ = 0;
  bool done_ = false;
};

}  // namespace

TransferPacker::TransferPacker(TransferHeader header, size_t limit)
    : header_(std::move(header)), limit_(std::min(limit, kMaxTcpMessage)) {
  start();
}

void TransferPacker::start() {
  buffer_.assign(limit_, 0);
  writer_ = std::make_unique<ResponseWriter>(buffer_, limit_, 0);
  qd_ = 0;
  count_ = 0;
  if (first_ && writer_->question(bytes_of(header_.qname), header_.qtype, header_.qclass)) qd_ = 1;
}

bool TransferPacker::add(std::span<const uint8_t> owner, uint16_t rrtype, uint32_t ttl,
                         std::span<const uint8_t> rdata) {
  if (writer_->record(owner, rrtype, ttl, rdata)) {
    ++count_;
    return true;
  }
  if (count_ == 0) throw Error("zone transfer: a record does not fit into one message");
  return false;
}

std::vector<uint8_t> TransferPacker::take() {
  const size_t size = writer_->finish(header_.id, kQr | kAa, rcode::NOERROR, qd_, 0, 0, 0);
  // ANCOUNT is written here: finish() takes 16-bit counts and a message holds fewer records.
  buffer_[6] = static_cast<uint8_t>(count_ >> 8);
  buffer_[7] = static_cast<uint8_t>(count_ & 0xff);
  std::vector<uint8_t> message(buffer_.begin(), buffer_.begin() + static_cast<ptrdiff_t>(size));
  first_ = false;
  start();
  return message;
}

std::unique_ptr<MessageStream> axfr_stream(std::shared_ptr<const DatabaseVersion> version,
                                           const Zone& zone, TransferHeader header, size_t limit) {
  return std::make_unique<AxfrStream>(std::move(version), zone, std::move(header), limit);
}

std::unique_ptr<MessageStream> record_stream(std::vector<Record> records, TransferHeader header,
                                             size_t limit) {
  return std::make_unique<RecordStream>(std::move(records), std::move(header), limit);
}

std::vector<uint8_t> transfer_error(const TransferHeader& header, uint16_t rc, bool truncated) {
  std::vector<uint8_t> buffer(kHeaderSize + header.qname.size() + 4);
  ResponseWriter w(buffer, buffer.size(), 0);
  const uint16_t qd = w.question(bytes_of(header.qname), header.qtype, header.qclass) ? 1 : 0;
  const uint8_t hi = kQr | (rc == rcode::NOERROR ? kAa : 0) | (truncated ? kTc : 0);
  const size_t size = w.finish(header.id, hi, static_cast<uint8_t>(rc & 0x0f), qd, 0, 0, 0);
  buffer.resize(size);
  return buffer;
}

}  // namespace dns
