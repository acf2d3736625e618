#pragma once
// Little-endian, bounds-checked primitives shared by the message codec and the durable log store,
// plus the encodings of the value types (Entry, HardState, Snapshot) both of them need.

#include <cstdint>
#include <span>
#include <string_view>

#include "raft/message.h"
#include "raft/types.h"

namespace raft {

// Upper limits a decoder accepts before even looking at the remaining length.
inline constexpr std::uint32_t kMaxEntriesPerMessage = 1u << 20;
inline constexpr std::uint32_t kMaxEntryBytes = 64u << 20;
inline constexpr std::uint32_t kMaxSnapshotBytes = 1u << 30;
inline constexpr std::uint32_t kMaxVoters = 4096;

// Appends little-endian values to a byte vector.
class ByteWriter {
 public:
  explicit ByteWriter(Bytes& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u32(std::uint32_t v);
  void u64(std::uint64_t v);
  void bytes(std::span<const std::uint8_t> data);  // u32 length + data

 private:
  Bytes& out_;
};

// Reads little-endian values, throwing DecodeError (naming the field) instead of overrunning.
class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> in) : in_(in) {}
  std::uint8_t u8(std::string_view field);
  std::uint32_t u32(std::string_view field);
  std::uint64_t u64(std::string_view field);
  Bytes bytes(std::string_view field, std::uint32_t max_size);
  // Reads a u32 element count and checks it against `max` and against the bytes left, given
  // that each element needs at least `min_element_size` bytes.
  std::uint32_t count(std::string_view field, std::uint32_t max, size_t min_element_size);
  size_t remaining() const { return in_.size() - pos_; }
  size_t position() const { return pos_; }
  void expect_end(std::string_view what);

 private:
  void need(size_t n, std::string_view field);
  std::span<const std::uint8_t> in_;
  size_t pos_ = 0;
};

void put_entry(ByteWriter& w, const Entry& e);
Entry get_entry(ByteReader& r);
void put_hard_state(ByteWriter& w, const HardState& hs);
HardState get_hard_state(ByteReader& r);
void put_snapshot(ByteWriter& w, const Snapshot& s);
Snapshot get_snapshot(ByteReader& r);

}  // namespace raft
