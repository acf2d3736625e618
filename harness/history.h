#pragma once
// A client-observed history of a DNS cluster run, one JSON object per line: every write with its
// invocation, completion and result (the commit index an OK carries), every read with its answer,
// the zone's SOA serial and the index the node reports serving (like etcd's revision in a reply
// header). sim-runner --history writes it; history-check (history_check.h) judges it. Nothing in
// it comes from the simulator's own knowledge: only what a client of each node could see.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace harness {

// One ADD or REMOVE of a record, keyed the way read answers are (TTL left out).
struct HistoryChange {
  bool add = true;
  std::string name;  // owner, lowercase, absolute ("h1.z1.test.")
  std::string type;  // "A"
  std::string data;  // rdata in presentation form ("10.1.1.0")
  friend bool operator==(const HistoryChange&, const HistoryChange&) = default;
};

// What the client learned about a write.
enum class WriteOutcome {
  Ok,       // committed at `index` and changed something
  Noop,     // committed at `index`, changed nothing
  Fail,     // refused before it could commit (disk fault, invalid): never committed
  Unknown,  // timed out ("no quorum") or the connection dropped: it may commit, even later
};

struct HistoryWrite {
  std::size_t line = 0;  // 1-based line in the file (0 until written or parsed)
  std::string client;
  std::uint64_t node = 0;
  std::uint64_t process = 0;  // the node's incarnation: a restart is a new process
  std::int64_t invoke_ns = 0;
  std::optional<std::int64_t> complete_ns;  // none: no answer ever came
  std::vector<HistoryChange> changes;
  WriteOutcome result = WriteOutcome::Unknown;
  std::uint64_t index = 0;  // Ok / Noop: the commit index the answer carried
  std::string message;      // the node's answer, for humans
  friend bool operator==(const HistoryWrite&, const HistoryWrite&) = default;
};

struct HistoryRead {
  std::size_t line = 0;
  std::string client;
  std::uint64_t node = 0;
  std::uint64_t process = 0;
  std::int64_t time_ns = 0;  // invocation and completion (a simulated read is instantaneous)
  std::string name;          // the question, lowercase
  std::string qtype;
  std::string rcode;                    // "NOERROR", "NXDOMAIN", "REFUSED", ...
  std::vector<std::string> answer;      // rdata of the answer records of the question, sorted
  std::string zone;                     // the zone the name is in ("z1.test.")
  std::optional<std::uint32_t> serial;  // that zone's SOA serial on the node; none: no zone yet
  std::uint64_t index = 0;              // the last commit index the node serves
  bool final = false;                   // taken after the heal, once the cluster converged
  friend bool operator==(const HistoryRead&, const HistoryRead&) = default;
};

// The cluster committed the removal of a member (the operator's REMOVE-NODE got OK): from then
// on the node no longer follows the cluster, so it owes no final read.
struct HistoryRemoval {
  std::size_t line = 0;
  std::uint64_t node = 0;
  std::int64_t time_ns = 0;
  friend bool operator==(const HistoryRemoval&, const HistoryRemoval&) = default;
};

// The cluster committed the addition of a member (the operator's ADD-NODE got OK, and the node
// was started with --join): from then on it follows the cluster and owes final reads.
struct HistoryAddition {
  std::size_t line = 0;
  std::uint64_t node = 0;
  std::int64_t time_ns = 0;
  friend bool operator==(const HistoryAddition&, const HistoryAddition&) = default;
};

struct History {
  std::vector<HistoryWrite> writes;
  std::vector<HistoryRead> reads;
  std::vector<HistoryRemoval> removals;
  std::vector<HistoryAddition> additions;
  std::vector<std::string> errors;  // "FILE:LINE: ..." for lines that could not be read
};

const char* to_string(WriteOutcome outcome);

// One line of the file (no newline).
std::string history_line(const HistoryWrite& write);
std::string history_line(const HistoryRead& read);
std::string history_line(const HistoryRemoval& removal);
std::string history_line(const HistoryAddition& addition);

// Appends lines to a stream, numbering them (the numbers are what the checker reports).
class HistoryWriter {
 public:
  explicit HistoryWriter(std::ostream& out) : out_(out) {}
  void write(HistoryWrite write);
  void read(HistoryRead read);
  void removed(HistoryRemoval removal);
  void added(HistoryAddition addition);
  std::size_t lines() const { return lines_; }

 private:
  std::ostream& out_;
  std::size_t lines_ = 0;
};

// Reads every line of `in`; a line that is not a well-formed record goes to History::errors as
// "`file`:LINE: what is wrong" and is skipped. Empty lines are skipped silently.
History parse_history(std::istream& in, const std::string& file);

}  // namespace harness
