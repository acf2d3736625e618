#include "net/socket_options.h"

#include <gtest/gtest.h>

#include <fstream>

#include <unistd.h>

#include "tests/net/test_client.h"

namespace net {
namespace {

int effective(int fd, int option) {
  int value = 0;
  socklen_t length = sizeof value;
  ::getsockopt(fd, SOL_SOCKET, option, &value, &length);
  return value / 2;  // Linux reports double
}

int sysctl_value(const char* path) {
  int value = 0;
  std::ifstream(path) >> value;
  return value;
}

TEST(SocketOptions, UdpBuffersReachTheRequestedSize) {
  constexpr int kSize = 2 << 20;
  if (::geteuid() != 0 && sysctl_value("/proc/sys/net/core/rmem_max") < kSize)
    GTEST_SKIP() << "neither root nor a large enough net.core.rmem_max";
  testing::Fd fd(::socket(AF_INET, SOCK_DGRAM, 0));
  set_buffer_sizes(fd.get(), kSize, kSize);
  EXPECT_GE(effective(fd.get(), SO_RCVBUF), kSize);
  EXPECT_GE(effective(fd.get(), SO_SNDBUF), kSize);
}

}  // namespace
}  // namespace net
