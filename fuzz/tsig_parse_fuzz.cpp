// libFuzzer target for what a node does with a received DNS UPDATE before raft: finding and
// parsing the TSIG record, verifying it with a configured key, decoding the message and reading
// it as an UPDATE, then evaluating that against a small zone. Nothing may crash; a message whose
// TSIG verifies must really carry this key's MAC.
#include <cstdint>
#include <cstdlib>

#include "dns/error.h"
#include "dns/message.h"
#include "dns/tsig.h"
#include "dns/update.h"
#include "dns/zone_parser.h"

namespace {

const dns::tsig::Key& test_key() {
  static const dns::tsig::Key key{dns::Name::from_text("ddns-key."),
                                  dns::tsig::Algorithm::HmacSha256, std::vector<uint8_t>(32, 0x5a)};
  return key;
}

dns::Database& test_db() {
  static dns::Database* db = [] {
    auto* d = new dns::Database;  // lives for the whole run
    d->load(dns::parse_master_file("example.com. 300 IN SOA ns1.example.com. h.example.com. 1 2 3 "
                                   "4 5\nexample.com. 300 IN NS ns1.example.com.\n"
                                   "www.example.com. 300 IN A 192.0.2.1\n",
                                   "fuzz", {})
                .records);
    return d;
  }();
  return *db;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> message(data, size);
  std::optional<dns::tsig::Located> tsig;
  try {
    tsig = dns::tsig::find(message);
  } catch (const dns::FormatError&) {
    return 0;
  }
  if (tsig) {
    if (tsig->offset >= size) std::abort();
    const dns::tsig::Verified v = dns::tsig::verify_request(
        message, *tsig,
        [](const dns::Name& n) { return n == test_key().name ? &test_key() : nullptr; },
        tsig->record.time_signed);
    if (v.error == 0 && (v.key == nullptr || v.formerr)) std::abort();
  }
  dns::Message decoded;
  try {
    decoded = dns::decode_message(message);
  } catch (const dns::FormatError&) {
    return 0;
  }
  if (tsig && !decoded.additional.empty()) decoded.additional.pop_back();
  const dns::update::Parsed parsed = dns::update::parse(decoded);
  if (parsed.rcode != dns::rcode::NOERROR) return 0;
  const dns::update::Outcome outcome = dns::update::evaluate(*test_db().current(), parsed.request);
  if (outcome.rcode != dns::rcode::NOERROR && !outcome.changes.empty()) std::abort();
  return 0;
}
