#include "testbed/control_command.h"

#include <fmt/core.h>

#include <charconv>
#include <sstream>
#include <stdexcept>

namespace testbed {

namespace {

// Node numbers, ids and milliseconds: at most a day's worth, so no timer arithmetic overflows.
std::uint64_t number(const std::string& verb, const char* field, const std::string& word) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), v);
  if (ec != std::errc() || end != word.data() + word.size() || v > 86'400'000)
    throw std::invalid_argument(
        fmt::format("{}: {} '{}' is not an integer in 0..86400000", verb, field, word));
  return v;
}

double probability(const std::string& verb, const std::string& word) {
  std::size_t used = 0;
  double p = -1;
  try {
    p = std::stod(word, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != word.size() || !(p >= 0 && p <= 1))
    throw std::invalid_argument(
        fmt::format("{}: P '{}' is not a probability in [0, 1]", verb, word));
  return p;
}

}  // namespace

ControlCommand parse_control_command(std::string_view line) {
  std::istringstream in{std::string(line)};
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  ControlCommand c;
  if (words.empty() || words[0][0] == '#') return c;
  const std::string& verb = words[0];
  auto want = [&](std::size_t lo, std::size_t hi, const char* usage) {
    if (words.size() - 1 < lo || words.size() - 1 > hi)
      throw std::invalid_argument(fmt::format("{}: want '{}'", verb, usage));
  };
  if (verb == "fault") {
    want(1, 1, "fault kind@AT_MS/A/B/DURATION_MS,...");
    c.verb = ControlCommand::Verb::Fault;
    c.schedule = harness::parse_schedule(words[1]);
    for (const harness::Fault& f : c.schedule) {
      std::string why;
      if (!link_fault_of(f, &why))
        throw std::invalid_argument(fmt::format("fault: {} ({})", harness::describe(f), why));
    }
  } else if (verb == "delay") {
    want(4, 5, "delay A B MS JITTER_MS [FOR_MS]");
    c.verb = ControlCommand::Verb::Add;
    c.fault.kind = LinkFault::Kind::Delay;
    c.fault.a = number(verb, "A", words[1]);
    c.fault.b = number(verb, "B", words[2]);
    const std::uint64_t ms = number(verb, "MS", words[3]);
    const std::uint64_t jitter = number(verb, "JITTER_MS", words[4]);
    if (ms > 600000 || jitter > 600000)
      throw std::invalid_argument("delay: MS and JITTER_MS are at most 600000");
    c.fault.delay_ms = static_cast<std::uint32_t>(ms);
    c.fault.jitter_ms = static_cast<std::uint32_t>(jitter);
    if (words.size() == 6) c.for_ms = number(verb, "FOR_MS", words[5]);
  } else if (verb == "loss") {
    want(3, 4, "loss A B P [FOR_MS]");
    c.verb = ControlCommand::Verb::Add;
    c.fault.kind = LinkFault::Kind::Loss;
    c.fault.a = number(verb, "A", words[1]);
    c.fault.b = number(verb, "B", words[2]);
    c.fault.loss = probability(verb, words[3]);
    if (words.size() == 5) c.for_ms = number(verb, "FOR_MS", words[4]);
  } else if (verb == "drop") {
    want(2, 2, "drop A B");
    c.verb = ControlCommand::Verb::Drop;
    c.fault.kind = LinkFault::Kind::OneWay;
    c.fault.a = number(verb, "A", words[1]);
    c.fault.b = number(verb, "B", words[2]);
  } else if (verb == "end") {
    want(1, 1, "end ID");
    c.verb = ControlCommand::Verb::End;
    c.id = number(verb, "ID", words[1]);
  } else if (verb == "heal") {
    want(0, 0, "heal");
    c.verb = ControlCommand::Verb::Heal;
  } else if (verb == "status") {
    want(0, 0, "status");
    c.verb = ControlCommand::Verb::Status;
  } else {
    throw std::invalid_argument(
        fmt::format("unknown command '{}' (fault, delay, loss, drop, end, heal, status)", verb));
  }
  return c;
}

}  // namespace testbed
