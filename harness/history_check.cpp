#include "harness/history_check.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <tuple>

namespace harness {

namespace {

using Index = std::uint64_t;
constexpr Index kNever = std::numeric_limits<Index>::max();

bool acknowledged(const HistoryWrite& w) {
  return w.result == WriteOutcome::Ok || w.result == WriteOutcome::Noop;
}

// A record as reads see it: the question (name and type) and one rdata.
struct RecordId {
  std::string name, type, data;
  auto operator<=>(const RecordId&) const = default;
};
RecordId record_of(const HistoryChange& c) {
  return {c.name, c.type, c.data};
}
std::string describe(const RecordId& r) {
  return fmt::format("{} {} {}", r.name, r.type, r.data);
}

enum class Presence { Absent, Present, Unknown };

// What the acknowledged writes say each record is at each commit index.
class CommitModel {
 public:
  explicit CommitModel(const History& h) {
    // Acknowledged writes by completion time, for the earliest index a later write can take.
    std::vector<const HistoryWrite*> acked;
    for (const HistoryWrite& w : h.writes) {
      for (const HistoryChange& c : w.changes) universe_[{c.name, c.type}].insert(c.data);
      if (!acknowledged(w)) continue;
      acked.push_back(&w);
      // Set semantics: an ADD leaves the record present whether or not it was there (a NOOP
      // changed nothing because it already was so); the last change of a write wins.
      for (const HistoryChange& c : w.changes) changes_[record_of(c)][w.index] = {c.add, w.line};
    }
    std::sort(acked.begin(), acked.end(), [](const HistoryWrite* a, const HistoryWrite* b) {
      return *a->complete_ns < *b->complete_ns;
    });
    for (const HistoryWrite* w : acked) {
      const Index before = by_completion_.empty() ? 0 : by_completion_.back().second;
      by_completion_.emplace_back(*w->complete_ns, std::max(before, w->index));
    }
    for (const HistoryWrite& w : h.writes) {
      if (w.result != WriteOutcome::Unknown) continue;
      const Index from = highest_acked_before(w.invoke_ns) + 1;
      for (const HistoryChange& c : w.changes) {
        Index& u = unknown_from_.try_emplace(record_of(c), kNever).first->second;
        u = std::min(u, from);
      }
    }
  }

  // The highest index acknowledged strictly before `time` (0 if none).
  Index highest_acked_before(std::int64_t time) const {
    const auto it = std::lower_bound(
        by_completion_.begin(), by_completion_.end(), time,
        [](const std::pair<std::int64_t, Index>& e, std::int64_t t) { return e.first < t; });
    return it == by_completion_.begin() ? 0 : std::prev(it)->second;
  }

  // The record at commit index `index`, and the line of the write that made it so (0: none).
  std::pair<Presence, std::size_t> at(const RecordId& r, Index index) const {
    if (const auto u = unknown_from_.find(r); u != unknown_from_.end() && index >= u->second)
      return {Presence::Unknown, 0};
    const auto c = changes_.find(r);
    if (c == changes_.end()) return {Presence::Absent, 0};
    auto it = c->second.upper_bound(index);
    if (it == c->second.begin()) return {Presence::Absent, 0};
    --it;
    return {it->second.first ? Presence::Present : Presence::Absent, it->second.second};
  }

