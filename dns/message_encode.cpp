// encode_message: dns::Message -> wire octets, with name compression and RRset-wise truncation.
#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>

#include "dns/error.h"
#include "dns/message.h"
#include "dns/wire.h"

namespace dns {

namespace {

constexpr size_t kMaxMessageSize = 65535;
constexpr size_t kMaxPointerOffset = 0x3fff;

// Remembers where name suffixes were written so later names can point at them. A fixed array
// (no allocation): once full, further names are simply written uncompressed.
class CompressionTable {
 public:
  size_t size() const { return size_; }
  void truncate(size_t n) { size_ = n; }

  // Output offset of a suffix equal (case-insensitively) to `suffix`, or 0 if none.
  uint16_t find(std::string_view suffix) const {
    for (size_t i = 0; i < size_; ++i) {
      const Entry& e = entries_[i];
      if (e.length == suffix.size() && equal_nocase(e.data, suffix.data(), suffix.size())) {
        return e.offset;
      }
    }
    return 0;
  }
  void add(size_t offset, std::string_view suffix) {
    if (size_ < entries_.size() && offset <= kMaxPointerOffset) {
      entries_[size_++] =
          Entry{suffix.data(), static_cast<uint16_t>(offset), static_cast<uint8_t>(suffix.size())};
    }
  }

 private:
  static bool equal_nocase(const char* a, const char* b, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (a[i] != b[i] &&
          ascii_lower(static_cast<uint8_t>(a[i])) != ascii_lower(static_cast<uint8_t>(b[i]))) {
        return false;
      }
    }
    return true;
  }
  struct Entry {
    const char* data;  // points into a Name owned by the Message being encoded
    uint16_t offset;
    uint8_t length;
  };
  std::array<Entry, 192> entries_;
  size_t size_ = 0;
};

// Writes an uncompressed wire name (a suffix view into a Name's wire()), compressing it against
// the table if `compress`, and registering its suffixes for later names either way.
void write_name(wire::Writer& w, CompressionTable& table, std::string_view name, bool compress) {
  std::array<uint16_t, 128> label_offsets;  // where each written label landed
  std::array<uint8_t, 128> label_starts;    // its position within `name`
  size_t written = 0;
  size_t pos = 0;
  bool pointed = false;
  while (static_cast<uint8_t>(name[pos]) != 0) {
    if (compress) {
      if (uint16_t target = table.find(name.substr(pos))) {
        w.u16(static_cast<uint16_t>(0xc000 | target));
        pointed = true;
        break;
      }
    }
    label_offsets[written] = static_cast<uint16_t>(std::min(w.position(), kMaxMessageSize));
    label_starts[written] = static_cast<uint8_t>(pos);
    ++written;
    size_t len = 1 + static_cast<uint8_t>(name[pos]);
    w.bytes(name.data() + pos, len);
    pos += len;
  }
  if (!pointed) w.u8(0);
  if (w.overflow()) return;
  for (size_t i = 0; i < written; ++i) table.add(label_offsets[i], name.substr(label_starts[i]));
}

std::string_view wire_view(const Name& n) {
  return n.wire();
}

void write_rdata(wire::Writer& w, CompressionTable& table, const Record& rec) {
  std::span<const uint8_t> rdata = rec.rdata;
  const wire::RdataLayout* layout = wire::name_layout(rec.type);
  if (layout) {
    // Locate the fields first; rdata that does not match its layout is written verbatim.
    std::array<size_t, 3> sizes{};
    size_t pos = 0;
    bool ok = true;
    for (uint8_t f = 0; f < layout->field_count && ok; ++f) {
      const auto& field = layout->fields[f];
      size_t len = field.is_name ? wire::uncompressed_name_length(rdata.subspan(pos))
                                 : (rdata.size() - pos >= field.fixed_size ? field.fixed_size : 0);
      ok = len != 0;
      sizes[f] = len;
      pos += len;
    }
    if (ok && pos == rdata.size()) {
      pos = 0;
      for (uint8_t f = 0; f < layout->field_count; ++f) {
        const char* start = reinterpret_cast<const char*>(rdata.data() + pos);
        if (layout->fields[f].is_name) {
          write_name(w, table, std::string_view(start, sizes[f]), layout->compress_on_encode);
        } else {
          w.bytes(start, sizes[f]);
        }
        pos += sizes[f];
      }
      return;
    }
  }
  w.bytes(rdata.data(), rdata.size());
}

void write_record(wire::Writer& w, CompressionTable& table, const Record& rec) {
  write_name(w, table, wire_view(rec.owner), true);
  w.u16(rec.type);
  w.u16(rec.rclass);
  w.u32(rec.ttl);
  size_t length_at = w.position();
  w.u16(0);
  write_rdata(w, table, rec);
  if (w.overflow()) return;
  size_t rdlength = w.position() - length_at - 2;
  w.put_u16_at(length_at, static_cast<uint16_t>(rdlength));
}

bool same_rrset(const Record& a, const Record& b) {
  return a.type == b.type && a.rclass == b.rclass && a.owner == b.owner;
}

size_t opt_size(const Message& m) {
  return m.edns ? 11 + m.edns->options.size() : 0;
}

// Upper bound of the encoded size without compression, to size the vector variant's buffer.
size_t uncompressed_size(const Message& m) {
  size_t n = kHeaderSize + opt_size(m);
  for (const auto& q : m.questions) n += q.name.wire_length() + 4;
  for (const auto* section : {&m.answer, &m.authority, &m.additional}) {
    for (const auto& r : *section) n += r.owner.wire_length() + 10 + r.rdata.size();
  }
  return n;
}

}  // namespace

