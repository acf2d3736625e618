// write-load: the closed-loop write client of experiments/update_bench, for both systems it
// compares. N clients, each with one request in flight, all on one thread and one epoll loop (as
// wrk runs), speaking either of two protocols:
//   --dns HOST:PORT   DNS UPDATE over UDP, each adding a distinct name, TSIG-signed per request
//                     (as dnsperf -u -y);
//   --etcd HOST:PORT  PUTs of distinct keys to etcd's v3 JSON gateway over HTTP/1.1 keep-alive
//                     (as wrk with experiments/update_bench.d/etcd_put.lua).
// Same loop, timing and accounting on both sides, so neither server is measured through a
// client that is slower per request (dnsperf answers each response on a second thread, a
// context switch per write that wrk does not make). Prints one line:
//   RESULT requests=N committed=N failed=N timeouts=N duration_us=N p50_us=N p99_us=N mean_us=X
// `committed`: NOERROR answers, or HTTP 200s; `failed`: any other answer.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <numeric>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "dns/message.h"
#include "dns/name.h"
#include "dns/tsig.h"
#include "dns/types.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Endpoint {
  sockaddr_in address{};
  std::string text;
};

Endpoint parse_endpoint(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error(text + ": expected HOST:PORT");
  Endpoint e;
  e.text = text;
  e.address.sin_family = AF_INET;
  const std::string host = text.substr(0, colon);
  if (::inet_pton(AF_INET, host.c_str(), &e.address.sin_addr) != 1)
    throw std::runtime_error(text + ": not an IPv4 address");
  const std::string port = text.substr(colon + 1);
  unsigned value = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (error != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
    throw std::runtime_error(text + ": not a port 1..65535 after the colon");
  e.address.sin_port = htons(static_cast<std::uint16_t>(value));
  return e;
}

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(fmt::format("{}: {}", what, std::strerror(errno)));
}

// What every client counts, whatever its protocol.
struct Tally {
  std::vector<std::uint32_t> latencies_us;
  std::uint64_t committed = 0, failed = 0, timeouts = 0;
  Clock::time_point last_answer{};
  std::chrono::microseconds elapsed{0};  // from the first request to the last answer counted

  void answered(Clock::time_point sent, Clock::time_point now, bool ok) {
    latencies_us.push_back(static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now - sent).count()));
    ++(ok ? committed : failed);
    last_answer = now;
  }
};

// One client slot: a socket with at most one request in flight.
struct Slot {
  int fd = -1;
  bool in_flight = false;
  Clock::time_point sent{};
  std::uint16_t id = 0;  // DNS: the request's ID
  std::string received;  // HTTP: the response so far
};

// DNS UPDATE: adds "<tag>-<n>.<zone> 300 A 10.x.y.z", signed with the key.
class DnsWrites {
 public:
  // A late answer carries the old ID and is ignored: the slot sends its next request.
  static constexpr bool kRetryAfterTimeout = true;

  DnsWrites(dns::Name zone, dns::tsig::Key key, std::string tag)
      : zone_(std::move(zone)), key_(std::move(key)), tag_(std::move(tag)) {}

  int open(const Endpoint& server) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) fail("socket");
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&server.address), sizeof server.address) !=
        0)
      fail("connect " + server.text);
    return fd;
  }

  void send(Slot& slot) {
    const std::uint64_t n = next_++;
    dns::Message m;
    m.header.id = slot.id = static_cast<std::uint16_t>(n * 2654435761u >> 7);
    m.header.opcode = dns::opcode::UPDATE;
    m.questions.push_back({zone_, dns::type::SOA, dns::rclass::IN});
    m.authority.push_back(
        dns::Record{dns::Name::from_text(fmt::format("{}-{}", tag_, n), zone_),
                    dns::type::A,
                    dns::rclass::IN,
                    300,
                    {10, static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
                     static_cast<std::uint8_t>(n)}});
    std::vector<std::uint8_t> wire = dns::encode_message(m);
    dns::tsig::Signer(key_, {}).sign(wire, static_cast<std::uint64_t>(std::time(nullptr)));
    if (::send(slot.fd, wire.data(), wire.size(), 0) < 0 && errno != EAGAIN)
      fail("send");  // EAGAIN: lost, as UDP may; the timeout sends the next one
  }

  // Reads what arrived; true once the slot's answer did (`ok`: NOERROR).
  bool receive(Slot& slot, bool& ok) {
    std::uint8_t buffer[4096];
    for (;;) {
      const ssize_t n = ::recv(slot.fd, buffer, sizeof buffer, 0);
      if (n < 0) return false;  // EAGAIN, or an ICMP error: the timeout resends
      if (n < 12) continue;
      const std::uint16_t id = static_cast<std::uint16_t>(buffer[0] << 8 | buffer[1]);
      if (!slot.in_flight || id != slot.id || (buffer[2] & 0x80) == 0) continue;  // late answer
      ok = (buffer[3] & 0x0f) == 0;
      return true;
    }
  }

 private:
  dns::Name zone_;
  dns::tsig::Key key_;
  std::string tag_;
  std::uint64_t next_ = 0;
};