  // The rdata any write names for this question.
  const std::set<std::string>* universe(const std::string& name, const std::string& type) const {
    const auto it = universe_.find({name, type});
    return it == universe_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::pair<std::string, std::string>, std::set<std::string>> universe_;
  std::map<RecordId, std::map<Index, std::pair<bool, std::size_t>>> changes_;
  std::map<RecordId, Index> unknown_from_;
  std::vector<std::pair<std::int64_t, Index>> by_completion_;  // (time, highest index so far)
};

CheckOutcome named(const char* name, const char* claim) {
  CheckOutcome c;
  c.name = name;
  c.claim = claim;
  return c;
}

bool judged(const HistoryRead& r) {
  return r.rcode == "NOERROR" || r.rcode == "NXDOMAIN";
}

bool shows(const HistoryRead& r, const std::string& data) {
  return std::find(r.answer.begin(), r.answer.end(), data) != r.answer.end();
}

std::string answer_text(const HistoryRead& r) {
  std::string s = r.rcode + " [";
  for (std::size_t i = 0; i < r.answer.size(); ++i) s += (i ? " " : "") + r.answer[i];
  return s + "]";
}

class Checker {
 public:
  Checker(const History& h, const std::string& file) : h_(h), file_(file), model_(h) {
    for (const HistoryRead& r : h.reads) {
      nodes_.insert(r.node);
      if (r.final) final_[r.node][{r.name, r.qtype}] = &r;
    }
    for (const HistoryWrite& w : h.writes) nodes_.insert(w.node);
    // An added member owes final reads even if it was never read before the heal.
    for (const HistoryAddition& a : h.additions) nodes_.insert(a.node);
    // A removed member owes no final read and has no staleness: it stopped following.
    for (const HistoryRemoval& r : h.removals) nodes_.erase(r.node);
  }

  CheckReport run() {
    CheckReport report;
    report.checks.push_back(well_formed());
    report.checks.push_back(final_reads());
    report.checks.push_back(acked_visible());
    report.checks.push_back(one_write_per_index());
    report.checks.push_back(real_time_order());
    report.checks.push_back(monotonic_reads());
    report.checks.push_back(monotonic_serials());
    report.checks.push_back(reads_agree());
    auto [only, all] = reads_match_model();
    report.checks.push_back(std::move(only));
    report.checks.push_back(std::move(all));
    report.checks.push_back(served_after_invoke());
    report.checks.push_back(unacked_agree());
    report.staleness = staleness();
    return report;
  }

 private:
  std::string at(std::size_t line) const { return fmt::format("{}:{}", file_, line); }

  CheckOutcome well_formed() {
    CheckOutcome c = named("well-formed", "every line is a write or a read record");
    c.cases = h_.writes.size() + h_.reads.size() + h_.removals.size() + h_.additions.size() +
              h_.errors.size();
    c.failures = h_.errors;
    return c;
  }

  // The final read of `node` for the question, if any.
  const HistoryRead* final_read(std::uint64_t node, const std::string& name,
                                const std::string& type) const {
    const auto n = final_.find(node);
    if (n == final_.end()) return nullptr;
    const auto q = n->second.find({name, type});
    return q == n->second.end() ? nullptr : q->second;
  }

  CheckOutcome final_reads() {
    CheckOutcome c =
        named("final-reads", "every node was read after the heal and all nodes' final reads agree");
    const HistoryRead* reference = nullptr;  // the first final read of each question
    std::map<std::pair<std::string, std::string>, const HistoryRead*> first;
    std::map<std::string, const HistoryRead*> first_serial;
    for (std::uint64_t node : nodes_) {
      ++c.cases;
      if (!final_.contains(node)) {
        c.failures.push_back(
            fmt::format("{}: n{} has no final read (the history ends before the "
                        "heal, or the node was down)",
                        file_, node));
        continue;
      }
      for (const auto& [question, r] : final_.at(node)) {
        ++c.cases;
        if (!reference) reference = r;
        if (r->index != reference->index)
          c.failures.push_back(fmt::format("{}: n{} serves index {} after the heal, n{} {} ({})",
                                           at(r->line), r->node, r->index, reference->node,
                                           reference->index, at(reference->line)));
        auto [it, inserted] = first.try_emplace(question, r);
        if (!inserted && (it->second->rcode != r->rcode || it->second->answer != r->answer))
          c.failures.push_back(
              fmt::format("{}: n{} answers {} {} with {} after the heal, n{} with "
                          "{} ({})",
                          at(r->line), r->node, r->name, r->qtype, answer_text(*r),
                          it->second->node, answer_text(*it->second), at(it->second->line)));
        auto [s, fresh] = first_serial.try_emplace(r->zone, r);
        if (!fresh && s->second->serial != r->serial)
          c.failures.push_back(fmt::format(
              "{}: n{} has {} at serial {} after the heal, n{} at {} ({})", at(r->line), r->node,
              r->zone, r->serial ? fmt::format("{}", *r->serial) : "none", s->second->node,
              s->second->serial ? fmt::format("{}", *s->second->serial) : "none",
              at(s->second->line)));
      }
    }
    return c;
  }

