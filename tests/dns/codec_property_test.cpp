// Properties of the codec over random inputs: round trips of names and messages, and decoding
// random or mutated bytes never crashes (it returns a message or throws FormatError).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "dns/error.h"
#include "dns/message.h"
#include "dns/rdata.h"

namespace dns {
namespace {

rc::Gen<std::string> gen_label() {
  return rc::gen::mapcat(rc::gen::inRange<size_t>(1, 64), [](size_t len) {
    return rc::gen::container<std::string>(
        len, rc::gen::weightedOneOf<char>({{6, rc::gen::elementOf(std::string("abcXYZ019-_*"))},
                                           {1, rc::gen::arbitrary<char>()}}));
  });
}

rc::Gen<Name> gen_name() {
  return rc::gen::map(rc::gen::container<std::vector<std::string>>(gen_label()),
                      [](const std::vector<std::string>& labels) {
                        std::string wire;
                        for (const auto& l : labels) {
                          if (wire.size() + 1 + l.size() + 1 > Name::kMaxWireLength) break;
                          wire.push_back(static_cast<char>(l.size()));
                          wire += l;
                        }
                        wire.push_back('\0');
                        return Name::from_wire(std::span<const uint8_t>(
                            reinterpret_cast<const uint8_t*>(wire.data()), wire.size()));
                      });
}

std::vector<uint8_t> random_bytes(size_t n) {
  return *rc::gen::container<std::vector<uint8_t>>(n, rc::gen::arbitrary<uint8_t>());
}

void append(std::vector<uint8_t>& out, const Name& n) {
  out.insert(out.end(), n.wire().begin(), n.wire().end());
}

// Valid rdata of a randomly chosen supported type (or an unknown one).
std::pair<uint16_t, std::vector<uint8_t>> random_rdata() {
  uint16_t type = *rc::gen::elementOf(
      std::vector<uint16_t>{type::A, type::AAAA, type::NS, type::CNAME, type::PTR, type::MX,
                            type::SOA, type::SRV, type::TXT, type::CAA, 65280, 999});
  std::vector<uint8_t> rdata;
  switch (type) {
    case type::A:
      rdata = random_bytes(4);
      break;
    case type::AAAA:
      rdata = random_bytes(16);
      break;
    case type::NS:
    case type::CNAME:
    case type::PTR:
      append(rdata, *gen_name());
      break;
    case type::MX:
      rdata = random_bytes(2);
      append(rdata, *gen_name());
      break;
    case type::SRV:
      rdata = random_bytes(6);
      append(rdata, *gen_name());
      break;
    case type::SOA: {
      append(rdata, *gen_name());
      append(rdata, *gen_name());
      auto timers = random_bytes(20);
      rdata.insert(rdata.end(), timers.begin(), timers.end());
      break;
    }
    case type::TXT: {
      size_t strings = *rc::gen::inRange<size_t>(1, 4);
      for (size_t i = 0; i < strings; ++i) {
        size_t len = *rc::gen::inRange<size_t>(0, 256);
        rdata.push_back(static_cast<uint8_t>(len));
        auto s = random_bytes(len);
        rdata.insert(rdata.end(), s.begin(), s.end());
      }
      break;
    }
    case type::CAA: {
      rdata.push_back(*rc::gen::arbitrary<uint8_t>());
      std::string tag = *rc::gen::element<std::string>("issue", "issuewild", "iodef", "X1");
      rdata.push_back(static_cast<uint8_t>(tag.size()));
      rdata.insert(rdata.end(), tag.begin(), tag.end());
      auto value = random_bytes(*rc::gen::inRange<size_t>(0, 40));
      rdata.insert(rdata.end(), value.begin(), value.end());
      break;
    }
    default:
      rdata = random_bytes(*rc::gen::inRange<size_t>(0, 40));
      break;
  }
  return {type, rdata};
}

std::vector<Record> random_section() {
  std::vector<Record> out;
  size_t n = *rc::gen::inRange<size_t>(0, 5);
  for (size_t i = 0; i < n; ++i) {
    auto [type, rdata] = random_rdata();
    out.push_back(Record{*gen_name(), type,
                         *rc::gen::elementOf(std::vector<uint16_t>{rclass::IN, rclass::CH}),
                         *rc::gen::arbitrary<uint32_t>(), std::move(rdata)});
  }
  return out;
}

rc::Gen<Message> gen_message() {
  return rc::gen::exec([] {
    Message m;
    Header& h = m.header;
    h.id = *rc::gen::arbitrary<uint16_t>();
    h.qr = *rc::gen::arbitrary<bool>();
    h.aa = *rc::gen::arbitrary<bool>();
    h.tc = *rc::gen::arbitrary<bool>();
    h.rd = *rc::gen::arbitrary<bool>();
    h.ra = *rc::gen::arbitrary<bool>();
    h.ad = *rc::gen::arbitrary<bool>();
    h.cd = *rc::gen::arbitrary<bool>();
    h.opcode = *rc::gen::inRange<uint8_t>(0, 16);
    size_t questions = *rc::gen::inRange<size_t>(0, 3);
    for (size_t i = 0; i < questions; ++i) {
      m.questions.push_back(
          Question{*gen_name(), *rc::gen::arbitrary<uint16_t>(), *rc::gen::arbitrary<uint16_t>()});
    }
    m.answer = random_section();
    m.authority = random_section();
    m.additional = random_section();
    if (*rc::gen::arbitrary<bool>()) {
      Edns e;
      e.udp_size = *rc::gen::arbitrary<uint16_t>();
      e.version = *rc::gen::arbitrary<uint8_t>();
      e.dnssec_ok = *rc::gen::arbitrary<bool>();
      size_t options = *rc::gen::inRange<size_t>(0, 3);
      for (size_t i = 0; i < options; ++i) {
        auto data = random_bytes(*rc::gen::inRange<size_t>(0, 20));
        e.options.insert(e.options.end(),
                         {0, static_cast<uint8_t>(i + 8), 0, static_cast<uint8_t>(data.size())});
        e.options.insert(e.options.end(), data.begin(), data.end());
      }
      m.edns = std::move(e);
      h.rcode = *rc::gen::inRange<uint16_t>(0, 4096);
    } else {
      h.rcode = *rc::gen::inRange<uint16_t>(0, 16);
    }
    return m;
  });
}

// Decodes; on success re-encodes and requires the same message back. Anything but FormatError
// escaping (or a crash) fails the property.
void decode_never_crashes(const std::vector<uint8_t>& wire) {
  Message m;
  try {
    m = decode_message(wire);
  } catch (const FormatError&) {
    return;
  }
  RC_ASSERT(decode_message(encode_message(m)) == m);
}

RC_GTEST_PROP(CodecProperty, NameTextRoundTrip, ()) {
  Name n = *gen_name();
  Name back = Name::from_text(n.to_text());
  RC_ASSERT(back.wire() == n.wire());  // byte-exact, case preserved
  RC_ASSERT(Name::from_wire(std::span<const uint8_t>(
                                reinterpret_cast<const uint8_t*>(n.wire().data()), n.wire().size()))
                .wire() == n.wire());
}

RC_GTEST_PROP(CodecProperty, NameOrderIsConsistentWithEquality, ()) {
  Name a = *gen_name();
  Name b = *rc::gen::oneOf(rc::gen::just(a.lowercased()), gen_name());
  std::strong_ordering ab = a <=> b, ba = b <=> a;
  bool equal_by_order = ab == std::strong_ordering::equal;
  bool antisymmetric = (ab < 0) == (ba > 0);
  RC_ASSERT(equal_by_order == (a == b));
  RC_ASSERT(antisymmetric);
  if (a == b) RC_ASSERT(a.hash() == b.hash());
}

RC_GTEST_PROP(CodecProperty, RdataTextRoundTrip, ()) {
  auto [type, rdata] = random_rdata();
  std::string text = rdata_to_text(type, rdata);
  // Split the presentation form the way a master-file tokenizer would.
  std::vector<TextToken> fields;
  for (size_t i = 0; i < text.size();) {
    if (text[i] == ' ') {
      ++i;
    } else if (text[i] == '"') {
      size_t j = i + 1;
      while (text[j] != '"') j += text[j] == '\\' ? 2 : 1;
      fields.push_back(TextToken{text.substr(i + 1, j - i - 1), true});
      i = j + 1;
    } else {
      size_t j = i;
      while (j < text.size() && text[j] != ' ') j += text[j] == '\\' ? 2 : 1;
      fields.push_back(TextToken{text.substr(i, j - i), false});
      i = j;
    }
  }
  RC_ASSERT(rdata_from_text(type, fields, Name()) == rdata);
}

RC_GTEST_PROP(CodecProperty, MessageEncodeDecodeRoundTrip, ()) {
  Message m = *gen_message();
  auto wire = encode_message(m);
  RC_ASSERT(decode_message(wire) == m);
}

// Each property case below decodes several inputs: a decode takes microseconds, and thousands of
// inputs per run find more than rapidcheck's default hundred.
constexpr int kInputsPerCase = 20;

RC_GTEST_PROP(CodecProperty, RandomBytesNeverCrashDecoder, ()) {
  for (int i = 0; i < kInputsPerCase; ++i) {
    decode_never_crashes(*rc::gen::container<std::vector<uint8_t>>(rc::gen::arbitrary<uint8_t>()));
  }
}

RC_GTEST_PROP(CodecProperty, RandomHeaderThenBytesNeverCrashDecoder, ()) {
  // Small counts make random bodies get further into the decoder than fully random headers.
  for (int n = 0; n < kInputsPerCase; ++n) {
    std::vector<uint8_t> wire = random_bytes(4);
    for (int i = 0; i < 4; ++i) {
      wire.push_back(0);
      wire.push_back(*rc::gen::inRange<uint8_t>(0, 3));
    }
    auto body = *rc::gen::container<std::vector<uint8_t>>(rc::gen::arbitrary<uint8_t>());
    wire.insert(wire.end(), body.begin(), body.end());
    decode_never_crashes(wire);
  }
}

RC_GTEST_PROP(CodecProperty, MutatedValidPacketsNeverCrashDecoder, ()) {
  const auto valid = encode_message(*gen_message());
  for (int n = 0; n < kInputsPerCase; ++n) {
    auto wire = valid;
    size_t mutations = *rc::gen::inRange<size_t>(1, 6);
    for (size_t i = 0; i < mutations && !wire.empty(); ++i) {
      size_t at = *rc::gen::inRange<size_t>(0, wire.size());
      switch (*rc::gen::inRange(0, 5)) {
        case 0:
          wire[at] = *rc::gen::arbitrary<uint8_t>();
          break;
        case 1:
          wire[at] ^= static_cast<uint8_t>(1u << *rc::gen::inRange(0, 8));
          break;
        case 2:
          wire.insert(wire.begin() + at, *rc::gen::arbitrary<uint8_t>());
          break;
        case 3:
          wire.erase(wire.begin() + at);
          break;
        default:
          wire.resize(at);
          break;
      }
    }
    decode_never_crashes(wire);
  }
}

}  // namespace
}  // namespace dns
