#include "dns/tsig.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <cctype>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "dns/error.h"
#include "dns/message.h"
#include "dns/types.h"
#include "dns/wire.h"

namespace dns::tsig {

namespace {

struct AlgorithmInfo {
  Algorithm algorithm;
  const char* text;
  const char* wire_name;
  std::size_t length;
};

constexpr std::array<AlgorithmInfo, 6> kAlgorithms = {{
    {Algorithm::HmacMd5, "hmac-md5", "hmac-md5.sig-alg.reg.int.", 16},
    {Algorithm::HmacSha1, "hmac-sha1", "hmac-sha1.", 20},
    {Algorithm::HmacSha224, "hmac-sha224", "hmac-sha224.", 28},
    {Algorithm::HmacSha256, "hmac-sha256", "hmac-sha256.", 32},
    {Algorithm::HmacSha384, "hmac-sha384", "hmac-sha384.", 48},
    {Algorithm::HmacSha512, "hmac-sha512", "hmac-sha512.", 64},
}};

const AlgorithmInfo& info(Algorithm a) {
  return kAlgorithms[static_cast<std::size_t>(a)];
}

const EVP_MD* digest(Algorithm a) {
  switch (a) {
    case Algorithm::HmacMd5:
      return EVP_md5();
    case Algorithm::HmacSha1:
      return EVP_sha1();
    case Algorithm::HmacSha224:
      return EVP_sha224();
    case Algorithm::HmacSha256:
      return EVP_sha256();
    case Algorithm::HmacSha384:
      return EVP_sha384();
    case Algorithm::HmacSha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void put32(std::vector<uint8_t>& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v));
}
void put48(std::vector<uint8_t>& out, uint64_t v) {
  put16(out, static_cast<uint16_t>(v >> 32));
  put32(out, static_cast<uint32_t>(v));
}
void put_bytes(std::vector<uint8_t>& out, std::span<const uint8_t> b) {
  out.insert(out.end(), b.begin(), b.end());
}
void put_name(std::vector<uint8_t>& out, const Name& name) {
  const std::string& w = name.wire();
  out.insert(out.end(), w.begin(), w.end());
}

// The TSIG variables of RFC 8945 §4.3.3 (all of them, or only the timers).
void put_variables(std::vector<uint8_t>& out, const Record& r, bool timers_only) {
  if (!timers_only) {
    put_name(out, r.key_name.lowercased());
    put16(out, rclass::ANY);
    put32(out, 0);  // TTL
    put_name(out, r.algorithm.lowercased());
  }
  put48(out, r.time_signed);
  put16(out, r.fudge);
  if (timers_only) return;
  put16(out, r.error);
  put16(out, static_cast<uint16_t>(r.other.size()));
  put_bytes(out, r.other);
}

// The TSIG RR in wire form (names uncompressed, as RFC 8945 §4.2 requires).
void put_record(std::vector<uint8_t>& out, const Record& r) {
  put_name(out, r.key_name);
  put16(out, kType);
  put16(out, rclass::ANY);
  put32(out, 0);
  std::vector<uint8_t> rdata;
  put_name(rdata, r.algorithm);
  put48(rdata, r.time_signed);
  put16(rdata, r.fudge);
  put16(rdata, static_cast<uint16_t>(r.mac.size()));
  put_bytes(rdata, r.mac);
  put16(rdata, r.original_id);
  put16(rdata, r.error);
  put16(rdata, static_cast<uint16_t>(r.other.size()));
  put_bytes(rdata, r.other);
  put16(out, static_cast<uint16_t>(rdata.size()));
  put_bytes(out, rdata);
}

uint16_t get16(std::span<const uint8_t> m, std::size_t at) {
  return static_cast<uint16_t>(m[at] << 8 | m[at + 1]);
}

void add_to_arcount(std::vector<uint8_t>& message, int delta) {
  if (message.size() < kHeaderSize) throw FormatError("message shorter than its header");
  const uint16_t ar = static_cast<uint16_t>(get16(message, 10) + delta);
  message[10] = static_cast<uint8_t>(ar >> 8);
  message[11] = static_cast<uint8_t>(ar);
}

// The message as it was before the TSIG was added: original id, ARCOUNT one lower.
std::vector<uint8_t> unsigned_part(std::span<const uint8_t> message, const Located& tsig) {
  std::vector<uint8_t> out(message.begin(), message.begin() + static_cast<long>(tsig.offset));
  out[0] = static_cast<uint8_t>(tsig.record.original_id >> 8);
  out[1] = static_cast<uint8_t>(tsig.record.original_id);
  add_to_arcount(out, -1);
  return out;
}

Name read_name(wire::Reader& r, const char* what) {
  std::string out;
  std::size_t end = wire::read_compressed_name(r.data(), r.position(), r.data().size(), out, what);
  r.seek(end);
  return Name::from_validated_wire(std::move(out));
}

}  // namespace

std::optional<Algorithm> algorithm_from_text(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.ends_with('.')) lower.pop_back();
  for (const AlgorithmInfo& a : kAlgorithms) {
    std::string_view wire = a.wire_name;
    wire.remove_suffix(1);
    if (lower == a.text || lower == wire) return a.algorithm;
  }
  return std::nullopt;
}