  CheckOutcome acked_visible() {
    CheckOutcome c = named("acked-visible-after-heal",
                           "every acknowledged write is in every node's final state");
    for (const HistoryWrite& w : h_.writes) {
      if (w.result != WriteOutcome::Ok) continue;
      for (const auto& [node, reads] : final_) {
        ++c.cases;
        const HistoryRead* any = reads.begin()->second;
        if (any->index < w.index) {
          c.failures.push_back(fmt::format(
              "{}: write acknowledged at index {} (n{}) but n{} serves only up to index {} after "
              "the heal ({})",
              at(w.line), w.index, w.node, node, any->index, at(any->line)));
          continue;
        }
        for (const HistoryChange& ch : w.changes) {
          const HistoryRead* r = final_read(node, ch.name, ch.type);
          if (!r || !judged(*r)) continue;
          // Only where this write is still the last word on the record.
          const auto [presence, line] = model_.at(record_of(ch), r->index);
          if (presence == Presence::Unknown || line != w.line) continue;
          // (A write that both adds and removes a record leaves what its last change says.)
          if (shows(*r, ch.data) != (presence == Presence::Present))
            c.failures.push_back(fmt::format(
                "{}: acknowledged {} of {} (index {}) is lost on n{}: after the heal it answers "
                "{} ({})",
                at(w.line), presence == Presence::Present ? "ADD" : "REMOVE",
                describe(record_of(ch)), w.index, node, answer_text(*r), at(r->line)));
        }
      }
    }
    return c;
  }

  CheckOutcome one_write_per_index() {
    CheckOutcome c =
        named("one-write-per-index", "no two acknowledged writes carry the same commit index");
    std::map<Index, const HistoryWrite*> seen;
    for (const HistoryWrite& w : h_.writes) {
      if (!acknowledged(w)) continue;
      ++c.cases;
      auto [it, inserted] = seen.try_emplace(w.index, &w);
      if (!inserted)
        c.failures.push_back(fmt::format(
            "{}: write acknowledged at index {} by n{}, which {} (n{}) was acknowledged at too",
            at(w.line), w.index, w.node, at(it->second->line), it->second->node));
    }
    return c;
  }

  CheckOutcome real_time_order() {
    CheckOutcome c =
        named("real-time-order",
              "a write acknowledged before another was invoked has a lower commit index");
    std::vector<const HistoryWrite*> acked;
    for (const HistoryWrite& w : h_.writes)
      if (acknowledged(w)) acked.push_back(&w);
    std::sort(acked.begin(), acked.end(), [](const HistoryWrite* a, const HistoryWrite* b) {
      return *a->complete_ns < *b->complete_ns;
    });
    // The acknowledged write with the highest index among the first k to complete.
    std::vector<const HistoryWrite*> highest;
    for (const HistoryWrite* w : acked)
      highest.push_back(highest.empty() || highest.back()->index < w->index ? w : highest.back());
    for (const HistoryWrite* b : acked) {
      ++c.cases;
      const auto k = std::lower_bound(acked.begin(), acked.end(), b->invoke_ns,
                                      [](const HistoryWrite* w, std::int64_t t) {
                                        return *w->complete_ns < t;
                                      }) -
                     acked.begin();
      if (k == 0) continue;
      const HistoryWrite* a = highest[k - 1];
      if (a->index >= b->index)
        c.failures.push_back(fmt::format(
            "{}: write invoked at {} ns committed at index {}, but {} was acknowledged earlier "
            "(at {} ns) with index {}",
            at(b->line), b->invoke_ns, b->index, at(a->line), *a->complete_ns, a->index));
    }
    return c;
  }

