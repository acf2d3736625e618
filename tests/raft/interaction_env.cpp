#include "tests/raft/interaction_env.h"

#include <fmt/format.h>

#include <stdexcept>

#include "tests/raft/interaction_format.h"

namespace raft::testing {

namespace {

std::string str(const Bytes& b) {
  return std::string(b.begin(), b.end());
}

}  // namespace

std::vector<std::string> split_snapshot_data(const std::string& data) {
  std::vector<std::string> out;
  if (data.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t comma = data.find(',', start);
    out.push_back(data.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// ---- output ---------------------------------------------------------------------------------

void InteractionEnv::print(const std::string& line, int indent) {
  out_ += std::string(static_cast<size_t>(indent), ' ') + line + '\n';
}

void InteractionEnv::detail(const std::string& line, int indent) {
  if (verbose) print(line, indent);
}

void InteractionEnv::insert_line(size_t mark, const std::string& line) {
  out_.insert(mark, line + '\n');
}

std::string InteractionEnv::take_output() {
  std::string s;
  s.swap(out_);
  return s;
}

// ---- lifecycle ------------------------------------------------------------------------------

void InteractionEnv::add_node(Config config, MemoryStorage storage) {
  NodeId id = config.id;
  if (nodes.contains(id)) throw EnvError(fmt::format("node {} already exists", id));
  if (config.bugs.commit_without_majority || config.bugs.forget_vote) bugs_configured = true;
  InteractionNode& n = nodes[id];
  n.config = std::move(config);
  n.storage = std::move(storage);
  try {
    restart(id);
  } catch (...) {
    nodes.erase(id);  // raft refused the config: no half-made node stays behind
    throw;
  }
}

InteractionNode& InteractionEnv::node(NodeId id) {
  auto it = nodes.find(id);
  if (it == nodes.end()) throw EnvError(fmt::format("no node {}", id));
  return it->second;
}

Raft& InteractionEnv::live(NodeId id) {
  InteractionNode& n = node(id);
  if (!n.raft) throw EnvError(fmt::format("node {} is down", id));
  return *n.raft;
}

bool InteractionEnv::up(NodeId id) const {
  auto it = nodes.find(id);
  return it != nodes.end() && it->second.raft != nullptr;
}

void InteractionEnv::crash(NodeId id) {
  InteractionNode& n = node(id);
  n.raft.reset();
  n.in_progress.reset();  // an unpersisted Ready is lost with the process
  leader_logs_.erase(id);
  n.last_role_line = "down";
}

void InteractionEnv::restart(NodeId id) {
  InteractionNode& n = node(id);
  n.raft.reset();
  n.in_progress.reset();
  n.raft = std::make_unique<Raft>(n.config, n.storage.restored());
  // The application restarts from its snapshot; raft re-delivers the committed entries after it.
  n.app_state.clear();
  app_log_[id].clear();
  n.app_applied = 0;
  if (n.storage.snapshot) {
    n.app_state = split_snapshot_data(str(n.storage.snapshot->data));
    n.app_applied = n.storage.snapshot->meta.index;
  }
  n.last_role_line = format_role_line(*n.raft);
}

void InteractionEnv::note_role_change(NodeId id, int indent) {
  InteractionNode& n = node(id);
  if (!n.raft) return;
  std::string line = format_role_line(*n.raft);
  if (line == n.last_role_line) return;
  n.last_role_line = line;
  print(fmt::format("{} became {}", id, line), verbose ? indent : 0);
}

// ---- driving --------------------------------------------------------------------------------

void InteractionEnv::apply(InteractionNode& n, NodeId id, const Ready& rd) {
  if (rd.snapshot) {
    n.app_state = split_snapshot_data(str(rd.snapshot->data));
    n.app_applied = rd.snapshot->meta.index;
    app_log_[id].clear();
  }
  for (const Entry& e : rd.committed) {
    if (e.index != n.app_applied + 1) {
      violation(fmt::format("node {} applied entry {} after {}", id, e.index, n.app_applied));
    }
    n.app_applied = e.index;
    auto [it, inserted] = applied_at_.emplace(e.index, e);
    if (!(it->second == e)) {
      violation(
          fmt::format("state machine safety: node {} applied {} at index {} where {} was "
                      "applied before",
                      id, format_entry(e), e.index, format_entry(it->second)));
    }
    if (e.kind == EntryKind::Normal) {
      n.app_state.push_back(str(e.data));
      app_log_[id].emplace_back(e.index, str(e.data));
    }
  }
}

std::string InteractionEnv::app_snapshot_data(NodeId id, Index index) {
  InteractionNode& n = node(id);
  // State as of `index`: everything restored from the last snapshot plus entries up to index.
  size_t later = 0;
  for (auto& [i, data] : app_log_[id]) later += i > index ? 1 : 0;
  std::string s;
  for (size_t k = 0; k + later < n.app_state.size(); ++k) s += (k ? "," : "") + n.app_state[k];
  return s;
}

bool InteractionEnv::process_ready(NodeId id) {
  InteractionNode& n = node(id);
  if (!n.raft) return false;
  if (!n.in_progress) {
    if (!begin_ready(id)) return false;
  } else {
    detail(fmt::format("> {} finishing its Ready", id));
  }
  finish_ready(id);
  return true;
}

bool InteractionEnv::begin_ready(NodeId id) {
  InteractionNode& n = node(id);
  if (!n.raft || n.in_progress || !n.raft->has_ready()) return false;
  Ready rd = n.raft->ready();
  detail(fmt::format("> {} handling Ready", id));
  if (rd.hard_state) detail("HardState " + format_hard_state(*rd.hard_state), 2);
  if (rd.snapshot) {
    detail(fmt::format("Snapshot {} data=\"{}\"", format_snapshot_meta(rd.snapshot->meta),
                       str(rd.snapshot->data)),
           2);
  }
  if (rd.compacted_snapshot) {
    detail(fmt::format("CompactedSnapshot {} data=\"{}\"",
                       format_snapshot_meta(rd.compacted_snapshot->meta),
                       str(rd.compacted_snapshot->data)),
           2);
  }
  if (!rd.entries.empty()) {
    detail("Entries:", 2);
    for (const Entry& e : rd.entries) detail(format_entry(e), 2);
  }
  if (!rd.committed.empty()) {
    detail("Committed:", 2);
    for (const Entry& e : rd.committed) detail(format_entry(e), 2);
  }
  if (!rd.early_messages.empty()) {
    detail("EarlyMessages:", 2);
    for (const Message& m : rd.early_messages) detail(format_message(m), 2);
  }
  if (!rd.messages.empty()) {
    detail("Messages:", 2);
    for (const Message& m : rd.messages) detail(format_message(m), 2);
  }
  // Early messages may leave before the Ready is persisted (Config::leader_sends_before_persist).
  for (Message& m : rd.early_messages) network.push_back(std::move(m));
  rd.early_messages.clear();
  n.in_progress = std::move(rd);
  return true;
}

void InteractionEnv::finish_ready(NodeId id) {
  InteractionNode& n = node(id);
  if (!n.raft || !n.in_progress)
    throw EnvError(fmt::format("node {} has no Ready in progress", id));
  Ready rd = std::move(*n.in_progress);
  n.in_progress.reset();
  // The contract of Ready: persist, then send, then apply, then advance.
  n.storage.save(rd);
  for (Message& m : rd.messages) network.push_back(std::move(m));
  apply(n, id, rd);
  n.raft->advance();
  note_role_change(id, 2);
  check_invariants();
}

size_t InteractionEnv::deliver(NodeId to, const std::function<bool(const Message&)>& filter,
                               bool drop, bool twice) {
  std::vector<Message> taken;
  std::vector<Message> kept;
  for (Message& m : network) {
    if (m.to == to && (!filter || filter(m))) {
      taken.push_back(std::move(m));
    } else {
      kept.push_back(std::move(m));
    }
  }
  network = std::move(kept);
  if (taken.empty()) return 0;
  detail(fmt::format("> {} receiving messages", to));
  for (const Message& m : taken) {
    if (drop) {
      detail("dropped: " + format_message(m), 2);
      continue;
    }
    if (cut_links.contains({m.from, m.to})) {
      detail("dropped (link cut): " + format_message(m), 2);
      continue;
    }
    if (!up(to)) {
      detail("dropped (node down): " + format_message(m), 2);
      continue;
    }
    for (int copy = 0; copy < (twice ? 2 : 1); ++copy) {
      detail(format_message(m), 2);
      live(to).step(m);
      note_role_change(to, 4);
      check_invariants();
    }
  }
  return taken.size();
}

bool InteractionEnv::stabilize(const std::vector<NodeId>& only, int max_rounds) {
  std::vector<NodeId> ids = only;
  if (ids.empty()) {
    for (auto& [id, n] : nodes) ids.push_back(id);
  }
  for (int round = 0; round < max_rounds; ++round) {
    bool moved = false;
    for (NodeId id : ids) moved = process_ready(id) || moved;
    for (NodeId id : ids) moved = deliver(id, {}, false) > 0 || moved;
    if (!moved) return true;
  }
  return false;
}

// ---- invariants -----------------------------------------------------------------------------

void InteractionEnv::violation(const std::string& what) {
  if (!violation_set_.insert(what).second) return;
  violations_.push_back(what);
  print("INVARIANT VIOLATED: " + what);
}

void InteractionEnv::check_invariants() {
  // Everything each live node knows to be committed.
  for (auto& [id, n] : nodes) {
    if (!n.raft) continue;
    Index commit = n.raft->status().commit;
    for (const Entry& e : n.raft->log_entries()) {
      if (e.index > commit) break;
      // The node's term bounds from above the term in which the entry was committed.
      auto [it, inserted] = committed_.emplace(e.index, std::pair{e, n.raft->term()});
      if (!(it->second.first == e)) {
        violation(fmt::format("node {} has {} committed at index {} where {} was committed", id,
                              format_entry(e), e.index, format_entry(it->second.first)));
      }
    }
  }
  for (auto& [id, n] : nodes) {
    if (!n.raft) continue;
    const Raft& r = *n.raft;
    if (r.role() != Role::Leader) {
      leader_logs_.erase(id);
      continue;
    }
    // Election safety (§5.2): at most one leader per term.
    auto [it, inserted] = leaders_by_term_.emplace(r.term(), id);
    if (it->second != id) {
      violation(fmt::format("election safety: nodes {} and {} both led term {}", it->second, id,
                            r.term()));
    }
    const std::vector<Entry>& log = r.log_entries();
    Index snap = r.snapshot_meta().index;
    auto entry_at = [&](Index i) -> const Entry* {
      if (i <= snap || i > snap + log.size()) return nullptr;
      return &log[i - snap - 1];
    };
    // Leader append-only (§5.3): a leader never overwrites or deletes entries of its own log.
    auto prev = leader_logs_.find(id);
    if (prev != leader_logs_.end() && prev->second.first == r.term()) {
      for (const Entry& e : prev->second.second) {
        if (e.index <= snap) continue;
        const Entry* now = entry_at(e.index);
        if (!now || !(*now == e)) {
          violation(fmt::format("leader append-only: leader {} of term {} lost or changed {}", id,
                                r.term(), format_entry(e)));
        }
      }
    }
    leader_logs_[id] = {r.term(), log};
    // Leader completeness (§5.4): the leader of any term from the commit on holds the entry (a
    // stale leader of an older term, cut off from the rest, need not).
    for (auto& [index, committed] : committed_) {
      auto& [e, commit_term] = committed;
      if (index <= snap || r.term() < commit_term) continue;
      const Entry* have = entry_at(index);
      if (!have || !(*have == e)) {
        violation(fmt::format("leader completeness: leader {} of term {} lacks committed {}", id,
                              r.term(), format_entry(e)));
      }
    }
  }
  // Log matching (§5.3): entries with the same index and term are preceded by identical logs.
  for (auto a = nodes.begin(); a != nodes.end(); ++a) {
    if (!a->second.raft) continue;
    for (auto b = std::next(a); b != nodes.end(); ++b) {
      if (!b->second.raft) continue;
      const Raft& ra = *a->second.raft;
      const Raft& rb = *b->second.raft;
      Index lo = std::max(ra.snapshot_meta().index, rb.snapshot_meta().index) + 1;
      Index hi = std::min(ra.status().last_index, rb.status().last_index);
      Index highest_match = 0;
      for (Index i = hi; i >= lo && i > 0; --i) {
        if (ra.term_at(i) == rb.term_at(i)) {
          highest_match = i;
          break;
        }
      }
      for (Index i = lo; i <= highest_match; ++i) {
        const Entry& ea = ra.log_entries()[i - ra.snapshot_meta().index - 1];
        const Entry& eb = rb.log_entries()[i - rb.snapshot_meta().index - 1];
        if (!(ea == eb)) {
          violation(
              fmt::format("log matching: nodes {} and {} agree on {}/{} but differ at {}: "
                          "{} vs {}",
                          a->first, b->first, *ra.term_at(highest_match), highest_match, i,
                          format_entry(ea), format_entry(eb)));
        }
      }
    }
  }
}

}  // namespace raft::testing
