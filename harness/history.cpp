#include "harness/history.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <istream>
#include <limits>
#include <ostream>
#include <stdexcept>
#include <type_traits>

namespace harness {

namespace {

using nlohmann::json;

constexpr const char* kOutcomes[] = {"ok", "noop", "fail", "unknown"};

WriteOutcome outcome_from(const std::string& text) {
  for (int i = 0; i < 4; ++i)
    if (text == kOutcomes[i]) return static_cast<WriteOutcome>(i);
  throw std::invalid_argument(fmt::format("result '{}' is none of ok, noop, fail, unknown", text));
}

// The field `key` of `j`, which must be there with the right type (the message names it).
template <typename T>
T field(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) throw std::invalid_argument(fmt::format("no field \"{}\"", key));
  // Numbers must be integers of the right sign and size (a float or an overflow is refused, not
  // converted).
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    const bool fits = std::is_unsigned_v<T>
                          ? it->is_number_unsigned() &&
                                it->template get<std::uint64_t>() <= std::numeric_limits<T>::max()
                          : it->is_number_integer() &&
                                (it->is_number_unsigned()
                                     ? it->template get<std::uint64_t>() <=
                                           static_cast<std::uint64_t>(std::numeric_limits<T>::max())
                                     : true);
    if (!fits)
      throw std::invalid_argument(fmt::format("field \"{}\" is not a {} integer ({})", key,
                                              std::is_unsigned_v<T> ? "non-negative" : "64-bit",
                                              it->dump()));
  }
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    throw std::invalid_argument(
        fmt::format("field \"{}\" has the wrong type ({})", key, it->dump()));
  }
}

HistoryWrite write_from(const json& j) {
  HistoryWrite w;
  w.client = field<std::string>(j, "client");
  w.node = field<std::uint64_t>(j, "node");
  w.process = field<std::uint64_t>(j, "process");
  w.invoke_ns = field<std::int64_t>(j, "invoke_ns");
  if (const auto c = j.find("complete_ns"); c != j.end() && !c->is_null())
    w.complete_ns = field<std::int64_t>(j, "complete_ns");
  for (const json& c : field<json>(j, "changes")) {
    HistoryChange change;
    const std::string kind = field<std::string>(c, "kind");
    if (kind != "add" && kind != "remove")
      throw std::invalid_argument(fmt::format("change kind '{}' is neither add nor remove", kind));
    change.add = kind == "add";
    change.name = field<std::string>(c, "name");
    change.type = field<std::string>(c, "type");
    change.data = field<std::string>(c, "data");
    w.changes.push_back(std::move(change));
  }
  w.result = outcome_from(field<std::string>(j, "result"));
  w.index = field<std::uint64_t>(j, "index");
  if ((w.result == WriteOutcome::Ok || w.result == WriteOutcome::Noop) && w.index == 0)
    throw std::invalid_argument("an ok/noop write without its commit index");
  if ((w.result == WriteOutcome::Ok || w.result == WriteOutcome::Noop) && !w.complete_ns)
    throw std::invalid_argument("an ok/noop write without its completion time");
  if (w.complete_ns && *w.complete_ns < w.invoke_ns)
    throw std::invalid_argument("completed before it was invoked");
  if (const auto m = j.find("message"); m != j.end()) w.message = field<std::string>(j, "message");
  return w;
}

HistoryRead read_from(const json& j) {
  HistoryRead r;
  r.client = field<std::string>(j, "client");
  r.node = field<std::uint64_t>(j, "node");
  r.process = field<std::uint64_t>(j, "process");
  r.time_ns = field<std::int64_t>(j, "time_ns");
  r.name = field<std::string>(j, "name");
  r.qtype = field<std::string>(j, "qtype");
  r.rcode = field<std::string>(j, "rcode");
  r.answer = field<std::vector<std::string>>(j, "answer");
  r.zone = field<std::string>(j, "zone");
  if (const auto s = j.find("serial"); s != j.end() && !s->is_null())
    r.serial = field<std::uint32_t>(j, "serial");
  r.index = field<std::uint64_t>(j, "index");
  r.final = field<bool>(j, "final");
  return r;
}

}  // namespace

const char* to_string(WriteOutcome outcome) {
  return kOutcomes[static_cast<int>(outcome)];
}

std::string history_line(const HistoryWrite& w) {
  json changes = json::array();
  for (const HistoryChange& c : w.changes)
    changes.push_back(
        {{"kind", c.add ? "add" : "remove"}, {"name", c.name}, {"type", c.type}, {"data", c.data}});
  json j = {{"type", "write"},
            {"client", w.client},
            {"node", w.node},
            {"process", w.process},
            {"invoke_ns", w.invoke_ns},
            {"complete_ns", w.complete_ns ? json(*w.complete_ns) : json(nullptr)},
            {"changes", std::move(changes)},
            {"result", to_string(w.result)},
            {"index", w.index},
            {"message", w.message}};
  return j.dump();
}

std::string history_line(const HistoryRead& r) {
  json j = {{"type", "read"},
            {"client", r.client},
            {"node", r.node},
            {"process", r.process},
            {"time_ns", r.time_ns},
            {"name", r.name},
            {"qtype", r.qtype},
            {"rcode", r.rcode},
            {"answer", r.answer},
            {"zone", r.zone},
            {"serial", r.serial ? json(*r.serial) : json(nullptr)},
            {"index", r.index},
            {"final", r.final}};
  return j.dump();
}

std::string history_line(const HistoryRemoval& r) {
  return json{{"type", "removed"}, {"node", r.node}, {"time_ns", r.time_ns}}.dump();
}

std::string history_line(const HistoryAddition& a) {
  return json{{"type", "added"}, {"node", a.node}, {"time_ns", a.time_ns}}.dump();
}

void HistoryWriter::added(HistoryAddition addition) {
  addition.line = ++lines_;
  out_ << history_line(addition) << '\n';
}

void HistoryWriter::removed(HistoryRemoval removal) {
  removal.line = ++lines_;
  out_ << history_line(removal) << '\n';
}

void HistoryWriter::write(HistoryWrite write) {
  write.line = ++lines_;
  out_ << history_line(write) << '\n';
}

void HistoryWriter::read(HistoryRead read) {
  read.line = ++lines_;
  out_ << history_line(read) << '\n';
}

History parse_history(std::istream& in, const std::string& file) {
  History h;
  std::string text;
  for (std::size_t line = 1; std::getline(in, text); ++line) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      const json j = json::parse(text);
      if (!j.is_object()) throw std::invalid_argument("not a JSON object");
      const std::string type = field<std::string>(j, "type");
      if (type == "write") {
        h.writes.push_back(write_from(j));
        h.writes.back().line = line;
      } else if (type == "read") {
        h.reads.push_back(read_from(j));
        h.reads.back().line = line;
      } else if (type == "removed") {
        h.removals.push_back(
            {line, field<std::uint64_t>(j, "node"), field<std::int64_t>(j, "time_ns")});
      } else if (type == "added") {
        h.additions.push_back(
            {line, field<std::uint64_t>(j, "node"), field<std::int64_t>(j, "time_ns")});
      } else {
        throw std::invalid_argument(
            fmt::format("type '{}' is neither write, read, added nor removed", type));
      }
    } catch (const json::exception& e) {
      h.errors.push_back(fmt::format("{}:{}: not JSON: {}", file, line, e.what()));
    } catch (const std::invalid_argument& e) {
      h.errors.push_back(fmt::format("{}:{}: {}", file, line, e.what()));
    }
  }
  return h;
}

}  // namespace harness
