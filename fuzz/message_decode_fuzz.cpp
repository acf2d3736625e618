// libFuzzer target for the DNS message decoder: decoding must never crash, and any message it
// accepts must survive encode -> decode unchanged.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "dns/error.h"
#include "dns/message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dns::Message first;
  try {
    first = dns::decode_message(std::span<const uint8_t>(data, size));
  } catch (const dns::FormatError&) {
    return 0;
  }
  std::vector<uint8_t> wire = dns::encode_message(first);
  dns::Message second = dns::decode_message(wire);
  // Compression can make the decoded form bigger than 64 KiB; then records are dropped by design.
  bool dropped = second.answer.size() != first.answer.size() ||
                 second.authority.size() != first.authority.size() ||
                 second.additional.size() != first.additional.size();
  if (!dropped && !(second == first)) {
    std::fprintf(stderr, "message changed across encode -> decode\n");
    std::abort();
  }
  return 0;
}
