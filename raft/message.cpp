#include "raft/message.h"

#include <fmt/format.h>

#include "raft/codec.h"

namespace raft {

const char* to_string(MessageType type) {
  switch (type) {
    case MessageType::PreVote:
      return "PreVote";
    case MessageType::PreVoteResponse:
      return "PreVoteResponse";
    case MessageType::Vote:
      return "Vote";
    case MessageType::VoteResponse:
      return "VoteResponse";
    case MessageType::Append:
      return "Append";
    case MessageType::AppendResponse:
      return "AppendResponse";
    case MessageType::Snapshot:
      return "Snapshot";
    case MessageType::Heartbeat:
      return "Heartbeat";
    case MessageType::HeartbeatResponse:
      return "HeartbeatResponse";
    case MessageType::Propose:
      return "Propose";
    case MessageType::TimeoutNow:
      return "TimeoutNow";
    case MessageType::SnapshotResponse:
      return "SnapshotResponse";
  }
  return "?";
}

const char* to_string(Role role) {
  switch (role) {
    case Role::Follower:
      return "Follower";
    case Role::PreCandidate:
      return "PreCandidate";
    case Role::Candidate:
      return "Candidate";
    case Role::Leader:
      return "Leader";
  }
  return "?";
}

namespace {
constexpr std::uint8_t kFlagReject = 1;
constexpr std::uint8_t kFlagForce = 2;
constexpr std::uint8_t kFlagSnapshot = 4;
// The snapshot uses SnapshotLayout::WithLearners. Set only when it has learners, so every other
// message encodes as before; a decoder that predates learners refuses it (unknown flag) rather
// than misreading it.
constexpr std::uint8_t kFlagSnapshotLearners = 8;
// The message ends with u64 snapshot_size and u64 snapshot_offset (a chunk of a snapshot, or a
// follower's answer to one). Set only when either is non-zero, so every other message encodes as
// before and each message has exactly one encoding.
constexpr std::uint8_t kFlagSnapshotChunk = 16;
// The message ends with u32 length + the bytes of `context` (after the snapshot chunk fields, if
// any). Set only when the context is not empty, so every other message encodes as before.
constexpr std::uint8_t kFlagContext = 32;
constexpr std::uint8_t kKnownFlags = kFlagReject | kFlagForce | kFlagSnapshot |
                                     kFlagSnapshotLearners | kFlagSnapshotChunk | kFlagContext;
constexpr std::uint32_t kMaxContextBytes = 4096;
constexpr size_t kMinEntrySize = 8 + 8 + 1 + 4;
}  // namespace

// Layout (version 1): version u8, type u8, flags u8, from, to, term, log_term, index, commit,
// reject_hint (u64 each), entry count u32 + entries, [snapshot if flags has kFlagSnapshot, with
// learners if flags has kFlagSnapshotLearners], [u64 snapshot_size, u64 snapshot_offset if flags
// has kFlagSnapshotChunk], [u32 length + context if flags has kFlagContext].
Bytes encode(const Message& m) {
  Bytes out;
  size_t data = 0;
  for (const Entry& e : m.entries) data += e.data.size() + kMinEntrySize;
  out.reserve(64 + data + (m.snapshot ? m.snapshot->data.size() + 32 : 0));
  ByteWriter w(out);
  const SnapshotLayout layout =
      m.snapshot ? snapshot_layout(m.snapshot->meta) : SnapshotLayout::VotersOnly;
  w.u8(kMessageFormatVersion);
  w.u8(static_cast<std::uint8_t>(m.type));
  const bool chunk = m.snapshot_size != 0 || m.snapshot_offset != 0;
  w.u8((m.reject ? kFlagReject : 0) | (m.force ? kFlagForce : 0) |
       (m.snapshot ? kFlagSnapshot : 0) |
       (layout == SnapshotLayout::WithLearners ? kFlagSnapshotLearners : 0) |
       (chunk ? kFlagSnapshotChunk : 0) | (m.context.empty() ? 0 : kFlagContext));
  w.u64(m.from);
  w.u64(m.to);
  w.u64(m.term);
  w.u64(m.log_term);
  w.u64(m.index);
  w.u64(m.commit);
  w.u64(m.reject_hint);
  w.u32(static_cast<std::uint32_t>(m.entries.size()));
  for (const Entry& e : m.entries) put_entry(w, e);
  if (m.snapshot) put_snapshot(w, *m.snapshot, layout);
  if (chunk) {
    w.u64(m.snapshot_size);
    w.u64(m.snapshot_offset);
  }
  if (!m.context.empty()) w.bytes(m.context);
  return out;
}

Message decode(std::span<const std::uint8_t> bytes) {
  ByteReader r(bytes);
  std::uint8_t version = r.u8("version");
  if (version != kMessageFormatVersion) {
    throw DecodeError(fmt::format("message format version {} is not supported (expected {})",
                                  version, kMessageFormatVersion));
  }
  Message m;
  std::uint8_t type = r.u8("type");
  if (type > kMaxMessageType) throw DecodeError(fmt::format("message type {} is unknown", type));
  m.type = static_cast<MessageType>(type);
  std::uint8_t flags = r.u8("flags");
  if (flags & ~kKnownFlags) throw DecodeError(fmt::format("unknown flags 0x{:02x}", flags));
  m.reject = flags & kFlagReject;
  m.force = flags & kFlagForce;
  m.from = r.u64("from");
  m.to = r.u64("to");
  m.term = r.u64("term");
  m.log_term = r.u64("log_term");
  m.index = r.u64("index");
  m.commit = r.u64("commit");
  m.reject_hint = r.u64("reject_hint");
  std::uint32_t n = r.count("entries", kMaxEntriesPerMessage, kMinEntrySize);
  m.entries.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) m.entries.push_back(get_entry(r));
  if ((flags & kFlagSnapshotLearners) && !(flags & kFlagSnapshot)) {
    throw DecodeError("flag snapshot-learners set without a snapshot");
  }
  if (flags & kFlagSnapshot) {
    m.snapshot = get_snapshot(r, (flags & kFlagSnapshotLearners) ? SnapshotLayout::WithLearners
                                                                 : SnapshotLayout::VotersOnly);
  }
  if (flags & kFlagSnapshotChunk) {
    m.snapshot_size = r.u64("snapshot_size");
    m.snapshot_offset = r.u64("snapshot_offset");
    if (m.snapshot_size == 0 && m.snapshot_offset == 0) {
      throw DecodeError("flag snapshot-chunk set with snapshot_size and snapshot_offset both 0");
    }
  }
  if (flags & kFlagContext) {
    m.context = r.bytes("context", kMaxContextBytes);
    if (m.context.empty()) throw DecodeError("flag context set with an empty context");
  }
  r.expect_end("message");
  return m;
}

std::string describe(const Message& m) {
  std::string s = fmt::format("{} {}->{} term={} log_term={} index={} commit={}", to_string(m.type),
                              m.from, m.to, m.term, m.log_term, m.index, m.commit);
  if (m.reject) s += fmt::format(" reject hint={}", m.reject_hint);
  if (m.force) s += " force";
  if (!m.context.empty()) s += fmt::format(" context={}B", m.context.size());
  if (!m.entries.empty()) {
    s += fmt::format(" entries=[{}..{}]", m.entries.front().index, m.entries.back().index);
  }
  if (m.snapshot) {
    s += fmt::format(" snapshot@{}/{}", m.snapshot->meta.index, m.snapshot->meta.term);
  }
  if (m.snapshot_size != 0 || m.snapshot_offset != 0) {
    s += fmt::format(" chunk-offset={} of {}", m.snapshot_offset, m.snapshot_size);
  }
  return s;
}

}  // namespace raft
