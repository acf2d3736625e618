#pragma once
// Authentication of peer connections with the cluster key, and integrity of every frame after
// it (OpenSSL's SHA-256, HKDF and HMAC; no sockets, no Asio: the fuzz build compiles this file
// on its own).
//
// Handshake (message layouts in net/peer_handshake.h): each side sends a hello with a fresh
// 32-byte nonce from RAND_bytes. Both sides then hash the two hellos, exactly as sent:
//   th = SHA-256("raftdns peer auth v2" 0x00 || u32 len(hello_d) || hello_d
//                                           || u32 len(hello_a) || hello_a)
// which binds both nonces, both node ids, the cluster name, the protocol version and who
// dialed whom (hello_d is always the dialer's). From the cluster key K they derive
//   k_x = HKDF-SHA256(ikm = K, salt = th, info = label_x), 32 bytes, for the labels
//   "raftdns acceptor proof", "raftdns dialer proof", "raftdns dialer-to-acceptor frames"
// and prove that they hold K with proof_a = HMAC-SHA256(k_acceptor_proof, th) (acceptor) and
// proof_d = HMAC-SHA256(k_dialer_proof, th) (dialer). Proofs are compared in constant time.
// Distinct labels mean a proof cannot be reflected back as the other side's; fresh nonces from
// both sides mean a recorded handshake is worthless on a new connection.
//
// Frames: raft messages flow only from dialer to acceptor, each framed as
//   u32 length L || u64 sequence || payload || tag     (L counts sequence, payload and tag)
//   tag = the first 16 bytes of HMAC-SHA256(k_frames, u32 L || u64 sequence || payload)
// with sequence numbers 0, 1, 2, ... on each connection. The receiver checks the tag, then that
// the sequence number is exactly the next one: a forged, altered, replayed, reordered or dropped
// frame closes the connection before its payload is decoded. Frames are authenticated, not
// encrypted (DNS data is public; what matters is who may change it).

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "engine/io.h"
#include "net/peer_handshake.h"
#include "net/peer_key.h"

namespace net {

inline constexpr std::size_t kFrameSequenceSize = 8;
inline constexpr std::size_t kFrameTagSize = 16;
// Bytes an authenticated frame's body has beyond its payload.
inline constexpr std::size_t kAuthenticatedFrameOverhead = kFrameSequenceSize + kFrameTagSize;

// A fresh handshake nonce from OpenSSL's RAND_bytes (throws Error if it fails).
PeerNonce fresh_nonce();

// The keys of one connection, derived from the cluster key and both hellos as sent.
class PeerSessionKeys {
 public:
  PeerSessionKeys(engine::ByteView cluster_key, engine::ByteView dialer_hello,
                  engine::ByteView acceptor_hello);

  PeerProof acceptor_proof() const;
  PeerProof dialer_proof() const;
  // Constant-time comparisons with what the other side sent.
  bool acceptor_proof_matches(const PeerProof& proof) const;
  bool dialer_proof_matches(const PeerProof& proof) const;
  const SecretBytes& frame_key() const { return frame_key_; }

 private:
  std::array<std::uint8_t, 32> transcript_hash_{};
  SecretBytes acceptor_proof_key_;
  SecretBytes dialer_proof_key_;
  SecretBytes frame_key_;
};

// HMAC-SHA256 with one key, reusable for many messages.
class FrameMac {
 public:
  explicit FrameMac(const SecretBytes& key);
  ~FrameMac();
  FrameMac(const FrameMac&) = delete;
  FrameMac& operator=(const FrameMac&) = delete;
  // The tag of `header` (length and sequence number) followed by `payload`.
  std::array<std::uint8_t, kFrameTagSize> tag(engine::ByteView header, engine::ByteView payload);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The sending end of an authenticated connection: numbers and tags each frame.
class FrameSealer {
 public:
  static constexpr std::size_t kPrefixSize = 4 + kFrameSequenceSize;
  // What goes around a payload on the wire: prefix (length, sequence), payload, tag.
  struct Sealed {
    std::array<std::uint8_t, kPrefixSize> prefix;
    std::array<std::uint8_t, kFrameTagSize> tag;
  };

  explicit FrameSealer(const SecretBytes& frame_key) : mac_(frame_key) {}
  Sealed seal(engine::ByteView payload);
  std::uint64_t next_sequence() const { return next_sequence_; }

 private:
  FrameMac mac_;
  std::uint64_t next_sequence_ = 0;
};

// The receiving end: checks each frame's tag and sequence number.
class FrameOpener {
 public:
  explicit FrameOpener(const SecretBytes& frame_key) : mac_(frame_key) {}
  // `body` is a frame as FrameReader yields it (after the length). Returns the payload, a view
  // into `body`; throws PeerProtocolError if the frame is short, its tag is wrong, or its
  // sequence number is not the next one.
  engine::ByteView open(engine::ByteView body);
  std::uint64_t next_sequence() const { return next_sequence_; }

 private:
  FrameMac mac_;
  std::uint64_t next_sequence_ = 0;
};

// The whole authenticated frame (length, sequence, payload, tag) in one buffer, for tests and
// fuzzing; the transport gathers the parts instead of copying.
engine::Bytes seal_frame(FrameSealer& sealer, engine::ByteView payload);

}  // namespace net
