#include "net/listen_address.h"

#include <gtest/gtest.h>

#include "net/error.h"

namespace net {
namespace {

TEST(ListenAddress, ParsesIpv4) {
  auto a = ListenAddress::parse("127.0.0.1:5300");
  EXPECT_EQ(a.address.to_string(), "127.0.0.1");
  EXPECT_EQ(a.port, 5300);
  EXPECT_EQ(a.to_string(), "127.0.0.1:5300");
}

TEST(ListenAddress, ParsesBracketedIpv6) {
  auto a = ListenAddress::parse("[::1]:53");
  EXPECT_TRUE(a.address.is_v6());
  EXPECT_EQ(a.port, 53);
  EXPECT_EQ(a.to_string(), "[::1]:53");
}

TEST(ListenAddress, RejectsMalformedText) {
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:53x",
                          "localhost:53", "::1:53", "[::1]53", ":53", "1.2.3.4:-1"}) {
    EXPECT_THROW(ListenAddress::parse(bad), Error) << bad;
  }
}

TEST(ListenAddress, ErrorNamesTheText) {
  try {
    ListenAddress::parse("nowhere:53");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "bad listen address 'nowhere:53': 'nowhere' is not an IP address");
  }
}

}  // namespace
}  // namespace net