size_t encode_message(const Message& m, std::span<uint8_t> out) {
  size_t capacity = std::min(out.size(), kMaxMessageSize);
  wire::Writer w(out.first(capacity));
  CompressionTable table;

  for (int i = 0; i < 12; ++i) w.u8(0);  // header, filled in at the end
  for (const auto& q : m.questions) {
    write_name(w, table, wire_view(q.name), true);
    w.u16(q.qtype);
    w.u16(q.qclass);
  }
  size_t reserve_for_opt = opt_size(m);
  if (w.overflow() || w.position() + reserve_for_opt > capacity) {
    throw FormatError(
        fmt::format("a buffer of {} octets cannot hold the header, question and OPT "
                    "record",
                    capacity));
  }
  w.set_capacity(capacity - reserve_for_opt);

  std::array<uint16_t, 3> counts{};
  bool set_tc = false;
  const std::vector<Record>* sections[] = {&m.answer, &m.authority, &m.additional};
  bool full = false;
  for (int s = 0; s < 3 && !full; ++s) {
    const std::vector<Record>& records = *sections[s];
    for (size_t i = 0; i < records.size();) {
      size_t j = i + 1;
      while (j < records.size() && same_rrset(records[i], records[j])) ++j;
      size_t mark = w.position();
      size_t table_mark = table.size();
      for (size_t k = i; k < j && !w.overflow(); ++k) write_record(w, table, records[k]);
      if (w.overflow() || counts[s] + (j - i) > 0xffff) {
        // Drop this RRset and everything after it. Dropping additional data is routine
        // (RFC 2181 §9); losing answer or authority data means the client must retry over TCP.
        w.rewind(mark);
        table.truncate(table_mark);
        full = true;
        set_tc = s < 2;
        break;
      }
      counts[s] = static_cast<uint16_t>(counts[s] + (j - i));
      i = j;
    }
  }
  w.set_capacity(capacity);

  uint16_t arcount = counts[2];
  if (m.edns) {
    const Edns& e = *m.edns;
    w.u8(0);  // root owner
    w.u16(type::OPT);
    w.u16(e.udp_size);
    w.u32(uint32_t{static_cast<uint8_t>(m.header.rcode >> 4)} << 24 | uint32_t{e.version} << 16 |
          (e.dnssec_ok ? 0x8000u : 0u));
    w.u16(static_cast<uint16_t>(e.options.size()));
    w.bytes(e.options.data(), e.options.size());
    ++arcount;
  }

  const Header& h = m.header;
  uint16_t flags = static_cast<uint16_t>(
      (h.qr ? 0x8000 : 0) | (h.opcode & 0xf) << 11 | (h.aa ? 0x0400 : 0) |
      (h.tc || set_tc ? 0x0200 : 0) | (h.rd ? 0x0100 : 0) | (h.ra ? 0x0080 : 0) |
      (h.ad ? 0x0020 : 0) | (h.cd ? 0x0010 : 0) | (h.rcode & 0xf));
  w.put_u16_at(0, h.id);
  w.put_u16_at(2, flags);
  w.put_u16_at(4, static_cast<uint16_t>(m.questions.size()));
  w.put_u16_at(6, counts[0]);
  w.put_u16_at(8, counts[1]);
  w.put_u16_at(10, arcount);
  return w.position();
}

std::vector<uint8_t> encode_message(const Message& m, size_t max_size) {
  std::vector<uint8_t> out(std::min({max_size, kMaxMessageSize, uncompressed_size(m)}));
  out.resize(encode_message(m, std::span<uint8_t>(out)));
  return out;
}

}  // namespace dns
