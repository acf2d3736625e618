// sd_notify's datagram protocol as dns-node speaks it, received by a test socket.

#include "net/systemd_notify.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "tests/net/temp_dir.h"

namespace net {
namespace {

// A datagram socket bound at `name` (a path, or '@' and an abstract name), as systemd's.
class NotifyReceiver {
 public:
  explicit NotifyReceiver(const std::string& name) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, name.data(), name.size());
    if (name[0] == '@') address.sun_path[0] = '\0';
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), length) != 0)
      throw std::runtime_error("bind failed");
  }
  ~NotifyReceiver() { ::close(fd_); }

  // The next datagram, or "<none>" after 5 s.
  std::string receive() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) return "<none>";
    char buffer[256];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    return n < 0 ? "<error>" : std::string(buffer, static_cast<std::size_t>(n));
  }

 private:
  int fd_ = -1;
};

TEST(SystemdNotifyTest, SendsTheStateToTheSocketInNotifySocket) {
  testing::TempDir dir;
  const std::string path = (dir / "notify").string();
  NotifyReceiver receiver(path);
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  EXPECT_TRUE(notify_systemd("READY=1"));
  EXPECT_TRUE(notify_systemd("STOPPING=1"));
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_EQ(receiver.receive(), "READY=1");
  EXPECT_EQ(receiver.receive(), "STOPPING=1");
}

TEST(SystemdNotifyTest, ReachesAnAbstractSocket) {
  const std::string name = "@raftdns-notify-test-" + std::to_string(::getpid());
  NotifyReceiver receiver(name);
  EXPECT_TRUE(notify_systemd_at(name, "READY=1"));
  EXPECT_EQ(receiver.receive(), "READY=1");
}

TEST(SystemdNotifyTest, DoesNothingWithoutNotifySocketAndSurvivesABadOne) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_FALSE(notify_systemd("READY=1"));
  EXPECT_FALSE(notify_systemd_at("relative/path", "READY=1"));
  EXPECT_FALSE(notify_systemd_at("/nonexistent/raftdns/notify", "READY=1"));
}

}  // namespace
}  // namespace net
