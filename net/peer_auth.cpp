#include "net/peer_auth.h"

#include <cstring>
#include <string_view>

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "net/peer_frame.h"

namespace net {

namespace {

constexpr std::string_view kTranscriptLabel{"raftdns peer auth v2\0", 21};
constexpr std::string_view kAcceptorProofLabel = "raftdns acceptor proof";
constexpr std::string_view kDialerProofLabel = "raftdns dialer proof";
constexpr std::string_view kFrameKeyLabel = "raftdns dialer-to-acceptor frames";
constexpr std::size_t kKeySize = 32;

char kSha256Name[] = "SHA256";

[[noreturn]] void openssl_failed(const char* what) {
  throw Error(fmt::format("OpenSSL: {} failed", what));
}

engine::ByteView as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::array<std::uint8_t, 4> be32(std::size_t n) {
  return {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
          static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
}

// SHA-256 of the concatenation of `parts`.
std::array<std::uint8_t, 32> sha256(std::initializer_list<engine::ByteView> parts) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) openssl_failed("SHA-256");
  for (auto part : parts)
    if (EVP_DigestUpdate(ctx.get(), part.data(), part.size()) != 1) openssl_failed("SHA-256");
  std::array<std::uint8_t, 32> out{};
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out.data(), &size) != 1 || size != out.size())
    openssl_failed("SHA-256");
  return out;
}

SecretBytes hkdf_sha256(engine::ByteView key, engine::ByteView salt, std::string_view info) {
  std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr),
                                                        EVP_KDF_free);
  if (!kdf) openssl_failed("HKDF");
  std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(EVP_KDF_CTX_new(kdf.get()),
                                                                EVP_KDF_CTX_free);
  if (!ctx) openssl_failed("HKDF");
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, kSha256Name, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(key.data()),
                                        key.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<std::uint8_t*>(salt.data()),
                                        salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()),
                                        info.size()),
      OSSL_PARAM_construct_end(),
  };
  std::vector<std::uint8_t> out(kKeySize);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) openssl_failed("HKDF");
  return SecretBytes(std::move(out));
}

// Owns an HMAC-SHA256 context keyed once; each message re-initialises it with that key.
struct HmacContext {
  explicit HmacContext(const SecretBytes& key) {
    std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr),
                                                          EVP_MAC_free);
    if (!mac) openssl_failed("HMAC");
    ctx = EVP_MAC_CTX_new(mac.get());
    if (!ctx) openssl_failed("HMAC");
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, kSha256Name, 0),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_MAC_init(ctx, key.view().data(), key.size(), params) != 1) {
      EVP_MAC_CTX_free(ctx);
      openssl_failed("HMAC");
    }
    keyed = true;
  }
  ~HmacContext() { EVP_MAC_CTX_free(ctx); }

  void start() {
    // The first message uses the init above; later ones re-initialise with the same key
    // (a NULL key keeps the one set before).
    if (!keyed && EVP_MAC_init(ctx, nullptr, 0, nullptr) != 1) openssl_failed("HMAC");
    keyed = false;
  }
  void update(engine::ByteView bytes) {
    if (EVP_MAC_update(ctx, bytes.data(), bytes.size()) != 1) openssl_failed("HMAC");
  }
  std::array<std::uint8_t, 32> finish() {
    std::array<std::uint8_t, 32> out{};
    std::size_t size = 0;
    if (EVP_MAC_final(ctx, out.data(), &size, out.size()) != 1 || size != out.size())
      openssl_failed("HMAC");
    return out;
  }

  EVP_MAC_CTX* ctx = nullptr;
  bool keyed = false;
};

PeerProof hmac_sha256(const SecretBytes& key, engine::ByteView message) {
  HmacContext hmac(key);
  hmac.start();
  hmac.update(message);
  return hmac.finish();
}

bool same(const PeerProof& a, const PeerProof& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

PeerNonce fresh_nonce() {
  PeerNonce nonce{};
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) openssl_failed("RAND_bytes");
  return nonce;
}