// etcd v3 JSON gateway: POST /v3/kv/put of a distinct key (base64, as that API wants).
class EtcdWrites {
 public:
  // A late response would be taken for the next request's: the slot stays idle.
  static constexpr bool kRetryAfterTimeout = false;

  EtcdWrites(const Endpoint& server, std::string tag) : prefix_(std::move(tag) + "-") {
    // Every key has the same length, so every request is this one with other key characters:
    // the loop only writes those (as the wrk script keeps its base64 groups precomputed).
    const std::string key = base64(fmt::format("{}{:09}", prefix_, 0));
    const std::string body =
        fmt::format(R"({{"key":"{}","value":"{}"}})", key, base64("192.0.2.1"));
    request_ = fmt::format(
        "POST /v3/kv/put HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n"
        "Content-Length: {}\r\n\r\n",
        server.text, body.size());
    key_at_ = request_.size() + body.find(key);
    request_ += body;
  }

  int open(const Endpoint& server) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) fail("socket");
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&server.address), sizeof server.address) !=
        0)
      fail("connect " + server.text);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
  }

  void send(Slot& slot) {
    const std::string key = base64(fmt::format("{}{:09}", prefix_, next_++));
    request_.replace(key_at_, key.size(), key);
    std::size_t sent = 0;
    while (sent < request_.size()) {  // a few hundred bytes: the socket buffer takes them
      const ssize_t n =
          ::send(slot.fd, request_.data() + sent, request_.size() - sent, MSG_NOSIGNAL);
      if (n < 0) fail("send");
      sent += static_cast<std::size_t>(n);
    }
    slot.received.clear();
  }

  // Reads what arrived; true once the whole response did (`ok`: status 200).
  bool receive(Slot& slot, bool& ok) {
    char buffer[8192];
    const ssize_t n = ::recv(slot.fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n == 0) throw std::runtime_error("etcd closed a connection");
    if (n < 0) {
      if (errno == EAGAIN) return false;
      fail("recv");
    }
    slot.received.append(buffer, static_cast<std::size_t>(n));
    return complete(slot.received, ok);
  }

 private:
  // Whether `r` holds a whole HTTP/1.1 response (Content-Length or chunked body).
  static bool complete(const std::string& r, bool& ok) {
    const auto head_end = r.find("\r\n\r\n");
    if (head_end == std::string::npos) return false;
    ok = r.compare(0, 12, "HTTP/1.1 200") == 0;
    std::string head = r.substr(0, head_end);
    std::transform(head.begin(), head.end(), head.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const std::size_t body = head_end + 4;
    if (const auto at = head.find("\r\ncontent-length:"); at != std::string::npos)
      return r.size() >= body + std::stoul(head.substr(at + 17));
    if (head.find("\r\ntransfer-encoding: chunked") != std::string::npos)
      return r.size() >= 5 && r.compare(r.size() - 5, 5, "0\r\n\r\n") == 0;
    throw std::runtime_error("etcd answered without Content-Length or a chunked body");
  }

  static std::string base64(std::string_view in) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
      const unsigned v = static_cast<unsigned char>(in[i]) << 16 |
                         static_cast<unsigned char>(in[i + 1]) << 8 |
                         static_cast<unsigned char>(in[i + 2]);
      for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[v >> shift & 63];
    }
    if (i < in.size()) {
      unsigned v = static_cast<unsigned char>(in[i]) << 16;
      if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
      out += kAlphabet[v >> 18 & 63];
      out += kAlphabet[v >> 12 & 63];
      out += i + 1 < in.size() ? kAlphabet[v >> 6 & 63] : '=';
      out += '=';
    }
    return out;
  }

  std::string prefix_;
  std::string request_;     // the request of key number 0
  std::size_t key_at_ = 0;  // where its key's base64 starts
  std::uint64_t next_ = 0;
};

