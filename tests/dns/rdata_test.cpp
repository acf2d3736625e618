// Rules of rdata text <-> wire conversion for each supported type, plus RFC 3597 generic form.
#include "dns/rdata.h"

#include <gtest/gtest.h>

#include "dns/error.h"
#include "dns/record.h"
#include "dns/types.h"

namespace dns {
namespace {

const Name kOrigin = Name::from_text("example.com.");

std::vector<TextToken> tokens(std::initializer_list<std::string> words) {
  std::vector<TextToken> out;
  for (const auto& w : words) out.push_back(TextToken{w, false});
  return out;
}

std::vector<uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

std::vector<uint8_t> from_text(uint16_t type, std::initializer_list<std::string> words) {
  return rdata_from_text(type, tokens(words), kOrigin);
}

std::string error_of(uint16_t type, std::vector<TextToken> fields) {
  try {
    rdata_from_text(type, fields, kOrigin);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Rdata, ARoundTrip) {
  auto w = from_text(type::A, {"192.0.2.1"});
  EXPECT_EQ(w, (std::vector<uint8_t>{192, 0, 2, 1}));
  EXPECT_EQ(rdata_to_text(type::A, w), "192.0.2.1");
}

TEST(Rdata, ARejectsBadAddressSayingWhatWasExpected) {
  EXPECT_NE(error_of(type::A, tokens({"192.0.2"})).find("IPv4"), std::string::npos);
  EXPECT_NE(error_of(type::A, tokens({"1.2.3.4", "5"})).find("expected 1 field"),
            std::string::npos);
}

TEST(Rdata, AaaaRoundTrip) {
  auto w = from_text(type::AAAA, {"2001:db8::1"});
  ASSERT_EQ(w.size(), 16u);
  EXPECT_EQ(w[0], 0x20);
  EXPECT_EQ(w[1], 0x01);
  EXPECT_EQ(w[15], 0x01);
  EXPECT_EQ(rdata_to_text(type::AAAA, w), "2001:db8::1");
  EXPECT_NE(error_of(type::AAAA, tokens({"192.0.2.1"})).find("IPv6"), std::string::npos);
}

TEST(Rdata, NsCnamePtrHoldOneNameRelativeToOrigin) {
  for (uint16_t t : {type::NS, type::CNAME, type::PTR}) {
    auto w = from_text(t, {"ns1"});
    EXPECT_EQ(w, bytes(std::string("\3ns1\7example\3com\0", 17)));
    EXPECT_EQ(rdata_to_text(t, w), "ns1.example.com.");
    EXPECT_EQ(rdata_target(t, w)->to_text(), "ns1.example.com.");
  }
}

TEST(Rdata, MxRoundTrip) {
  auto w = from_text(type::MX, {"10", "mail.example.net."});
  EXPECT_EQ(w, bytes(std::string("\0\x0a\4mail\7example\3net\0", 20)));
  EXPECT_EQ(rdata_to_text(type::MX, w), "10 mail.example.net.");
  EXPECT_EQ(rdata_target(type::MX, w)->to_text(), "mail.example.net.");
}

TEST(Rdata, MxPreferenceErrorSaysWhatWasExpected) {
  std::string err = error_of(type::MX, tokens({"x", "mail."}));
  EXPECT_NE(err.find("expected a number from 0 to 65535 for MX preference"), std::string::npos)
      << err;
  EXPECT_NE(error_of(type::MX, tokens({"70000", "mail."})).find("MX preference"),
            std::string::npos);
}

TEST(Rdata, SoaRoundTripAndFields) {
  auto w =
      from_text(type::SOA, {"ns1", "hostmaster", "2024010101", "3600", "900", "1209600", "300"});
  SoaFields soa = soa_from_rdata(w);
  EXPECT_EQ(soa.mname.to_text(), "ns1.example.com.");
  EXPECT_EQ(soa.rname.to_text(), "hostmaster.example.com.");
  EXPECT_EQ(soa.serial, 2024010101u);
  EXPECT_EQ(soa.refresh, 3600u);
  EXPECT_EQ(soa.retry, 900u);
  EXPECT_EQ(soa.expire, 1209600u);
  EXPECT_EQ(soa.minimum, 300u);
  EXPECT_EQ(soa_to_rdata(soa), w);
  EXPECT_EQ(rdata_to_text(type::SOA, w),
            "ns1.example.com. hostmaster.example.com. 2024010101 3600 900 1209600 300");
  EXPECT_EQ(rdata_names(type::SOA, w).size(), 2u);
}

TEST(Rdata, SoaTimersAcceptUnits) {
  SoaFields soa =
      soa_from_rdata(from_text(type::SOA, {"a.", "b.", "1", "1h", "15m", "2w", "1d1h"}));
  EXPECT_EQ(soa.refresh, 3600u);
  EXPECT_EQ(soa.retry, 900u);
  EXPECT_EQ(soa.expire, 1209600u);
  EXPECT_EQ(soa.minimum, 90000u);
  EXPECT_NE(error_of(type::SOA, tokens({"a.", "b.", "1", "1x", "1", "1", "1"})).find("SOA refresh"),
            std::string::npos);
}

TEST(Rdata, SoaNeedsSevenFields) {
  EXPECT_NE(error_of(type::SOA, tokens({"a.", "b.", "1"})).find("expected 7 fields"),
            std::string::npos);
}

TEST(Rdata, TxtMultipleStringsQuotedOrNot) {
  std::vector<TextToken> f{{"hello world", true}, {"plain", false}, {"", true}};
  auto w = rdata_from_text(type::TXT, f, kOrigin);
  EXPECT_EQ(w, bytes(std::string("\x0bhello world\x05plain\x00", 19)));
  EXPECT_EQ(rdata_to_text(type::TXT, w), "\"hello world\" \"plain\" \"\"");
}

TEST(Rdata, TxtEscapesDecodeAndEncode) {
  std::vector<TextToken> f{{"a\\\"b\\\\c\\010", true}};
  auto w = rdata_from_text(type::TXT, f, kOrigin);
  EXPECT_EQ(w, bytes(std::string("\x06"
                                 "a\"b\\c\n",
                                 7)));
  EXPECT_EQ(rdata_to_text(type::TXT, w), "\"a\\\"b\\\\c\\010\"");
}

TEST(Rdata, TxtStringLongerThan255Rejected) {
  std::vector<TextToken> f{{std::string(256, 'x'), true}};
  EXPECT_NE(error_of(type::TXT, f).find("at most 255"), std::string::npos);
  std::vector<TextToken> ok{{std::string(255, 'x'), true}};
  EXPECT_EQ(rdata_from_text(type::TXT, ok, kOrigin).size(), 256u);
}

TEST(Rdata, SrvRoundTripTargetNotRelativeWhenAbsolute) {
  auto w = from_text(type::SRV, {"10", "60", "5060", "sip.example.org."});
  EXPECT_EQ(w, bytes(std::string("\0\x0a\0\x3c\x13\xc4\3sip\7example\3org\0", 23)));
  EXPECT_EQ(rdata_to_text(type::SRV, w), "10 60 5060 sip.example.org.");
  EXPECT_EQ(rdata_target(type::SRV, w)->to_text(), "sip.example.org.");
  EXPECT_NE(error_of(type::SRV, tokens({"1", "2", "99999", "x."})).find("SRV port"),
            std::string::npos);
}

TEST(Rdata, CaaRoundTrip) {
  std::vector<TextToken> f{{"0", false}, {"issue", false}, {"letsencrypt.org", true}};
  auto w = rdata_from_text(type::CAA, f, kOrigin);
  EXPECT_EQ(w, bytes(std::string("\0\5issueletsencrypt.org", 22)));
  EXPECT_EQ(rdata_to_text(type::CAA, w), "0 issue \"letsencrypt.org\"");
}

TEST(Rdata, CaaTagMustBeAlphanumeric) {
  std::vector<TextToken> f{{"0", false}, {"is-sue", false}, {"x", true}};
  EXPECT_NE(error_of(type::CAA, f).find("CAA tag"), std::string::npos);
  std::vector<TextToken> flags{{"256", false}, {"issue", false}, {"x", true}};
  EXPECT_NE(error_of(type::CAA, flags).find("CAA flags"), std::string::npos);
}

TEST(Rdata, UnknownTypeUsesGenericForm) {
  auto w = from_text(65280, {"\\#", "4", "0A000001"});
  EXPECT_EQ(w, (std::vector<uint8_t>{10, 0, 0, 1}));
  EXPECT_EQ(rdata_to_text(65280, w), "\\# 4 0a000001");
  EXPECT_EQ(rdata_to_text(65280, {}), "\\# 0");
  EXPECT_TRUE(from_text(65280, {"\\#", "0"}).empty());
}

TEST(Rdata, GenericHexMaySpanSeveralFields) {
  EXPECT_EQ(from_text(65280, {"\\#", "3", "0a", "0B0c"}), (std::vector<uint8_t>{10, 11, 12}));
}

TEST(Rdata, GenericLengthMustMatchHex) {
  EXPECT_NE(error_of(65280, tokens({"\\#", "4", "0a00"})).find("expected 8 hex digits"),
            std::string::npos);
  EXPECT_NE(error_of(65280, tokens({"\\#", "1", "zz"})).find("hex"), std::string::npos);
}

TEST(Rdata, KnownTypeAcceptsGenericFormAndValidatesIt) {
  EXPECT_EQ(from_text(type::A, {"\\#", "4", "c0000201"}), (std::vector<uint8_t>{192, 0, 2, 1}));
  EXPECT_NE(error_of(type::A, tokens({"\\#", "3", "c00002"})).find("not valid A rdata"),
            std::string::npos);
}

TEST(Rdata, UnknownTypeWithoutGenericFormIsRejected) {
  EXPECT_NE(error_of(65280, tokens({"hello"})).find("expected RFC 3597"), std::string::npos);
}

TEST(Rdata, QuotedBackslashHashIsNotGeneric) {
  std::vector<TextToken> f{{"\\#", true}};
  EXPECT_EQ(rdata_from_text(type::TXT, f, kOrigin), bytes(std::string("\1#", 2)));
}

TEST(Rdata, ValidateRejectsWrongLengths) {
  EXPECT_THROW(validate_rdata(type::A, std::vector<uint8_t>{1, 2, 3}), FormatError);
  EXPECT_THROW(validate_rdata(type::AAAA, std::vector<uint8_t>(4)), FormatError);
  EXPECT_THROW(validate_rdata(type::MX, bytes(std::string("\0\1\3abc", 6))), FormatError);
  EXPECT_THROW(validate_rdata(type::TXT, std::vector<uint8_t>{}), FormatError);
  EXPECT_THROW(validate_rdata(type::TXT, std::vector<uint8_t>{5, 'a'}), FormatError);
  EXPECT_NO_THROW(validate_rdata(65280, std::vector<uint8_t>{}));
}

TEST(Rdata, ToTextRejectsMalformedKnownType) {
  EXPECT_THROW(rdata_to_text(type::A, std::vector<uint8_t>{1}), FormatError);
}

TEST(Rdata, CanonicalFormLowercasesEmbeddedNamesOnly) {
  auto mx = bytes(std::string("\0\x0a\4MAIL\2EX\0", 11));
  EXPECT_EQ(rdata_canonical(type::MX, mx), bytes(std::string("\0\x0a\4mail\2ex\0", 11)));
  auto txt = bytes("\3ABC");
  EXPECT_EQ(rdata_canonical(type::TXT, txt), txt);
}

TEST(Rdata, RecordEqualityComparesNamesInRdataCaseInsensitively) {
  Record a{Name::from_text("X.example."), type::CNAME, rclass::IN, 60,
           from_text(type::CNAME, {"T.example."})};
  Record b{Name::from_text("x.EXAMPLE."), type::CNAME, rclass::IN, 60,
           from_text(type::CNAME, {"t.example."})};
  EXPECT_EQ(a, b);
  Record c{a.owner, type::TXT, rclass::IN, 60, bytes("\1A")};
  Record d{a.owner, type::TXT, rclass::IN, 60, bytes("\1a")};
  EXPECT_NE(c, d);
}

TEST(Rdata, RdataEqualFoldsNamesButNotFixedFields) {
  // MX preference 0x0041 ('A') vs 0x0061 ('a') must differ even though the names fold equal.
  auto upper = bytes(std::string("\0A\2MX\0", 6));
  auto lower = bytes(std::string("\0a\2mx\0", 6));
  auto same_pref = bytes(std::string("\0A\2mx\0", 6));
  EXPECT_FALSE(rdata_equal(type::MX, upper, lower));
  EXPECT_TRUE(rdata_equal(type::MX, upper, same_pref));
  EXPECT_FALSE(rdata_equal(type::SOA, bytes(std::string("\1a\0\2bb\0", 6)),
                           bytes(std::string("\2aa\0\1b\0", 6))));
}

TEST(Rdata, RecordToTextIsOneMasterFileLine) {
  Record r{Name::from_text("www.example.com."), type::MX, rclass::IN, 3600,
           from_text(type::MX, {"5", "mx"})};
  EXPECT_EQ(to_text(r), "www.example.com. 3600 IN MX 5 mx.example.com.");
}

TEST(Types, MnemonicsAndGenericForms) {
  EXPECT_EQ(type_to_text(type::CAA), "CAA");
  EXPECT_EQ(type_to_text(65280), "TYPE65280");
  EXPECT_EQ(type_from_text("aaaa"), type::AAAA);
  EXPECT_EQ(type_from_text("TYPE65280"), 65280);
  EXPECT_EQ(type_from_text("type1"), type::A);
  EXPECT_FALSE(type_from_text("TYPE65536"));
  EXPECT_FALSE(type_from_text("TYPE"));
  EXPECT_FALSE(type_from_text("BOGUS"));
  EXPECT_EQ(class_to_text(rclass::IN), "IN");
  EXPECT_EQ(class_from_text("ch"), rclass::CH);
  EXPECT_EQ(class_from_text("CLASS300"), 300);
  EXPECT_EQ(class_to_text(300), "CLASS300");
}

}  // namespace
}  // namespace dns
