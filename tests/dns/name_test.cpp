// Rules of dns::Name: presentation and wire forms, escapes, limits, case, canonical order.
#include "dns/name.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <unordered_set>
#include <vector>

#include "dns/error.h"

namespace dns {
namespace {

std::vector<uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

TEST(Name, DefaultIsRoot) {
  Name root;
  EXPECT_TRUE(root.is_root());
  EXPECT_EQ(root.wire(), std::string(1, '\0'));
  EXPECT_EQ(root.to_text(), ".");
  EXPECT_EQ(root.label_count(), 0u);
}

TEST(Name, FromTextAbsoluteGivesLengthPrefixedLabels) {
  Name n = Name::from_text("www.Example.com.");
  EXPECT_EQ(n.wire(), std::string("\3www\7Example\3com\0", 17));
  EXPECT_EQ(n.to_text(), "www.Example.com.");
  EXPECT_EQ(n.label_count(), 3u);
  EXPECT_EQ(n.label(0), "www");
  EXPECT_EQ(n.label(2), "com");
}

TEST(Name, RelativeNameAppendsOrigin) {
  Name origin = Name::from_text("example.com.");
  EXPECT_EQ(Name::from_text("www", origin).to_text(), "www.example.com.");
  EXPECT_EQ(Name::from_text("a.b", origin).to_text(), "a.b.example.com.");
  EXPECT_EQ(Name::from_text("www.other.", origin).to_text(), "www.other.");
}

TEST(Name, AtMeansOrigin) {
  Name origin = Name::from_text("example.com.");
  EXPECT_EQ(Name::from_text("@", origin).to_text(), "example.com.");
}

TEST(Name, DotIsRoot) {
  EXPECT_TRUE(Name::from_text(".").is_root());
}

TEST(Name, DecimalEscapeDecodesOctet) {
  Name n = Name::from_text("a\\032b.c.");
  EXPECT_EQ(n.label(0), "a b");
  EXPECT_EQ(n.to_text(), "a\\032b.c.");
}

TEST(Name, EscapedDotStaysInsideLabel) {
  Name n = Name::from_text("a\\.b.c.");
  EXPECT_EQ(n.label_count(), 2u);
  EXPECT_EQ(n.label(0), "a.b");
  EXPECT_EQ(n.to_text(), "a\\.b.c.");
}

TEST(Name, TrailingEscapedDotIsRelative) {
  Name n = Name::from_text("a\\.", Name::from_text("org."));
  EXPECT_EQ(n.label(0), "a.");
  EXPECT_EQ(n.to_text(), "a\\..org.");
}

TEST(Name, CharacterEscapeTakesNextCharacterLiterally) {
  EXPECT_EQ(Name::from_text("\\@x.").label(0), "@x");
  EXPECT_EQ(Name::from_text("\\@x.").to_text(), "\\@x.");
}

TEST(Name, NonPrintableOctetsPrintAsDecimalEscapes) {
  Name n = Name::from_wire(bytes(std::string("\2\x00\xff\0", 4)));
  EXPECT_EQ(n.to_text(), "\\000\\255.");
}

TEST(Name, BadEscapesAreRejected) {
  EXPECT_THROW(Name::from_text("a\\25"), Error);
  EXPECT_THROW(Name::from_text("a\\256."), Error);
  EXPECT_THROW(Name::from_text("a\\"), Error);
  EXPECT_THROW(Name::from_text("a\\1x2."), Error);
}

TEST(Name, EmptyLabelsAreRejected) {
  EXPECT_THROW(Name::from_text("a..b."), Error);
  EXPECT_THROW(Name::from_text(".a."), Error);
  EXPECT_THROW(Name::from_text(""), Error);
}

TEST(Name, LabelOf63OctetsIsAcceptedAnd64Rejected) {
  std::string l63(63, 'a');
  EXPECT_EQ(Name::from_text(l63 + ".").label(0).size(), 63u);
  try {
    Name::from_text(l63 + "a.");
    FAIL() << "64-octet label accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("63"), std::string::npos) << e.what();
  }
}

TEST(Name, WireLengthOf255IsAcceptedAnd256Rejected) {
  // 4 labels of 63 = 4*64 = 256 + root = 257 octets; 3x63 + 61 = 192 + 62 + 1 = 255.
  std::string l63(63, 'a');
  std::string ok = l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b') + ".";
  EXPECT_EQ(Name::from_text(ok).wire_length(), 255u);
  std::string too_long = l63 + "." + l63 + "." + l63 + "." + std::string(62, 'b') + ".";
  try {
    Name::from_text(too_long);
    FAIL() << "256-octet name accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("255"), std::string::npos) << e.what();
  }
}

TEST(Name, RelativeNameTooLongWithOriginIsRejected) {
  Name origin = Name::from_text(std::string(63, 'o') + "." + std::string(63, 'o') + ".");
  EXPECT_THROW(Name::from_text(std::string(63, 'a') + "." + std::string(63, 'a'), origin), Error);
}

TEST(Name, FromWireValidates) {
  EXPECT_EQ(Name::from_wire(bytes(std::string("\3foo\0", 5))).to_text(), "foo.");
  EXPECT_THROW(Name::from_wire(bytes(std::string("\3fo", 3))), FormatError);
  EXPECT_THROW(Name::from_wire(bytes(std::string("\3foo\0x", 6))), FormatError);
  EXPECT_THROW(Name::from_wire(bytes(std::string("\x40", 1) + std::string(64, 'a') + '\0')),
               FormatError);
  EXPECT_THROW(Name::from_wire(bytes(std::string("\xc0\x0c", 2))), FormatError);
  EXPECT_THROW(Name::from_wire({}), FormatError);
}

TEST(Name, EqualityIgnoresAsciiCase) {
  EXPECT_EQ(Name::from_text("WWW.Example.COM."), Name::from_text("www.example.com."));
  EXPECT_NE(Name::from_text("www.example.com."), Name::from_text("www.example.org."));
  EXPECT_EQ(Name::from_text("WWW.Example.COM.").hash(), Name::from_text("www.example.com.").hash());
}

TEST(Name, EqualityIsAsciiOnly) {
  // 0xC4 and 0xE4 are Latin-1 upper/lower A-umlaut; DNS folds ASCII only.
  EXPECT_NE(Name::from_text("\\196."), Name::from_text("\\228."));
}

TEST(Name, CasePreservedInText) {
  EXPECT_EQ(Name::from_text("MiXeD.CaSe.").to_text(), "MiXeD.CaSe.");
  EXPECT_EQ(Name::from_text("MiXeD.CaSe.").lowercased().to_text(), "mixed.case.");
}

TEST(Name, NameHashWorksInUnorderedSet) {
  std::unordered_set<Name, NameHash> set;
  set.insert(Name::from_text("A.example."));
  EXPECT_EQ(set.count(Name::from_text("a.EXAMPLE.")), 1u);
}

TEST(Name, CanonicalOrderMatchesRfc4034Example) {
  // RFC 4034 §6.1 lists these in canonical order.
  std::vector<std::string> expected = {"example.",         "a.example.",      "yljkjljk.a.example.",
                                       "Z.a.example.",     "zABC.a.EXAMPLE.", "z.example.",
                                       "\\001.z.example.", "*.z.example.",    "\\200.z.example."};
  std::vector<Name> names;
  for (auto it = expected.rbegin(); it != expected.rend(); ++it)
    names.push_back(Name::from_text(*it));
  std::sort(names.begin(), names.end());
  std::vector<std::string> got;
  for (const auto& n : names) got.push_back(n.to_text());
  EXPECT_EQ(got, expected);
}

TEST(Name, OrderingIsCaseInsensitive) {
  EXPECT_EQ(Name::from_text("ABC.") <=> Name::from_text("abc."), std::strong_ordering::equal);
  EXPECT_LT(Name::from_text("abc."), Name::from_text("ABD."));
}

TEST(Name, ParentAndSuffix) {
  Name n = Name::from_text("a.b.c.");
  EXPECT_EQ(n.parent().to_text(), "b.c.");
  EXPECT_EQ(n.suffix(1).to_text(), "c.");
  EXPECT_EQ(n.suffix(0).to_text(), ".");
  EXPECT_EQ(n.suffix(7).to_text(), "a.b.c.");
  EXPECT_TRUE(Name().parent().is_root());
}

TEST(Name, PrependBuildsWildcard) {
  Name w = Name::from_text("example.com.").prepend("*");
  EXPECT_TRUE(w.is_wildcard());
  EXPECT_EQ(w.to_text(), "*.example.com.");
  EXPECT_FALSE(Name::from_text("a*.example.").is_wildcard());
  EXPECT_THROW(Name().prepend(std::string(64, 'x')), Error);
}

TEST(Name, SubdomainIsCaseInsensitiveAndLabelAligned) {
  Name zone = Name::from_text("Example.com.");
  EXPECT_TRUE(Name::from_text("www.EXAMPLE.com.").is_subdomain_of(zone));
  EXPECT_TRUE(zone.is_subdomain_of(zone));
  EXPECT_TRUE(zone.is_subdomain_of(Name()));
  EXPECT_FALSE(Name::from_text("wwwexample.com.").is_subdomain_of(zone));
  EXPECT_FALSE(Name::from_text("com.").is_subdomain_of(zone));
}

TEST(Name, ErrorNamesTheOffendingText) {
  try {
    Name::from_text("bad..name");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad..name"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dns