// The loop both protocols share: keep every slot busy until `duration`, then collect the
// answers still due (for at most `timeout`).
template <typename Writes>
Tally run(Writes& writes, const Endpoint& server, int clients, std::chrono::milliseconds duration,
          std::chrono::milliseconds timeout) {
  std::vector<Slot> slots(static_cast<std::size_t>(clients));
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) fail("epoll_create1");
  for (std::size_t i = 0; i < slots.size(); ++i) {
    slots[i].fd = writes.open(server);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    if (::epoll_ctl(ep, EPOLL_CTL_ADD, slots[i].fd, &ev) != 0) fail("epoll_ctl");
  }
  Tally tally;
  tally.latencies_us.reserve(1 << 20);
  const Clock::time_point start = Clock::now();
  const Clock::time_point stop = start + duration;
  auto start_one = [&](Slot& slot, Clock::time_point now) {
    slot.in_flight = true;
    slot.sent = now;
    writes.send(slot);
  };
  for (Slot& slot : slots) start_one(slot, start);
  std::vector<epoll_event> events(slots.size());
  Clock::time_point last_sweep = start;
  for (;;) {
    const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 10);
    if (n < 0 && errno != EINTR) fail("epoll_wait");
    Clock::time_point now = Clock::now();
    for (int i = 0; i < n; ++i) {
      Slot& slot = slots[events[static_cast<std::size_t>(i)].data.u64];
      bool ok = false;
      if (!writes.receive(slot, ok) || !slot.in_flight) continue;
      tally.answered(slot.sent, now, ok);
      slot.in_flight = false;
      if (now < stop) start_one(slot, now);
    }
    if (now - last_sweep >= std::chrono::milliseconds(100)) {
      last_sweep = now;
      for (Slot& slot : slots) {
        if (!slot.in_flight || now - slot.sent < timeout) continue;
        ++tally.timeouts;
        slot.in_flight = false;
        if (now < stop && Writes::kRetryAfterTimeout) start_one(slot, now);
      }
    }
    const bool busy =
        std::any_of(slots.begin(), slots.end(), [](const Slot& s) { return s.in_flight; });
    if (now >= stop && (!busy || now - stop >= timeout)) break;
  }
  for (Slot& slot : slots) {
    if (slot.in_flight) ++tally.timeouts;
    ::close(slot.fd);
  }
  ::close(ep);
  if (tally.last_answer > start)
    tally.elapsed =
        std::chrono::duration_cast<std::chrono::microseconds>(tally.last_answer - start);
  return tally;
}

std::uint32_t percentile(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const std::size_t at =
      std::min(sorted.size() - 1, static_cast<std::size_t>(p / 100.0 * sorted.size()));
  return sorted[at];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Closed-loop writes (DNS UPDATE or etcd PUT) for experiments/update_bench"};
  std::string dns_server, etcd_server, zone = "example.com", key_name, secret, tag = "w";
  std::string algorithm = "hmac-sha256";
  int clients = 8;
  double seconds = 5, timeout_s = 5;
  auto* target = app.add_option_group("target");
  target->add_option("--dns", dns_server, "a DNS server's UDP HOST:PORT");
  target->add_option("--etcd", etcd_server, "an etcd member's client HOST:PORT");
  target->require_option(1);
  app.add_option("--zone", zone, "the zone the UPDATEs add names to");
  app.add_option("--key-name", key_name, "TSIG key name (--dns)");
  app.add_option("--secret", secret, "TSIG key, base64 (--dns)");
  app.add_option("--algorithm", algorithm, "TSIG algorithm (--dns)");
  app.add_option("--clients", clients, "requests in flight")->check(CLI::Range(1, 10000));
  app.add_option("--duration", seconds, "seconds of sending")->check(CLI::Range(0.1, 3600.0));
  app.add_option("--timeout", timeout_s, "seconds before an answer counts as lost")
      ->check(CLI::Range(0.1, 60.0));
  app.add_option("--tag", tag, "prefix of this run's names or keys (distinct per run)");
  CLI11_PARSE(app, argc, argv);

  try {
    const auto duration = std::chrono::milliseconds(static_cast<long>(seconds * 1000));
    const auto timeout = std::chrono::milliseconds(static_cast<long>(timeout_s * 1000));
    Tally tally;
    if (!dns_server.empty()) {
      dns::tsig::Key key;
      key.name = dns::Name::from_text(key_name);
      const auto parsed = dns::tsig::algorithm_from_text(algorithm);
      if (!parsed) throw std::runtime_error("--algorithm: unknown: " + algorithm);
      key.algorithm = *parsed;
      const auto bytes = dns::tsig::base64_decode(secret);
      if (!bytes || bytes->empty()) throw std::runtime_error("--secret: not base64");
      key.secret = *bytes;
      DnsWrites writes(dns::Name::from_text(zone), std::move(key), tag);
      const Endpoint server = parse_endpoint(dns_server);
      tally = run(writes, server, clients, duration, timeout);
    } else {
      const Endpoint server = parse_endpoint(etcd_server);
      EtcdWrites writes(server, tag);
      tally = run(writes, server, clients, duration, timeout);
    }
    std::vector<std::uint32_t> sorted = tally.latencies_us;
    std::sort(sorted.begin(), sorted.end());
    const double mean =
        sorted.empty() ? 0.0 : std::accumulate(sorted.begin(), sorted.end(), 0.0) / sorted.size();
    std::printf(
        "RESULT requests=%zu committed=%llu failed=%llu timeouts=%llu duration_us=%lld "
        "p50_us=%u p99_us=%u mean_us=%.1f\n",
        sorted.size(), static_cast<unsigned long long>(tally.committed),
        static_cast<unsigned long long>(tally.failed),
        static_cast<unsigned long long>(tally.timeouts),
        static_cast<long long>(tally.elapsed.count()), percentile(sorted, 50),
        percentile(sorted, 99), mean);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "write-load: %s\n", e.what());
    return 1;
  }
}
