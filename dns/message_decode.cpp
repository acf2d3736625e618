// decode_message: wire octets -> dns::Message, rejecting anything malformed with FormatError.
#include <fmt/format.h>

#include "dns/error.h"
#include "dns/message.h"
#include "dns/rdata.h"
#include "dns/wire.h"

namespace dns {

namespace {

enum Section { kAnswer = 0, kAuthority = 1, kAdditional = 2 };
constexpr const char* kSectionNames[] = {"answer", "authority", "additional"};
constexpr const char* kOwnerWhat[] = {"answer owner name", "authority owner name",
                                      "additional owner name"};

// Smallest possible encodings, used to cap reservations driven by untrusted counts.
constexpr size_t kMinQuestionSize = 5;
constexpr size_t kMinRecordSize = 11;

Name read_name(wire::Reader& r, const char* what) {
  std::string out;
  size_t end = wire::read_compressed_name(r.data(), r.position(), r.data().size(), out, what);
  r.seek(end);
  return Name::from_validated_wire(std::move(out));
}

// rdata of a type with embedded names: decompress each name, copy fixed fields, and require the
// content to end exactly at rdlength.
std::vector<uint8_t> decompress_rdata(const wire::RdataLayout& layout, uint16_t type,
                                      std::span<const uint8_t> packet, size_t start,
                                      size_t rdlength) {
  std::vector<uint8_t> out;
  out.reserve(rdlength + 32);
  size_t end = start + rdlength;
  size_t pos = start;
  for (uint8_t f = 0; f < layout.field_count; ++f) {
    const auto& field = layout.fields[f];
    if (field.is_name) {
      pos = wire::read_compressed_name(packet, pos, end, out, "name in rdata");
    } else {
      if (end - pos < field.fixed_size) {
        throw FormatError(fmt::format("{} rdata of {} octets is too short for its fields",
                                      type_to_text(type), rdlength));
      }
      out.insert(out.end(), packet.data() + pos, packet.data() + pos + field.fixed_size);
      pos += field.fixed_size;
    }
  }
  if (pos != end) {
    throw FormatError(fmt::format("{} rdata length {} leaves {} unused octets", type_to_text(type),
                                  rdlength, end - pos));
  }
  return out;
}

void check_edns_options(std::span<const uint8_t> options) {
  size_t pos = 0;
  while (pos < options.size()) {
    if (options.size() - pos < 4) throw FormatError("truncated EDNS option header in OPT rdata");
    size_t len = size_t{options[pos + 2]} << 8 | options[pos + 3];
    if (options.size() - pos - 4 < len) {
      throw FormatError(
          fmt::format("EDNS option of {} octets runs past the end of OPT rdata", len));
    }
    pos += 4 + len;
  }
}

void read_records(wire::Reader& r, Section section, uint16_t count, Message& m) {
  std::vector<Record>& out = section == kAnswer      ? m.answer
                             : section == kAuthority ? m.authority
                                                     : m.additional;
  out.reserve(std::min<size_t>(count, r.remaining() / kMinRecordSize));
  for (uint16_t i = 0; i < count; ++i) {
    if (r.remaining() == 0) {
      throw FormatError(
          fmt::format("message ends after {} of {} {} records", i, count, kSectionNames[section]));
    }
    Name owner = read_name(r, kOwnerWhat[section]);
    uint16_t type = r.u16("record type");
    uint16_t rclass = r.u16("record class");
    uint32_t ttl = r.u32("record TTL");
    uint16_t rdlength = r.u16("rdata length");
    size_t start = r.position();
    std::span<const uint8_t> raw = r.bytes(rdlength, "rdata");

    if (type == type::OPT) {
      if (section != kAdditional) {
        throw FormatError(fmt::format("OPT record in the {} section", kSectionNames[section]));
      }
      if (!owner.is_root()) {
        throw FormatError(
            fmt::format("OPT record owner is {}, expected the root", owner.to_text()));
      }
      if (m.edns) throw FormatError("more than one OPT record");
      check_edns_options(raw);
      Edns edns;
      edns.udp_size = rclass;
      edns.version = static_cast<uint8_t>(ttl >> 16);
      edns.dnssec_ok = (ttl & 0x8000) != 0;
      edns.options.assign(raw.begin(), raw.end());
      m.header.rcode = static_cast<uint16_t>((ttl >> 24) << 4 | (m.header.rcode & 0xf));
      m.edns = std::move(edns);
      continue;
    }

    Record rec{std::move(owner), type, rclass, ttl, {}};
    // Classes ANY and NONE with no rdata are UPDATE's "any value" (RFC 2136 §2.4, §2.5).
    if (rdlength == 0 && (rclass == rclass::ANY || rclass == rclass::NONE)) {
      out.push_back(std::move(rec));
      continue;
    }
    if (const wire::RdataLayout* layout = wire::name_layout(type)) {
      rec.rdata = decompress_rdata(*layout, type, r.data(), start, rdlength);
    } else {
      validate_rdata(type, raw);
      rec.rdata.assign(raw.begin(), raw.end());
    }
    out.push_back(std::move(rec));
  }
}

}  // namespace

Message decode_message(std::span<const uint8_t> data) {
  if (data.size() < kHeaderSize) {
    throw FormatError(
        fmt::format("message of {} octets is shorter than the 12-octet header", data.size()));
  }
  wire::Reader r(data);
  Message m;
  m.header.id = r.u16("id");
  uint16_t flags = r.u16("flags");
  m.header.qr = flags & 0x8000;
  m.header.opcode = static_cast<uint8_t>((flags >> 11) & 0xf);
  m.header.aa = flags & 0x0400;
  m.header.tc = flags & 0x0200;
  m.header.rd = flags & 0x0100;
  m.header.ra = flags & 0x0080;
  m.header.ad = flags & 0x0020;
  m.header.cd = flags & 0x0010;
  m.header.rcode = flags & 0xf;
  uint16_t qdcount = r.u16("QDCOUNT");
  uint16_t ancount = r.u16("ANCOUNT");
  uint16_t nscount = r.u16("NSCOUNT");
  uint16_t arcount = r.u16("ARCOUNT");

  m.questions.reserve(std::min<size_t>(qdcount, r.remaining() / kMinQuestionSize));
  for (uint16_t i = 0; i < qdcount; ++i) {
    if (r.remaining() == 0) {
      throw FormatError(fmt::format("message ends after {} of {} questions", i, qdcount));
    }
    Name name = read_name(r, "question name");
    uint16_t qtype = r.u16("question type");
    uint16_t qclass = r.u16("question class");
    m.questions.push_back(Question{std::move(name), qtype, qclass});
  }
  read_records(r, kAnswer, ancount, m);
  read_records(r, kAuthority, nscount, m);
  read_records(r, kAdditional, arcount, m);
  if (r.remaining() != 0) {
    throw FormatError(fmt::format("{} trailing octets after the last record", r.remaining()));
  }
  return m;
}

}  // namespace dns
