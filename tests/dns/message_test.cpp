// Rules of decode_message / encode_message: header, sections, compression, EDNS, truncation.
#include "dns/message.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>

#include "dns/error.h"
#include "dns/rdata.h"

namespace dns {
namespace {

// Builds packets octet by octet for the decoder tests.
struct Packet {
  std::vector<uint8_t> b;
  Packet& u8(uint8_t v) {
    b.push_back(v);
    return *this;
  }
  Packet& u16(uint16_t v) { return u8(v >> 8).u8(v & 0xff); }
  Packet& u32(uint32_t v) { return u16(v >> 16).u16(v & 0xffff); }
  Packet& raw(std::string_view s) {
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Packet& header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar) {
    return u16(id).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
  }
};

const std::string kExampleCom("\7example\3com\0", 13);

std::string error_of(const std::vector<uint8_t>& wire) {
  try {
    decode_message(wire);
  } catch (const FormatError& e) {
    return e.what();
  }
  return "no error";
}

Record rr(std::string_view owner, uint16_t type, std::initializer_list<std::string> rdata_words,
          uint32_t ttl = 300) {
  std::vector<TextToken> fields;
  for (const auto& w : rdata_words) fields.push_back(TextToken{w, type == type::TXT});
  return Record{Name::from_text(owner), type, rclass::IN, ttl,
                rdata_from_text(type, fields, Name::from_text("example.com."))};
}

Message query(std::string_view name, uint16_t qtype) {
  Message m;
  m.header.id = 0x1234;
  m.header.rd = true;
  m.questions.push_back(Question{Name::from_text(name), qtype, rclass::IN});
  return m;
}

TEST(Decode, QueryHeaderAndQuestion) {
  Packet p;
  p.header(0xbeef, 0x0120, 1, 0, 0, 0).raw(kExampleCom).u16(type::MX).u16(rclass::IN);
  Message m = decode_message(p.b);
  EXPECT_EQ(m.header.id, 0xbeef);
  EXPECT_FALSE(m.header.qr);
  EXPECT_TRUE(m.header.rd);
  EXPECT_TRUE(m.header.ad);
  EXPECT_FALSE(m.header.aa);
  EXPECT_EQ(m.header.opcode, 0);
  ASSERT_EQ(m.questions.size(), 1u);
  EXPECT_EQ(m.questions[0].name.to_text(), "example.com.");
  EXPECT_EQ(m.questions[0].qtype, type::MX);
  EXPECT_FALSE(m.edns);
}

TEST(Decode, AllHeaderFlagBits) {
  Packet p;
  // QR, opcode 5, AA, TC, RD, RA, AD, CD, rcode 3
  p.header(1, 0x8000 | 5 << 11 | 0x0400 | 0x0200 | 0x0100 | 0x0080 | 0x0020 | 0x0010 | 3, 0, 0, 0,
           0);
  Header h = decode_message(p.b).header;
  EXPECT_TRUE(h.qr && h.aa && h.tc && h.rd && h.ra && h.ad && h.cd);
  EXPECT_EQ(h.opcode, 5);
  EXPECT_EQ(h.rcode, 3);
}

TEST(Decode, ShortHeaderRejected) {
  EXPECT_NE(error_of({0, 1, 2}).find("shorter than the 12-octet header"), std::string::npos);
}

TEST(Decode, CompressedOwnerAndRdataNamesAreExpanded) {
  Packet p;
  p.header(1, 0x8400, 1, 1, 0, 0).raw(kExampleCom).u16(type::MX).u16(rclass::IN);
  // answer: owner = pointer to 12; MX 10 mail.<pointer to 12>
  p.u16(0xc00c).u16(type::MX).u16(rclass::IN).u32(3600).u16(2 + 5 + 2);
  p.u16(10).raw("\4mail").u16(0xc00c);
  Message m = decode_message(p.b);
  ASSERT_EQ(m.answer.size(), 1u);
  EXPECT_EQ(m.answer[0].owner.to_text(), "example.com.");
  EXPECT_EQ(m.answer[0].ttl, 3600u);
  EXPECT_EQ(m.answer[0].rdata,
            (std::vector<uint8_t>{0,   10,  4,   'm', 'a', 'i', 'l', 7,   'e', 'x',
                                  'a', 'm', 'p', 'l', 'e', 3,   'c', 'o', 'm', 0}));
}

TEST(Decode, PointerLoopIsFormatError) {
  Packet p;
  p.header(1, 0, 1, 0, 0, 0).u16(0xc00c).u16(1).u16(1);  // name at 12 points to itself
  EXPECT_NE(error_of(p.b).find("does not point backwards"), std::string::npos);
}

TEST(Decode, TwoPointerLoopIsFormatError) {
  Packet p;
  // Question name at 12 is "a" + pointer to 20, the second question's name, which is "b" +
  // pointer back to 12: a two-step loop.
  p.header(1, 0, 2, 0, 0, 0).raw("\1a").u16(0xc014).u16(1).u16(1);
  p.raw("\1b").u16(0xc00c).u16(1).u16(1);
  EXPECT_THROW(decode_message(p.b), FormatError);
}

TEST(Decode, ForwardPointerIsFormatError) {
  Packet p;
  p.header(1, 0, 1, 0, 0, 0).u16(0xc012).u16(1).u16(1).raw(kExampleCom);
  EXPECT_THROW(decode_message(p.b), FormatError);
}

TEST(Decode, PointerIntoHeaderIsFormatError) {
  Packet p;
  p.header(1, 0, 1, 0, 0, 0).u16(0xc002).u16(1).u16(1);
  EXPECT_NE(error_of(p.b).find("header"), std::string::npos);
}

TEST(Decode, ReservedLabelTypeIsFormatError) {
  Packet p;
  p.header(1, 0, 1, 0, 0, 0).u8(0x41).u8(0).u16(1).u16(1);
  EXPECT_NE(error_of(p.b).find("label type"), std::string::npos);
}

TEST(Decode, DecompressedNameOver255IsFormatError) {
  Packet p;
  p.header(1, 0, 2, 0, 0, 0);
  std::string l63 = std::string(1, 63) + std::string(63, 'a');
  p.raw(l63).raw(l63).raw(l63).u8(0).u16(1).u16(1);  // 193 octets at 12
  p.raw(l63).u16(0xc00c).u16(1).u16(1);              // 64 + 193 = 257
  EXPECT_NE(error_of(p.b).find("longer than 255"), std::string::npos);
}

TEST(Decode, TruncatedPacketsAreFormatErrors) {
  Packet p;
  p.header(1, 0x8400, 1, 1, 0, 0).raw(kExampleCom).u16(type::A).u16(rclass::IN);
  p.u16(0xc00c).u16(type::A).u16(rclass::IN).u32(60).u16(4).u32(0xc0000201);
  ASSERT_NO_THROW(decode_message(p.b));
  for (size_t n = 0; n < p.b.size(); ++n) {
    std::vector<uint8_t> cut(p.b.begin(), p.b.begin() + n);
    EXPECT_THROW(decode_message(cut), FormatError) << "prefix of " << n << " octets";
  }
}

TEST(Decode, CountLargerThanContentIsFormatError) {
  Packet p;
  p.header(1, 0, 2, 0, 0, 0).raw(kExampleCom).u16(1).u16(1);
  EXPECT_NE(error_of(p.b).find("after 1 of 2 questions"), std::string::npos);
  Packet q;
  q.header(1, 0, 0, 3, 0, 0);
  EXPECT_NE(error_of(q.b).find("after 0 of 3 answer records"), std::string::npos);
}

TEST(Decode, TrailingGarbageIsFormatError) {
  Packet p;
  p.header(1, 0, 1, 0, 0, 0).raw(kExampleCom).u16(1).u16(1).u8(0);
  EXPECT_NE(error_of(p.b).find("1 trailing octets"), std::string::npos);
}

TEST(Decode, RdataLengthMustMatchTypeStructure) {
  Packet p;
  p.header(1, 0x8000, 0, 1, 0, 0)
      .raw(kExampleCom)
      .u16(type::A)
      .u16(1)
      .u32(60)
      .u16(3)
      .u8(1)
      .u8(2)
      .u8(3);
  EXPECT_NE(error_of(p.b).find("expected 4 octets"), std::string::npos);
  Packet q;  // NS rdata with one spare octet after the name
  q.header(1, 0x8000, 0, 1, 0, 0)
      .raw(kExampleCom)
      .u16(type::NS)
      .u16(1)
      .u32(60)
      .u16(14)
      .raw(kExampleCom)
      .u8(0);
  EXPECT_NE(error_of(q.b).find("unused octets"), std::string::npos);
}

TEST(Decode, RdataNameMayNotRunPastRdlength) {
  Packet p;
  p.header(1, 0x8000, 0, 1, 0, 0).raw(kExampleCom).u16(type::CNAME).u16(1).u32(60).u16(5);
  p.raw(kExampleCom);  // 13 octets, rdlength claims 5
  EXPECT_THROW(decode_message(p.b), FormatError);
}

TEST(Decode, UnknownTypeRdataKeptVerbatim) {
  Packet p;
  p.header(1, 0x8000, 0, 1, 0, 0)
      .raw(kExampleCom)
      .u16(65280)
      .u16(1)
      .u32(60)
      .u16(3)
      .u8(0xc0)
      .u8(0x0c)
      .u8(7);
  Message m = decode_message(p.b);
  EXPECT_EQ(m.answer[0].rdata, (std::vector<uint8_t>{0xc0, 0x0c, 7}));
}

TEST(Decode, EdnsFieldsAndExtendedRcode) {
  Packet p;
  p.header(1, 0x8000 | 0x0001, 0, 0, 0, 1);
  // OPT: root, type 41, udp 4096, ext rcode 1, version 0, DO, one option (code 10, len 2)
  p.u8(0).u16(type::OPT).u16(4096).u32(0x01008000).u16(6).u16(10).u16(2).u16(0xabcd);
  Message m = decode_message(p.b);
  ASSERT_TRUE(m.edns);
  EXPECT_EQ(m.edns->udp_size, 4096);
  EXPECT_EQ(m.edns->version, 0);
  EXPECT_TRUE(m.edns->dnssec_ok);
  EXPECT_EQ(m.edns->options, (std::vector<uint8_t>{0, 10, 0, 2, 0xab, 0xcd}));
  EXPECT_EQ(m.header.rcode, 0x11);  // BADVERS-style: upper 8 bits 1, lower 4 bits 1
  EXPECT_TRUE(m.additional.empty());
}

TEST(Decode, EdnsVersionIsReported) {
  Packet p;
  p.header(1, 0, 0, 0, 0, 1).u8(0).u16(type::OPT).u16(1232).u32(0x00010000).u16(0);
  EXPECT_EQ(decode_message(p.b).edns->version, 1);
}

TEST(Decode, TwoOptRecordsAreFormatError) {
  Packet p;
  p.header(1, 0, 0, 0, 0, 2);
  p.u8(0).u16(type::OPT).u16(1232).u32(0).u16(0);
  p.u8(0).u16(type::OPT).u16(1232).u32(0).u16(0);
  EXPECT_NE(error_of(p.b).find("more than one OPT"), std::string::npos);
}

TEST(Decode, OptWithNonRootOwnerIsFormatError) {
  Packet p;
  p.header(1, 0, 0, 0, 0, 1).raw(kExampleCom).u16(type::OPT).u16(1232).u32(0).u16(0);
  EXPECT_NE(error_of(p.b).find("expected the root"), std::string::npos);
}

TEST(Decode, OptOutsideAdditionalIsFormatError) {
  Packet p;
  p.header(1, 0, 0, 1, 0, 0).u8(0).u16(type::OPT).u16(1232).u32(0).u16(0);
  EXPECT_NE(error_of(p.b).find("OPT record in the answer section"), std::string::npos);
}

TEST(Decode, MalformedEdnsOptionIsFormatError) {
  Packet p;
  p.header(1, 0, 0, 0, 0, 1).u8(0).u16(type::OPT).u16(1232).u32(0).u16(4).u16(10).u16(8);
  EXPECT_THROW(decode_message(p.b), FormatError);
}

TEST(Encode, QueryBytesExact) {
  Message m = query("example.com.", type::A);
  Packet want;
  want.header(0x1234, 0x0100, 1, 0, 0, 0).raw(kExampleCom).u16(type::A).u16(rclass::IN);
  EXPECT_EQ(encode_message(m), want.b);
}

TEST(Encode, OwnerNamesCompressAgainstQuestion) {
  Message m = query("www.example.com.", type::A);
  m.header.qr = true;
  m.answer.push_back(rr("WWW.example.com.", type::A, {"192.0.2.1"}));
  auto wire = encode_message(m);
  // header 12 + question (17 + 4) = 33; answer owner is a pointer to offset 12.
  ASSERT_GE(wire.size(), 35u);
  EXPECT_EQ(wire[33], 0xc0);
  EXPECT_EQ(wire[34], 0x0c);
  EXPECT_EQ(wire.size(), 33u + 2 + 10 + 4);
}

TEST(Encode, SuffixCompressionPointsAtSharedSuffix) {
  Message m = query("www.example.com.", type::NS);
  m.answer.push_back(rr("example.com.", type::NS, {"ns1.example.com."}));
  auto wire = encode_message(m);
  // answer owner "example.com." = pointer to offset 16 (the "example" label inside the question)
  EXPECT_EQ(wire[33], 0xc0);
  EXPECT_EQ(wire[34], 16);
  // NS rdata: "\3ns1" + pointer to 16: rdlength 6
  EXPECT_EQ(wire[43], 0);
  EXPECT_EQ(wire[44], 6);
  EXPECT_EQ(wire[49], 0xc0);
  EXPECT_EQ(wire[50], 16);
  EXPECT_EQ(decode_message(wire), m);
}

TEST(Encode, SrvTargetIsNeverCompressed) {
  Message m = query("_sip._udp.example.com.", type::SRV);
  m.answer.push_back(rr("_sip._udp.example.com.", type::SRV, {"1", "2", "3", "example.com."}));
  auto wire = encode_message(m);
  std::string tail(wire.end() - 13, wire.end());
  EXPECT_EQ(tail, kExampleCom);
  EXPECT_EQ(decode_message(wire), m);
}

TEST(Encode, RoundTripKeepsEverySection) {
  Message m = query("example.com.", type::ANY);
  m.header.qr = m.header.aa = true;
  m.answer.push_back(rr("example.com.", type::SOA, {"ns1", "host", "1", "2", "3", "4", "5"}));
  m.answer.push_back(rr("example.com.", type::TXT, {"hello", "world"}));
  m.authority.push_back(rr("example.com.", type::NS, {"ns1"}));
  m.additional.push_back(rr("ns1.example.com.", type::AAAA, {"2001:db8::53"}));
  m.additional.push_back(rr("example.com.", type::CAA, {"0", "issue", "ca.example"}));
  m.edns = Edns{4096, 0, true, {0, 10, 0, 0}};
  m.header.rcode = rcode::BADVERS;
  Message back = decode_message(encode_message(m));
  EXPECT_EQ(back, m);
  EXPECT_EQ(back.header.rcode, rcode::BADVERS);
}

TEST(Encode, OptRecordBytes) {
  Message m = query("example.com.", type::A);
  m.edns = Edns{1232, 0, true, {}};
  auto wire = encode_message(m);
  Packet opt;
  opt.u8(0).u16(type::OPT).u16(1232).u32(0x00008000).u16(0);
  EXPECT_EQ(std::vector<uint8_t>(wire.end() - 11, wire.end()), opt.b);
  EXPECT_EQ(wire[11], 1);  // ARCOUNT counts the OPT record
}

Message big_answer(size_t answers) {
  Message m = query("example.com.", type::TXT);
  m.header.qr = true;
  for (size_t i = 0; i < answers; ++i) {
    m.answer.push_back(rr(fmt::format("t{}.example.com.", i), type::TXT, {std::string(100, 'x')}));
  }
  return m;
}

TEST(Encode, AdditionalDroppedFirstWithoutTc) {
  Message m = big_answer(3);
  for (int i = 0; i < 3; ++i) {
    m.additional.push_back(
        rr(fmt::format("a{}.example.com.", i), type::TXT, {std::string(100, 'y')}));
  }
  size_t full = encode_message(m).size();
  auto wire = encode_message(m, full - 1);
  Message back = decode_message(wire);
  EXPECT_FALSE(back.header.tc);
  EXPECT_EQ(back.answer.size(), 3u);
  EXPECT_EQ(back.additional.size(), 2u);
  EXPECT_LE(wire.size(), full - 1);
}

TEST(Encode, AnswerDroppedSetsTc) {
  Message m = big_answer(5);
  m.authority.push_back(rr("example.com.", type::NS, {"ns1"}));
  auto wire = encode_message(m, 512);
  EXPECT_LE(wire.size(), 512u);
  Message back = decode_message(wire);
  EXPECT_TRUE(back.header.tc);
  EXPECT_EQ(back.answer.size(), 4u);  // 29 + 4 * 116 = 493 fits, a fifth does not
  EXPECT_TRUE(back.authority.empty());
}

TEST(Encode, TruncationDropsWholeRrsets) {
  Message m = query("example.com.", type::TXT);
  for (int i = 0; i < 6; ++i)
    m.answer.push_back(rr("example.com.", type::TXT, {std::string(100, char('a' + i))}));
  auto wire = encode_message(m, 512);
  Message back = decode_message(wire);
  EXPECT_TRUE(back.header.tc);
  EXPECT_TRUE(back.answer.empty());  // the one RRset did not fit, so none of it is sent
}

TEST(Encode, OptKeptWhenTruncating) {
  Message m = big_answer(10);
  m.edns = Edns{};
  auto wire = encode_message(m, 512);
  Message back = decode_message(wire);
  EXPECT_TRUE(back.header.tc);
  ASSERT_TRUE(back.edns);
  EXPECT_LE(wire.size(), 512u);
}

TEST(Encode, SpanVariantWritesIntoCallerBuffer) {
  Message m = big_answer(2);
  std::array<uint8_t, 4096> buf;
  size_t n = encode_message(m, std::span<uint8_t>(buf));
  EXPECT_EQ(std::vector<uint8_t>(buf.begin(), buf.begin() + n), encode_message(m));
}

TEST(Encode, BufferTooSmallForQuestionThrows) {
  Message m = query("example.com.", type::A);
  std::array<uint8_t, 20> buf;
  EXPECT_THROW(encode_message(m, std::span<uint8_t>(buf)), FormatError);
}

std::vector<uint8_t> from_hex(std::string_view hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// A referral as dnspython 2.3 encodes it (NS in authority, A and AAAA glue in additional). Our
// compression choices match its octet for octet, so decode -> encode reproduces it exactly.
TEST(Encode, ReferralMatchesDnspythonOctetForOctet) {
  auto wire = from_hex(
      "7d528500000100000002000203737562076578616d706c6503636f6d0000010001c00c000200010000012c"
      "0006036e7332c00cc00c000200010000012c0006036e7331c00cc03f000100010000012c0004c0000235c02d"
      "001c00010000012c001020010db8000000000000000000000053");
  Message m = decode_message(wire);
  ASSERT_EQ(m.authority.size(), 2u);
  EXPECT_EQ(rdata_to_text(type::NS, m.authority[0].rdata), "ns2.sub.example.com.");
  ASSERT_EQ(m.additional.size(), 2u);
  EXPECT_EQ(m.additional[0].owner.to_text(), "ns1.sub.example.com.");
  EXPECT_EQ(encode_message(m), wire);
}

TEST(Encode, MalformedRdataOfNameTypeIsWrittenVerbatim) {
  Message m = query("example.com.", type::NS);
  m.answer.push_back(Record{Name::from_text("example.com."), type::NS, rclass::IN, 1, {1, 2, 3}});
  auto wire = encode_message(m);
  EXPECT_EQ(std::vector<uint8_t>(wire.end() - 5, wire.end()),
            (std::vector<uint8_t>{0, 3, 1, 2, 3}));
}

}  // namespace
}  // namespace dns
