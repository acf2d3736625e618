#include "net/request_tsig.h"

#include <ctime>

namespace net {

std::uint64_t tsig_now() {
  return static_cast<std::uint64_t>(std::time(nullptr));
}

RequestTsig RequestTsig::check(std::span<const std::uint8_t> query,
                               const std::optional<dns::tsig::Located>& located,
                               const ZonePolicyConfig& policy) {
  RequestTsig t;
  if (!located) return t;
  t.request = located->record;
  const dns::tsig::Verified v = dns::tsig::verify_request(
      query, *located, [&policy](const dns::Name& n) { return policy.key(n); }, tsig_now());
  t.key = v.key;
  t.error = v.error;
  if (v.formerr) {
    t.formerr = true;
    t.request.reset();
  }
  return t;
}

void RequestTsig::sign(std::vector<std::uint8_t>& message) const {
  if (!request) return;
  const std::uint64_t now = tsig_now();
  if (key == nullptr || error == dns::tsig::error::BADSIG || error == dns::tsig::error::BADKEY) {
    dns::tsig::append_unsigned(message, *request, now, error);
    return;
  }
  dns::tsig::Signer signer(*key, request->mac, request->fudge);
  if (error == dns::tsig::error::BADTIME) {
    // RFC 8945 §5.2.3: our time in Other Data, so the client can see the skew.
    std::vector<std::uint8_t> other(6);
    for (int i = 0; i < 6; ++i) other[i] = static_cast<std::uint8_t>(now >> (8 * (5 - i)));
    signer.sign(message, now, error, other);
    return;
  }
  signer.sign(message, now, error);
}

std::optional<dns::tsig::Signer> RequestTsig::signer() const {
  if (!signed_ok()) return std::nullopt;
  return dns::tsig::Signer(*key, request->mac, request->fudge);
}

}  // namespace net
