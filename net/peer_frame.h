#pragma once
// Framing of raft traffic between dns-node processes: each message is a u32 big-endian length
// followed by that many payload bytes.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/io.h"
#include "net/error.h"

namespace net {

// A peer broke the peer protocol (bad framing, bad handshake); the connection is closed.
struct PeerProtocolError : Error {
  using Error::Error;
};

inline constexpr std::size_t kFrameHeaderSize = 4;

std::array<std::uint8_t, kFrameHeaderSize> frame_header(std::size_t payload_size);
// Header and payload in one buffer (for the hello; bulk traffic is gathered instead of copied).
engine::Bytes framed(engine::ByteView payload);

// Reassembles frames from a TCP byte stream. A frame whose announced length is above the limit
// is refused before any of it is buffered, so a hostile length cannot make us allocate.
// Incremental frame decoder for one connection's byte stream.
class FrameReader {
 public:
  explicit FrameReader(std::size_t max_frame_size) : max_frame_size_(max_frame_size) {}
  void set_max_frame_size(std::size_t limit) { max_frame_size_ = limit; }

  // Free space to read into: at least `min_free` bytes, or what the frame in progress needs.
  // Invalidates views returned by next().
  std::span<std::uint8_t> prepare(std::size_t min_free = 4096);
  void commit(std::size_t bytes) { end_ += bytes; }

  // The next complete frame's payload (valid until prepare()), or nullopt if none is complete.
  // Throws PeerProtocolError when the next frame's length is above the limit.
  std::optional<engine::ByteView> next();

  std::size_t buffered() const { return end_ - begin_; }

 private:
  // Length of the frame at begin_, if its header has arrived (throws if above the limit).
  std::optional<std::size_t> pending_length() const;

  std::size_t max_frame_size_;
  std::vector<std::uint8_t> buffer_;  // unconsumed bytes are [begin_, end_)
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace net
