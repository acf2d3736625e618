#pragma once
// TSIG (RFC 8945): transaction signatures on DNS messages with a shared HMAC key. Finding and
// parsing the TSIG record of a received message, verifying a request, and signing responses
// (one, or each message of a multi-message answer with the MAC carried from one to the next).
// The HMAC is OpenSSL's; the current time is always passed in (this library reads no clock).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dns/name.h"

namespace dns::tsig {

inline constexpr uint16_t kType = 250;          // TSIG RR type
inline constexpr uint16_t kNotAuth = 9;         // rcode NOTAUTH
inline constexpr uint16_t kDefaultFudge = 300;  // seconds of clock skew accepted (RFC 8945 §10)

// TSIG error field values (RFC 8945 §3).
namespace error {
inline constexpr uint16_t BADSIG = 16, BADKEY = 17, BADTIME = 18, BADTRUNC = 22;
}

enum class Algorithm { HmacMd5, HmacSha1, HmacSha224, HmacSha256, HmacSha384, HmacSha512 };

// "hmac-sha256" (as in config files and `nsupdate -y`), case-insensitive; none if unknown.
std::optional<Algorithm> algorithm_from_text(std::string_view text);
// The algorithm's name on the wire ("hmac-sha256.", "hmac-md5.sig-alg.reg.int.").
const Name& algorithm_name(Algorithm algorithm);
std::optional<Algorithm> algorithm_from_name(const Name& name);
std::string algorithm_text(Algorithm algorithm);  // "hmac-sha256"
std::size_t mac_length(Algorithm algorithm);      // full HMAC output, octets

// A shared key: its name (as in the TSIG record), algorithm and secret.
struct Key {
  Name name;
  Algorithm algorithm = Algorithm::HmacSha256;
  std::vector<uint8_t> secret;
};

// The rdata of a TSIG record, plus its owner (the key name).
struct Record {
  Name key_name;
  Name algorithm;
  uint64_t time_signed = 0;  // 48-bit seconds since the epoch
  uint16_t fudge = kDefaultFudge;
  std::vector<uint8_t> mac;
  uint16_t original_id = 0;
  uint16_t error = 0;
  std::vector<uint8_t> other;
};

// A message's TSIG record and where it starts in the message.
struct Located {
  Record record;
  std::size_t offset = 0;  // first octet of the TSIG RR: the message before it is what is MACed
};

// Finds the TSIG record, which must be the last record of the additional section. Returns none
// for a message without one. Throws FormatError for a malformed message or TSIG record, a TSIG
// that is not last, or one of a class other than ANY.
std::optional<Located> find(std::span<const uint8_t> message);

// What checking a signed request found.
struct Verified {
  uint16_t error = 0;        // 0, BADSIG, BADKEY, BADTIME or BADTRUNC
  const Key* key = nullptr;  // the key whose name and algorithm matched (null: BADKEY)
  Record record;             // the request's TSIG record
  bool formerr = false;      // a MAC length no HMAC can have: answer FORMERR (RFC 8945 §5.2.2.1)
};

// Looks a key up by name (the name's case does not matter); null when unknown.
using KeyLookup = std::function<const Key*(const Name&)>;

// Checks the request's TSIG (RFC 8945 §5.2): key and algorithm known (else BADKEY), MAC correct
// (else BADSIG), not truncated (else BADTRUNC: this server wants the full MAC), and `now`
// within the record's fudge of its time signed (else BADTIME).
Verified verify_request(std::span<const uint8_t> message, const Located& tsig,
                        const KeyLookup& lookup, uint64_t now);

// Signs the messages of one answer with one key. The first signature covers the request's MAC
// (RFC 8945 §5.3); each later one covers the previous MAC and only the timers (§5.3.1), as for
// the messages of a zone transfer.
class Signer {
 public:
  // `request_mac`: the MAC of the request being answered (empty for an unsigned request).
  Signer(const Key& key, std::vector<uint8_t> request_mac, uint16_t fudge = kDefaultFudge);

  // Appends a TSIG record to `message` (a complete message without one; its ARCOUNT goes up
  // by one) signed at `now` with this TSIG `error` and `other` data.
  void sign(std::vector<uint8_t>& message, uint64_t now, uint16_t error = 0,
            std::span<const uint8_t> other = {});
  // The MAC of the last message signed.
  const std::vector<uint8_t>& last_mac() const { return prior_mac_; }

 private:
  Key key_;
  std::vector<uint8_t> prior_mac_;
  uint16_t fudge_;
  bool first_ = true;
};

// Appends an unsigned TSIG record (MAC empty) carrying `error` to `message`, as the answer to a
// request whose key is unknown or whose MAC is wrong (RFC 8945 §5.2.1, §5.2.2).
void append_unsigned(std::vector<uint8_t>& message, const Record& request, uint64_t now,
                     uint16_t error);

// Appends `record` as a TSIG RR to `message` and raises its ARCOUNT (for tests and tools that
// build TSIG records by hand; sign() and append_unsigned() use it).
void append(std::vector<uint8_t>& message, const Record& record);

// Checks a signed response to a request we signed (a client's side; used by tests and for
// checking the signer against itself). True when the MAC matches.
bool verify_response(std::span<const uint8_t> message, const Key& key,
                     std::span<const uint8_t> request_mac);

// The HMAC of `data` under `key` (OpenSSL).
std::vector<uint8_t> hmac(Algorithm algorithm, std::span<const uint8_t> key,
                          std::span<const uint8_t> data);

// RFC 4648 base64 to bytes; none for anything that is not base64 (whitespace is skipped).
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);

}  // namespace dns::tsig
