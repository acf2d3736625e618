#include "net/peer_frame.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace net {

std::array<std::uint8_t, kFrameHeaderSize> frame_header(std::size_t payload_size) {
  auto n = static_cast<std::uint32_t>(payload_size);
  return {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
          static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
}

engine::Bytes framed(engine::ByteView payload) {
  engine::Bytes out(kFrameHeaderSize + payload.size());
  auto header = frame_header(payload.size());
  std::memcpy(out.data(), header.data(), kFrameHeaderSize);
  if (!payload.empty()) std::memcpy(out.data() + kFrameHeaderSize, payload.data(), payload.size());
  return out;
}

std::optional<std::size_t> FrameReader::pending_length() const {
  if (end_ - begin_ < kFrameHeaderSize) return std::nullopt;
  const std::uint8_t* p = buffer_.data() + begin_;
  std::size_t length = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) |
                       (std::size_t{p[2]} << 8) | std::size_t{p[3]};
  if (length > max_frame_size_)
    throw PeerProtocolError(
        fmt::format("frame length {} exceeds the limit of {} bytes", length, max_frame_size_));
  return length;
}

std::span<std::uint8_t> FrameReader::prepare(std::size_t min_free) {
  if (begin_ == end_) begin_ = end_ = 0;
  std::size_t needed = min_free;
  if (auto length = pending_length())
    needed = std::max(needed, kFrameHeaderSize + *length - (end_ - begin_));
  if (buffer_.size() - end_ < needed) {
    // Move the unconsumed tail to the front before growing, so the buffer stays about the size
    // of the largest frame rather than of all traffic ever read.
    if (begin_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (buffer_.size() - end_ < needed) buffer_.resize(end_ + needed);
  }
  return {buffer_.data() + end_, buffer_.size() - end_};
}

std::optional<engine::ByteView> FrameReader::next() {
  auto length = pending_length();
  if (!length || end_ - begin_ < kFrameHeaderSize + *length) return std::nullopt;
  engine::ByteView payload(buffer_.data() + begin_ + kFrameHeaderSize, *length);
  begin_ += kFrameHeaderSize + *length;
  return payload;
}

}  // namespace net