  // Reads per node process, by time.
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::vector<const HistoryRead*>> by_process()
      const {
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::vector<const HistoryRead*>> out;
    for (const HistoryRead& r : h_.reads) out[{r.node, r.process}].push_back(&r);
    for (auto& [key, reads] : out)
      std::stable_sort(reads.begin(), reads.end(), [](const HistoryRead* a, const HistoryRead* b) {
        return a->time_ns < b->time_ns;
      });
    return out;
  }

  CheckOutcome monotonic_reads() {
    CheckOutcome c = named("monotonic-reads",
                           "per node process, the served index never goes back (so neither do "
                           "answers, given the commit order)");
    for (const auto& [key, reads] : by_process()) {
      const HistoryRead* last = nullptr;
      for (const HistoryRead* r : reads) {
        ++c.cases;
        if (last && r->index < last->index)
          c.failures.push_back(fmt::format("{}: n{} (process {}) serves index {} after {} ({})",
                                           at(r->line), r->node, r->process, r->index, last->index,
                                           at(last->line)));
        last = r;
      }
    }
    return c;
  }

  CheckOutcome monotonic_serials() {
    CheckOutcome c = named("monotonic-serials",
                           "per node process, a zone's SOA serial never goes back (secondaries "
                           "would stop following it)");
    for (const auto& [key, reads] : by_process()) {
      std::map<std::string, const HistoryRead*> last;
      for (const HistoryRead* r : reads) {
        ++c.cases;
        auto [it, inserted] = last.try_emplace(r->zone, r);
        if (inserted) continue;
        const HistoryRead* before = it->second;
        if (before->serial && (!r->serial || *r->serial < *before->serial))
          c.failures.push_back(fmt::format(
              "{}: n{} (process {}) has {} at serial {} (index {}) after {} (index {}, {})",
              at(r->line), r->node, r->process, r->zone,
              r->serial ? fmt::format("{}", *r->serial) : "none", r->index, *before->serial,
              before->index, at(before->line)));
        it->second = r;
      }
    }
    return c;
  }

  CheckOutcome reads_agree() {
    CheckOutcome c =
        named("reads-agree-at-index",
              "reads at the same served index give the same serial and the same answer");
    std::map<std::tuple<Index, std::string, std::string>, const HistoryRead*> answers;
    std::map<std::pair<Index, std::string>, const HistoryRead*> serials;
    for (const HistoryRead& r : h_.reads) {
      ++c.cases;
      auto [a, fresh] = answers.try_emplace({r.index, r.name, r.qtype}, &r);
      if (!fresh && (a->second->rcode != r.rcode || a->second->answer != r.answer))
        c.failures.push_back(
            fmt::format("{}: n{} at index {} answers {} {} with {}, n{} with {} "
                        "at the same index ({})",
                        at(r.line), r.node, r.index, r.name, r.qtype, answer_text(r),
                        a->second->node, answer_text(*a->second), at(a->second->line)));
      auto [s, new_serial] = serials.try_emplace({r.index, r.zone}, &r);
      if (!new_serial && s->second->serial != r.serial)
        c.failures.push_back(fmt::format(
            "{}: n{} at index {} has {} at serial {}, n{} at {} ({})", at(r.line), r.node, r.index,
            r.zone, r.serial ? fmt::format("{}", *r.serial) : "none", s->second->node,
            s->second->serial ? fmt::format("{}", *s->second->serial) : "none",
            at(s->second->line)));
    }
    return c;
  }