const Name& algorithm_name(Algorithm algorithm) {
  static const std::array<Name, 6> names = [] {
    std::array<Name, 6> n;
    for (std::size_t i = 0; i < kAlgorithms.size(); ++i)
      n[i] = Name::from_text(kAlgorithms[i].wire_name);
    return n;
  }();
  return names[static_cast<std::size_t>(algorithm)];
}

std::optional<Algorithm> algorithm_from_name(const Name& name) {
  for (const AlgorithmInfo& a : kAlgorithms)
    if (algorithm_name(a.algorithm) == name) return a.algorithm;
  return std::nullopt;
}

std::string algorithm_text(Algorithm algorithm) {
  return info(algorithm).text;
}

std::size_t mac_length(Algorithm algorithm) {
  return info(algorithm).length;
}

namespace {

struct MacContextFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

// This thread's HMAC context for `algorithm`, made on first use. OpenSSL 3's one-shot HMAC()
// looks up the MAC and digest implementations on every call, which cost more than hashing a DNS
// message (a sixth of an UPDATE's CPU on the leader); a context keeps them and takes a new key
// per call.
EVP_MAC_CTX* mac_context(Algorithm algorithm) {
  thread_local std::array<std::unique_ptr<EVP_MAC_CTX, MacContextFree>, 6> contexts;
  auto& ctx = contexts.at(static_cast<std::size_t>(algorithm));
  if (!ctx) {
    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);  // kept for the process
    if (mac == nullptr) throw std::runtime_error("OpenSSL has no HMAC");
    std::unique_ptr<EVP_MAC_CTX, MacContextFree> made(EVP_MAC_CTX_new(mac));
    const std::string name = EVP_MD_get0_name(digest(algorithm));
    std::array<OSSL_PARAM, 2> params{
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(name.c_str()), 0),
        OSSL_PARAM_construct_end()};
    if (!made || EVP_MAC_CTX_set_params(made.get(), params.data()) != 1)
      throw std::runtime_error(fmt::format("OpenSSL HMAC with {} unavailable", name));
    ctx = std::move(made);
  }
  return ctx.get();
}

}  // namespace

std::vector<uint8_t> hmac(Algorithm algorithm, std::span<const uint8_t> key,
                          std::span<const uint8_t> data) {
  EVP_MAC_CTX* ctx = mac_context(algorithm);
  std::vector<uint8_t> out(EVP_MAX_MD_SIZE);
  std::size_t length = 0;
  // An empty key is passed as a valid pointer: OpenSSL treats a null key as "reuse the last".
  static const uint8_t kEmpty = 0;
  if (EVP_MAC_init(ctx, key.empty() ? &kEmpty : key.data(), key.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx, data.data(), data.size()) != 1 ||
      EVP_MAC_final(ctx, out.data(), &length, out.size()) != 1)
    throw std::runtime_error("OpenSSL HMAC failed");
  out.resize(length);
  return out;
}

std::optional<Located> find(std::span<const uint8_t> message) {
  if (message.size() < kHeaderSize)
    throw FormatError(
        fmt::format("message of {} octets is shorter than the 12-octet header", message.size()));
  wire::Reader r(message, 4);
  const uint16_t qd = r.u16("QDCOUNT");
  const uint32_t records =
      uint32_t{r.u16("ANCOUNT")} + uint32_t{r.u16("NSCOUNT")} + uint32_t{r.u16("ARCOUNT")};
  std::string scratch;
  for (uint16_t i = 0; i < qd; ++i) {
    scratch.clear();
    r.seek(wire::read_compressed_name(message, r.position(), message.size(), scratch,
                                      "question name"));
    r.u16("question type");
    r.u16("question class");
  }
  std::optional<Located> found;
  for (uint32_t i = 0; i < records; ++i) {
    const std::size_t start = r.position();
    Name owner = read_name(r, "owner name");
    const uint16_t type = r.u16("record type");
    const uint16_t rclass = r.u16("record class");
    r.u32("record TTL");
    const uint16_t rdlength = r.u16("rdata length");
    const std::size_t rdata_start = r.position();
    r.bytes(rdlength, "rdata");
    if (type != kType) continue;
    if (i + 1 != records) throw FormatError("TSIG record is not the last record of the message");
    if (rclass != rclass::ANY)
      throw FormatError(fmt::format("TSIG record of class {}, expected ANY", rclass));
    wire::Reader d(message.first(rdata_start + rdlength), rdata_start);
    Located located;
    located.offset = start;
    Record& t = located.record;
    t.key_name = std::move(owner);
    t.algorithm = read_name(d, "TSIG algorithm name");
    const uint64_t high = d.u16("TSIG time signed");
    t.time_signed = high << 32 | d.u32("TSIG time signed");
    t.fudge = d.u16("TSIG fudge");
    const uint16_t mac_size = d.u16("TSIG MAC size");
    auto mac = d.bytes(mac_size, "TSIG MAC");
    t.mac.assign(mac.begin(), mac.end());
    t.original_id = d.u16("TSIG original id");
    t.error = d.u16("TSIG error");
    const uint16_t other_len = d.u16("TSIG other length");
    auto other = d.bytes(other_len, "TSIG other data");
    t.other.assign(other.begin(), other.end());
    if (d.remaining() != 0)
      throw FormatError(fmt::format("TSIG rdata has {} unused octets", d.remaining()));
    found = std::move(located);
  }
  if (r.remaining() != 0)
    throw FormatError(fmt::format("{} trailing octets after the last record", r.remaining()));
  return found;
}

