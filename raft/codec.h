#pragma once
// Little-endian, bounds-checked primitives shared by the message codec and the durable log store,
// plus the encodings of the value types (Entry, HardState, Snapshot, ConfChange) both need.

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
inline constexpr std::uint32_t kMaxLearners = 4096;
inline constexpr std::uint32_t kMaxConfChangeContextBytes = 64u << 10;
inline constexpr std::uint8_t kConfChangeFormatVersion = 1;

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

// Two layouts of a snapshot: the original one (index, term, voters, data) and one with the learner
// list after the voters. The layout is not in the snapshot bytes: the container records it (a
// message flag, the snapshot file's version), and the original layout is used whenever there are
// no learners, so such snapshots stay byte-for-byte what earlier versions wrote and read.
enum class SnapshotLayout : std::uint8_t { VotersOnly, WithLearners };
SnapshotLayout snapshot_layout(const SnapshotMeta& meta);
// Throws std::invalid_argument if `layout` cannot hold the snapshot's learners.
void put_snapshot(ByteWriter& w, const Snapshot& s, SnapshotLayout layout);
Snapshot get_snapshot(ByteReader& r, SnapshotLayout layout);

// The data of an EntryKind::ConfChange entry: format version u8, kind u8, node u64, context.
Bytes encode_conf_change(const ConfChange& change);
// Bounds-checked; throws DecodeError naming the offending field.
ConfChange decode_conf_change(std::span<const std::uint8_t> bytes);

}  // namespace raft