  std::pair<CheckOutcome, CheckOutcome> reads_match_model() {
    CheckOutcome only =
        named("read-shows-only-committed",
              "no read shows a record the writes committed up to its index do not give it");
    CheckOutcome all =
        named("read-shows-all-committed",
              "no read misses a record the writes committed up to its index give it");
    for (const HistoryRead& r : h_.reads) {
      if (!judged(r)) continue;
      const std::set<std::string>* universe = model_.universe(r.name, r.qtype);
      if (!universe) continue;
      for (const std::string& data : *universe) {
        const RecordId id{r.name, r.qtype, data};
        const auto [presence, line] = model_.at(id, r.index);
        // Cases: the (read, record) pairs the model can judge, so the count shows its power.
        if (presence != Presence::Unknown) ++only.cases, ++all.cases;
        const bool shown = shows(r, data);
        if (presence == Presence::Absent && shown)
          only.failures.push_back(fmt::format(
              "{}: n{} at index {} shows {}, which {}", at(r.line), r.node, r.index, describe(id),
              line ? fmt::format("the write at {} removed before that index", at(line))
                   : std::string("no write committed up to that index adds")));
        if (presence == Presence::Present && !shown)
          all.failures.push_back(fmt::format(
              "{}: n{} at index {} does not show {}, which the write at {} added (committed at or "
              "before that index): {}",
              at(r.line), r.node, r.index, describe(id), at(line), answer_text(r)));
      }
    }
    return {std::move(only), std::move(all)};
  }

  CheckOutcome unacked_agree() {
    CheckOutcome c = named(
        "unacked-agree", "a write with unknown outcome is in every node's final state or in none");
    for (const HistoryWrite& w : h_.writes) {
      if (w.result != WriteOutcome::Unknown) continue;
      for (const HistoryChange& ch : w.changes) {
        ++c.cases;
        const HistoryRead* first = nullptr;
        for (const auto& [node, reads] : final_) {
          const HistoryRead* r = final_read(node, ch.name, ch.type);
          if (!r || !judged(*r)) continue;
          if (!first) {
            first = r;
          } else if (shows(*r, ch.data) != shows(*first, ch.data)) {
            c.failures.push_back(fmt::format(
                "{}: after the heal n{} {} {} ({}) and n{} {} ({}) of this unacknowledged write",
                at(w.line), first->node, shows(*first, ch.data) ? "shows" : "lacks",
                describe(record_of(ch)), at(first->line), r->node,
                shows(*r, ch.data) ? "shows" : "lacks", at(r->line)));
            break;
          }
        }
      }
    }
    return c;
  }

  // Reads by time with the highest index served so far: the first read serving index i is
  // where that running maximum first reaches i (binary search, so long histories stay fast).
  struct Timeline {
    std::vector<const HistoryRead*> reads;
    std::vector<Index> highest;
    void add(const HistoryRead& r) {
      reads.push_back(&r);
      highest.push_back(std::max(highest.empty() ? 0 : highest.back(), r.index));
    }
    const HistoryRead* first_serving(Index index) const {
      const auto it = std::lower_bound(highest.begin(), highest.end(), index);
      return it == highest.end() ? nullptr : reads[static_cast<std::size_t>(it - highest.begin())];
    }
  };

  // Every read (final ones too) by time.
  Timeline all_reads() const {
    std::vector<const HistoryRead*> sorted;
    for (const HistoryRead& r : h_.reads) sorted.push_back(&r);
    std::stable_sort(sorted.begin(), sorted.end(), [](const HistoryRead* a, const HistoryRead* b) {
      return a->time_ns < b->time_ns;
    });
    Timeline t;
    for (const HistoryRead* r : sorted) t.add(*r);
    return t;
  }

  CheckOutcome served_after_invoke() {
    CheckOutcome c = named("served-after-invoke",
                           "no node serves a write's commit index before the write was invoked");
    const Timeline reads = all_reads();
    for (const HistoryWrite& w : h_.writes) {
      if (!acknowledged(w)) continue;
      ++c.cases;
      const HistoryRead* first = reads.first_serving(w.index);
      if (first && first->time_ns < w.invoke_ns)
        c.failures.push_back(fmt::format(
            "{}: write invoked at {} ns acknowledged at index {}, but n{} already served index {} "
            "at {} ns ({}): that index holds another write",
            at(w.line), w.invoke_ns, w.index, first->node, first->index, first->time_ns,
            at(first->line)));
    }
    return c;
  }

