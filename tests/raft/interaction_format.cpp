#include "tests/raft/interaction_format.h"

#include <fmt/format.h>

#include "raft/codec.h"
#include "raft/membership.h"

namespace raft::testing {

std::string format_node(NodeId id) {
  return id == kNoNode ? "none" : std::to_string(id);
}

std::string format_voters(const std::vector<NodeId>& voters) {
  std::string s = "(";
  for (size_t i = 0; i < voters.size(); ++i) s += (i ? "," : "") + std::to_string(voters[i]);
  return s + ")";
}

std::string format_entry(const Entry& e) {
  std::string pos = fmt::format("{}/{}", e.term, e.index);
  switch (e.kind) {
    case EntryKind::Normal:
      return fmt::format("{} \"{}\"", pos, std::string(e.data.begin(), e.data.end()));
    case EntryKind::Noop:
      return pos + " Noop";
    case EntryKind::ConfChange:
      try {
        ConfChange cc = decode_conf_change(e.data);
        std::string s = pos + " ConfChange " + describe(cc);
        if (!cc.context.empty()) {
          s += fmt::format(" context=\"{}\"", std::string(cc.context.begin(), cc.context.end()));
        }
        return s;
      } catch (const DecodeError&) {
        return fmt::format("{} ConfChange undecodable bytes={}", pos, e.data.size());
      }
    default:
      // Kinds added later still print, with their payload size.
      return fmt::format("{} kind={} bytes={}", pos, static_cast<int>(e.kind), e.data.size());
  }
}

std::string format_entries(const std::vector<Entry>& entries) {
  std::string s;
  for (size_t i = 0; i < entries.size(); ++i) s += (i ? ", " : "") + format_entry(entries[i]);
  return s;
}

std::string format_snapshot_meta(const SnapshotMeta& meta) {
  std::string s =
      fmt::format("index={} term={} voters={}", meta.index, meta.term, format_voters(meta.voters));
  if (!meta.learners.empty()) s += " learners=" + format_voters(meta.learners);
  return s;
}

std::string format_message(const Message& m) {
  std::string s = fmt::format("{}->{} {} term={}", format_node(m.from), format_node(m.to),
                              to_string(m.type), m.term);
  switch (m.type) {
    case MessageType::PreVote:
    case MessageType::Vote:
      s += fmt::format(" last={}/{}", m.log_term, m.index);
      break;
    case MessageType::Append:
      s += fmt::format(" prev={}/{} commit={}", m.log_term, m.index, m.commit);
      break;
    case MessageType::AppendResponse:
      s += fmt::format(" index={}", m.index);
      if (m.reject) s += fmt::format(" rejected hint={}/{}", m.log_term, m.reject_hint);
      break;
    case MessageType::Heartbeat:
      s += fmt::format(" commit={}", m.commit);
      break;
    case MessageType::SnapshotResponse:
      s += fmt::format(" snapshot={}/{} holds={}", m.log_term, m.index, m.snapshot_offset);
      break;
    case MessageType::PreVoteResponse:
    case MessageType::VoteResponse:
    case MessageType::HeartbeatResponse:
    case MessageType::Snapshot:
    case MessageType::Propose:
    case MessageType::TimeoutNow:
      break;
    default:
      // Types added later: every field that is set.
      if (m.log_term || m.index) s += fmt::format(" log={}/{}", m.log_term, m.index);
      if (m.commit) s += fmt::format(" commit={}", m.commit);
      break;
  }
  if (m.reject && m.type != MessageType::AppendResponse) s += " rejected";
  if (m.force) s += " force";
  if (m.snapshot) {
    s += fmt::format(" snapshot: {}", format_snapshot_meta(m.snapshot->meta));
    if (m.snapshot_size != 0) {
      s += fmt::format(" chunk={}+{}/{}", m.snapshot_offset, m.snapshot->data.size(),
                       m.snapshot_size);
    }
    s += fmt::format(" data=\"{}\"", std::string(m.snapshot->data.begin(), m.snapshot->data.end()));
  }
  if (!m.entries.empty()) s += " entries: " + format_entries(m.entries);
  return s;
}

std::string format_hard_state(const HardState& hs) {
  return fmt::format("term={} vote={} commit={}", hs.term, format_node(hs.vote), hs.commit);
}

std::string format_progress(NodeId peer, const Progress& pr) {
  std::string s =
      fmt::format("{}: {} match={} next={}", peer, to_string(pr.state()), pr.match(), pr.next());
  if (pr.state() == Progress::State::Snapshot) {
    s += fmt::format(" pending-snapshot={}", pr.pending_snapshot());
  }
  if (pr.inflight_count() > 0) s += fmt::format(" inflight={}", pr.inflight_count());
  if (pr.is_paused()) s += " paused";
  if (!pr.recent_active()) s += " inactive";
  return s;
}

std::string format_role_line(const Raft& r) {
  return fmt::format("{} term={} lead={}", to_string(r.role()), r.term(), format_node(r.leader()));
}

}  // namespace raft::testing