Verified verify_request(std::span<const uint8_t> message, const Located& tsig,
                        const KeyLookup& lookup, uint64_t now) {
  Verified v;
  v.record = tsig.record;
  const Key* key = lookup(tsig.record.key_name);
  const std::optional<Algorithm> algorithm = algorithm_from_name(tsig.record.algorithm);
  if (key == nullptr || !algorithm || *algorithm != key->algorithm) {
    v.error = error::BADKEY;
    return v;
  }
  v.key = key;
  const std::size_t full = mac_length(key->algorithm);
  const std::size_t size = tsig.record.mac.size();
  if (size > full || size < std::max<std::size_t>(10, full / 2)) {
    v.formerr = true;
    v.error = error::BADSIG;
    return v;
  }
  std::vector<uint8_t> data = unsigned_part(message, tsig);
  put_variables(data, tsig.record, false);
  const std::vector<uint8_t> expected = hmac(key->algorithm, key->secret, data);
  if (CRYPTO_memcmp(expected.data(), tsig.record.mac.data(), size) != 0) {
    v.error = error::BADSIG;
    return v;
  }
  if (size < full) {
    v.error = error::BADTRUNC;
    return v;
  }
  const uint64_t t = tsig.record.time_signed;
  const uint64_t skew = now > t ? now - t : t - now;
  if (skew > tsig.record.fudge) v.error = error::BADTIME;
  return v;
}

Signer::Signer(const Key& key, std::vector<uint8_t> request_mac, uint16_t fudge)
    : key_(key), prior_mac_(std::move(request_mac)), fudge_(fudge) {}

void Signer::sign(std::vector<uint8_t>& message, uint64_t now, uint16_t error,
                  std::span<const uint8_t> other) {
  if (message.size() < kHeaderSize) throw FormatError("message shorter than its header");
  Record r;
  r.key_name = key_.name;
  r.algorithm = algorithm_name(key_.algorithm);
  r.time_signed = now & 0xffffffffffffULL;
  r.fudge = fudge_;
  r.original_id = get16(message, 0);
  r.error = error;
  r.other.assign(other.begin(), other.end());
  std::vector<uint8_t> data;
  if (!prior_mac_.empty()) {
    put16(data, static_cast<uint16_t>(prior_mac_.size()));
    put_bytes(data, prior_mac_);
  }
  put_bytes(data, message);
  put_variables(data, r, !first_);
  r.mac = hmac(key_.algorithm, key_.secret, data);
  put_record(message, r);
  add_to_arcount(message, 1);
  prior_mac_ = r.mac;
  first_ = false;
}

void append(std::vector<uint8_t>& message, const Record& record) {
  put_record(message, record);
  add_to_arcount(message, 1);
}

void append_unsigned(std::vector<uint8_t>& message, const Record& request, uint64_t now,
                     uint16_t error) {
  Record r;
  r.key_name = request.key_name;
  r.algorithm = request.algorithm;
  r.time_signed = now & 0xffffffffffffULL;
  r.fudge = request.fudge;
  r.original_id = get16(message, 0);
  r.error = error;
  put_record(message, r);
  add_to_arcount(message, 1);
}

bool verify_response(std::span<const uint8_t> message, const Key& key,
                     std::span<const uint8_t> request_mac) {
  const std::optional<Located> tsig = find(message);
  if (!tsig || tsig->record.mac.size() != mac_length(key.algorithm)) return false;
  std::vector<uint8_t> data;
  put16(data, static_cast<uint16_t>(request_mac.size()));
  put_bytes(data, request_mac);
  put_bytes(data, unsigned_part(message, *tsig));
  put_variables(data, tsig->record, false);
  const std::vector<uint8_t> expected = hmac(key.algorithm, key.secret, data);
  return CRYPTO_memcmp(expected.data(), tsig->record.mac.data(), expected.size()) == 0;
}

std::optional<std::vector<uint8_t>> base64_decode(std::string_view text) {
  std::string clean;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) clean.push_back(c);
  if (clean.empty() || clean.size() % 4 != 0) return std::nullopt;
  for (std::size_t i = 0; i < clean.size(); ++i) {
    const char c = clean[i];
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' ||
                    (c == '=' && i + 2 >= clean.size());
    if (!ok) return std::nullopt;
  }
  std::vector<uint8_t> out(clean.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(clean.data()),
                                static_cast<int>(clean.size()));
  if (n < 0) return std::nullopt;
  std::size_t pad = 0;
  if (clean.ends_with("=="))
    pad = 2;
  else if (clean.ends_with('='))
    pad = 1;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

}  // namespace dns::tsig
