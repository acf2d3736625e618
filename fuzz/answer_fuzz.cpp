// libFuzzer target for the answer path: any bytes given to answer_query on a small zone with every
// kind of data (delegation, wildcard, CNAME chain and loop) produce either nothing or a response
// that fits the limit and decodes.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dns/answer.h"
#include "dns/error.h"
#include "dns/message.h"
#include "dns/zone_db.h"
#include "dns/zone_parser.h"

namespace {

constexpr char kZone[] = R"($ORIGIN example.org.
$TTL 300
@        IN SOA ns1 hostmaster 1 3600 600 86400 300
@        IN NS  ns1
@        IN MX  10 mail
ns1      IN A   192.0.2.1
mail     IN A   192.0.2.2
mail     IN AAAA 2001:db8::2
www      IN CNAME web
web      IN CNAME www.example.org.
alias    IN CNAME mail
*.wild   IN TXT "wildcard" "two strings"
sub      IN NS  ns.sub
ns.sub   IN A   192.0.2.3
a.b.c    IN A   192.0.2.4
_sip._tcp IN SRV 0 5 5060 mail
@        IN CAA 0 issue "ca.example"
)";

const dns::Database& database() {
  static dns::Database* db = [] {
    auto* d = new dns::Database();
    d->load(dns::parse_master_file(kZone, "fuzz.zone", {}).records);
    return d;
  }();
  return *db;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::vector<uint8_t> out(65535);
  auto version = database().current();
  for (bool tcp : {false, true}) {
    size_t n = dns::answer_query(*version, {data, size}, out, {.tcp = tcp});
    if (n == 0) continue;
    if (n > out.size() || (!tcp && n > 1232)) __builtin_trap();
    try {
      dns::decode_message({out.data(), n});
    } catch (const dns::Error&) {
      __builtin_trap();  // our own responses must always decode
    }
  }
  return 0;
}