  std::vector<NodeStaleness> staleness() const {
    std::vector<const HistoryRead*> live;
    for (const HistoryRead& r : h_.reads)
      if (!r.final) live.push_back(&r);
    std::stable_sort(live.begin(), live.end(), [](const HistoryRead* a, const HistoryRead* b) {
      return a->time_ns < b->time_ns;
    });
    Timeline anywhere;
    std::map<std::uint64_t, Timeline> on_node;
    for (const HistoryRead* r : live) {
      anywhere.add(*r);
      on_node[r->node].add(*r);
    }
    std::map<std::uint64_t, std::vector<double>> delays;
    std::map<std::uint64_t, std::size_t> only_final;
    for (const HistoryWrite& w : h_.writes) {
      if (w.result != WriteOutcome::Ok) continue;
      // Committed no later than its answer or the first read anywhere that serves its index.
      const HistoryRead* first = anywhere.first_serving(w.index);
      const std::int64_t committed =
          std::min(*w.complete_ns, first ? first->time_ns : *w.complete_ns);
      for (std::uint64_t node : nodes_) {
        const auto it = on_node.find(node);
        const HistoryRead* seen = it == on_node.end() ? nullptr : it->second.first_serving(w.index);
        if (seen)
          delays[node].push_back(static_cast<double>(seen->time_ns - committed) / 1e6);
        else if (final_.contains(node))
          ++only_final[node];
      }
    }
    std::vector<NodeStaleness> out;
    for (std::uint64_t node : nodes_) {
      NodeStaleness s;
      s.node = node;
      std::vector<double>& d = delays[node];
      std::sort(d.begin(), d.end());
      s.seen = d.size();
      s.only_final = only_final[node];
      if (!d.empty()) {
        auto pct = [&](double p) {
          return d[static_cast<std::size_t>(std::ceil(p * static_cast<double>(d.size()))) - 1];
        };
        s.p50_ms = pct(0.5), s.p99_ms = pct(0.99), s.max_ms = d.back();
      }
      out.push_back(s);
    }
    return out;
  }

  const History& h_;
  const std::string file_;
  const CommitModel model_;
  std::set<std::uint64_t> nodes_;
  std::map<std::uint64_t, std::map<std::pair<std::string, std::string>, const HistoryRead*>> final_;
};

}  // namespace

std::size_t CheckReport::passed() const {
  return std::count_if(checks.begin(), checks.end(),
                       [](const CheckOutcome& c) { return c.passed(); });
}

std::size_t CheckReport::failed() const {
  return checks.size() - passed();
}

CheckReport check_history(const History& history, const std::string& file) {
  return Checker(history, file).run();
}

std::string format_report(const CheckReport& report, std::size_t max_failures) {
  std::string out;
  for (const CheckOutcome& c : report.checks) {
    for (std::size_t i = 0; i < c.failures.size() && i < max_failures; ++i)
      out += fmt::format("{} [{}]\n", c.failures[i], c.name);
    if (c.failures.size() > max_failures)
      out += fmt::format("... and {} more [{}]\n", c.failures.size() - max_failures, c.name);
  }
  out += "staleness (commit to first read serving it, ms; an upper bound):\n";
  for (const NodeStaleness& s : report.staleness)
    out += fmt::format(
        "  n{}: writes seen {} p50 {:.1f} p99 {:.1f} max {:.1f}; first seen after "
        "the heal {}\n",
        s.node, s.seen, s.p50_ms, s.p99_ms, s.max_ms, s.only_final);
  for (const CheckOutcome& c : report.checks)
    out += fmt::format("{} {}: {} ({} cases, {} failures)\n", c.passed() ? "PASS" : "FAIL", c.name,
                       c.claim, c.cases, c.failures.size());
  out += fmt::format("{} passed, {} failed\n", report.passed(), report.failed());
  return out;
}

}  // namespace harness