PeerSessionKeys::PeerSessionKeys(engine::ByteView cluster_key, engine::ByteView dialer_hello,
                                 engine::ByteView acceptor_hello) {
  const auto dialer_size = be32(dialer_hello.size());
  const auto acceptor_size = be32(acceptor_hello.size());
  transcript_hash_ = sha256(
      {as_bytes(kTranscriptLabel), dialer_size, dialer_hello, acceptor_size, acceptor_hello});
  acceptor_proof_key_ = hkdf_sha256(cluster_key, transcript_hash_, kAcceptorProofLabel);
  dialer_proof_key_ = hkdf_sha256(cluster_key, transcript_hash_, kDialerProofLabel);
  frame_key_ = hkdf_sha256(cluster_key, transcript_hash_, kFrameKeyLabel);
}

PeerProof PeerSessionKeys::acceptor_proof() const {
  return hmac_sha256(acceptor_proof_key_, transcript_hash_);
}

PeerProof PeerSessionKeys::dialer_proof() const {
  return hmac_sha256(dialer_proof_key_, transcript_hash_);
}

bool PeerSessionKeys::acceptor_proof_matches(const PeerProof& proof) const {
  return same(acceptor_proof(), proof);
}

bool PeerSessionKeys::dialer_proof_matches(const PeerProof& proof) const {
  return same(dialer_proof(), proof);
}

struct FrameMac::State : HmacContext {
  using HmacContext::HmacContext;
};

FrameMac::FrameMac(const SecretBytes& key) : state_(std::make_unique<State>(key)) {}
FrameMac::~FrameMac() = default;

std::array<std::uint8_t, kFrameTagSize> FrameMac::tag(engine::ByteView header,
                                                      engine::ByteView payload) {
  state_->start();
  state_->update(header);
  state_->update(payload);
  const auto full = state_->finish();
  std::array<std::uint8_t, kFrameTagSize> out;
  std::memcpy(out.data(), full.data(), out.size());
  return out;
}

FrameSealer::Sealed FrameSealer::seal(engine::ByteView payload) {
  Sealed sealed;
  const auto length = frame_header(kAuthenticatedFrameOverhead + payload.size());
  std::memcpy(sealed.prefix.data(), length.data(), length.size());
  const std::uint64_t sequence = next_sequence_++;
  for (std::size_t i = 0; i < kFrameSequenceSize; ++i)
    sealed.prefix[4 + i] = static_cast<std::uint8_t>(sequence >> (56 - 8 * i));
  sealed.tag = mac_.tag(sealed.prefix, payload);
  return sealed;
}

engine::ByteView FrameOpener::open(engine::ByteView body) {
  if (body.size() < kAuthenticatedFrameOverhead)
    throw PeerProtocolError(fmt::format(
        "authenticated frame of {} bytes, shorter than its sequence number and tag", body.size()));
  std::array<std::uint8_t, FrameSealer::kPrefixSize> prefix;
  const auto length = frame_header(body.size());
  std::memcpy(prefix.data(), length.data(), length.size());
  std::memcpy(prefix.data() + length.size(), body.data(), kFrameSequenceSize);
  const engine::ByteView payload =
      body.subspan(kFrameSequenceSize, body.size() - kAuthenticatedFrameOverhead);
  const engine::ByteView tag = body.last(kFrameTagSize);
  const auto expected = mac_.tag(prefix, payload);
  if (CRYPTO_memcmp(expected.data(), tag.data(), kFrameTagSize) != 0)
    throw PeerProtocolError("frame failed authentication (forged or corrupted)");
  std::uint64_t sequence = 0;
  for (std::size_t i = 0; i < kFrameSequenceSize; ++i) sequence = (sequence << 8) | body[i];
  if (sequence != next_sequence_)
    throw PeerProtocolError(
        fmt::format("frame sequence number {} where {} was expected (replayed or reordered)",
                    sequence, next_sequence_));
  ++next_sequence_;
  return payload;
}

engine::Bytes seal_frame(FrameSealer& sealer, engine::ByteView payload) {
  const auto sealed = sealer.seal(payload);
  engine::Bytes out(sealed.prefix.size() + payload.size() + sealed.tag.size());
  std::memcpy(out.data(), sealed.prefix.data(), sealed.prefix.size());
  if (!payload.empty())
    std::memcpy(out.data() + sealed.prefix.size(), payload.data(), payload.size());
  std::memcpy(out.data() + sealed.prefix.size() + payload.size(), sealed.tag.data(),
              sealed.tag.size());
  return out;
}

}  // namespace net
