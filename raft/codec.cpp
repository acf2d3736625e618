#include "raft/codec.h"

#include <stdexcept>

#include <fmt/format.h>

namespace raft {

// One insert per value, not a push_back (and its capacity check) per byte.
void ByteWriter::u32(std::uint32_t v) {
  std::uint8_t b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<std::uint8_t>(v >> (8 * i));
  out_.insert(out_.end(), b, b + 4);
}

void ByteWriter::u64(std::uint64_t v) {
  std::uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(v >> (8 * i));
  out_.insert(out_.end(), b, b + 8);
}

void ByteWriter::bytes(std::span<const std::uint8_t> data) {
  u32(static_cast<std::uint32_t>(data.size()));
  out_.insert(out_.end(), data.begin(), data.end());
}

void ByteReader::need(size_t n, std::string_view field) {
  if (remaining() < n) {
    throw DecodeError(fmt::format("truncated at byte {} reading {}: need {} bytes, have {}", pos_,
                                  field, n, remaining()));
  }
}

std::uint8_t ByteReader::u8(std::string_view field) {
  need(1, field);
  return in_[pos_++];
}

std::uint32_t ByteReader::u32(std::string_view field) {
  need(4, field);
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= std::uint32_t{in_[pos_ + i]} << (8 * i);
  pos_ += 4;
  return v;
}

std::uint64_t ByteReader::u64(std::string_view field) {
  need(8, field);
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t{in_[pos_ + i]} << (8 * i);
  pos_ += 8;
  return v;
}

Bytes ByteReader::bytes(std::string_view field, std::uint32_t max_size) {
  std::uint32_t size = u32(field);
  if (size > max_size) {
    throw DecodeError(fmt::format("{} is {} bytes, limit {}", field, size, max_size));
  }
  need(size, field);
  Bytes out(in_.begin() + pos_, in_.begin() + pos_ + size);
  pos_ += size;
  return out;
}

std::uint32_t ByteReader::count(std::string_view field, std::uint32_t max,
                                size_t min_element_size) {
  std::uint32_t n = u32(field);
  if (n > max) throw DecodeError(fmt::format("{} count {} exceeds limit {}", field, n, max));
  if (min_element_size > 0 && n > remaining() / min_element_size) {
    throw DecodeError(
        fmt::format("{} count {} cannot fit in the {} bytes left", field, n, remaining()));
  }
  return n;
}

void ByteReader::expect_end(std::string_view what) {
  if (remaining() != 0) {
    throw DecodeError(fmt::format("{} trailing bytes after {}", remaining(), what));
  }
}

void put_entry(ByteWriter& w, const Entry& e) {
  w.u64(e.term);
  w.u64(e.index);
  w.u8(static_cast<std::uint8_t>(e.kind));
  w.bytes(e.data);
}

Entry get_entry(ByteReader& r) {
  Entry e;
  e.term = r.u64("entry.term");
  e.index = r.u64("entry.index");
  std::uint8_t kind = r.u8("entry.kind");
  if (kind > kMaxEntryKind) {
    throw DecodeError(fmt::format("entry.kind {} is unknown", kind));
  }
  e.kind = static_cast<EntryKind>(kind);
  e.data = r.bytes("entry.data", kMaxEntryBytes);
  return e;
}

void put_hard_state(ByteWriter& w, const HardState& hs) {
  w.u64(hs.term);
  w.u64(hs.vote);
  w.u64(hs.commit);
}

HardState get_hard_state(ByteReader& r) {
  HardState hs;
  hs.term = r.u64("hard_state.term");
  hs.vote = r.u64("hard_state.vote");
  hs.commit = r.u64("hard_state.commit");
  return hs;
}

SnapshotLayout snapshot_layout(const SnapshotMeta& meta) {
  return meta.learners.empty() ? SnapshotLayout::VotersOnly : SnapshotLayout::WithLearners;
}

void put_snapshot(ByteWriter& w, const Snapshot& s, SnapshotLayout layout) {
  if (layout == SnapshotLayout::VotersOnly && !s.meta.learners.empty()) {
    throw std::invalid_argument("put_snapshot: the voters-only layout cannot hold learners");
  }
  w.u64(s.meta.index);
  w.u64(s.meta.term);
  w.u32(static_cast<std::uint32_t>(s.meta.voters.size()));
  for (NodeId v : s.meta.voters) w.u64(v);
  if (layout == SnapshotLayout::WithLearners) {
    w.u32(static_cast<std::uint32_t>(s.meta.learners.size()));
    for (NodeId l : s.meta.learners) w.u64(l);
  }
  w.bytes(s.data);
}

Snapshot get_snapshot(ByteReader& r, SnapshotLayout layout) {
  Snapshot s;
  s.meta.index = r.u64("snapshot.index");
  s.meta.term = r.u64("snapshot.term");
  std::uint32_t voters = r.count("snapshot.voters", kMaxVoters, 8);
  s.meta.voters.reserve(voters);
  for (std::uint32_t i = 0; i < voters; ++i) s.meta.voters.push_back(r.u64("snapshot.voter"));
  if (layout == SnapshotLayout::WithLearners) {
    std::uint32_t learners = r.count("snapshot.learners", kMaxLearners, 8);
    // The layout is written only when there are learners: refusing an empty list keeps every
    // snapshot's encoding unique (decode then encode gives back the same bytes).
    if (learners == 0) throw DecodeError("snapshot.learners: learners layout with no learner");
    s.meta.learners.reserve(learners);
    for (std::uint32_t i = 0; i < learners; ++i) {
      s.meta.learners.push_back(r.u64("snapshot.learner"));
    }
  }
  s.data = r.bytes("snapshot.data", kMaxSnapshotBytes);
  return s;
}

Bytes encode_conf_change(const ConfChange& change) {
  Bytes out;
  ByteWriter w(out);
  w.u8(kConfChangeFormatVersion);
  w.u8(static_cast<std::uint8_t>(change.kind));
  w.u64(change.node);
  w.bytes(change.context);
  return out;
}

ConfChange decode_conf_change(std::span<const std::uint8_t> bytes) {
  ByteReader r(bytes);
  std::uint8_t version = r.u8("conf_change.version");
  if (version != kConfChangeFormatVersion) {
    throw DecodeError(fmt::format("conf_change format version {} is not supported (expected {})",
                                  version, kConfChangeFormatVersion));
  }
  ConfChange change;
  std::uint8_t kind = r.u8("conf_change.kind");
  if (kind > kMaxConfChangeKind) {
    throw DecodeError(fmt::format("conf_change.kind {} is unknown", kind));
  }
  change.kind = static_cast<ConfChange::Kind>(kind);
  change.node = r.u64("conf_change.node");
  change.context = r.bytes("conf_change.context", kMaxConfChangeContextBytes);
  r.expect_end("conf_change");
  return change;
}

}  // namespace raft
