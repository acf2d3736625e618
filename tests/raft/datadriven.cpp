#include "tests/raft/datadriven.h"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace raft::testing {

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// Reads one value at `pos`: a "quoted string" or a run of characters up to a separator.
std::string read_value(const std::string& text, size_t& pos, const std::string& stops,
                       const std::string& where) {
  if (pos < text.size() && text[pos] == '"') {
    size_t end = text.find('"', pos + 1);
    if (end == std::string::npos) throw ScriptError(where + ": unterminated quote");
    std::string v = text.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    return v;
  }
  size_t start = pos;
  while (pos < text.size() && stops.find(text[pos]) == std::string::npos) ++pos;
  return text.substr(start, pos - start);
}

// Splits "cmd a b=c d=(1,2)" into the command and its arguments.
void parse_command_line(const std::string& text, Directive& d) {
  size_t pos = 0;
  auto skip_space = [&] {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
  };
  skip_space();
  d.command = read_value(text, pos, " \t", d.where());
  while (true) {
    skip_space();
    if (pos >= text.size()) break;
    DirectiveArg arg;
    bool quoted = text[pos] == '"';
    arg.key = read_value(text, pos, " \t=", d.where());
    if (!quoted && pos < text.size() && text[pos] == '=') {
      ++pos;
      if (pos < text.size() && text[pos] == '(') {
        ++pos;
        while (true) {
          skip_space();
          if (pos < text.size() && text[pos] == ')') {
            ++pos;
            break;
          }
          std::string v = read_value(text, pos, ",) \t", d.where());
          arg.values.push_back(v);
          skip_space();
          if (pos >= text.size()) throw ScriptError(d.where() + ": unterminated '('");
          if (text[pos] == ',') ++pos;
        }
      } else {
        arg.values.push_back(read_value(text, pos, " \t", d.where()));
      }
    } else if (quoted) {
      // A quoted positional keeps its spaces; mark it so it is not taken for a key.
      arg.values.clear();
    }
    d.args.push_back(std::move(arg));
  }
}

}  // namespace

void Directive::fail(const std::string& message) const {
  throw ScriptError(fmt::format("{}: {}: {}", where(), command, message));
}

int64_t parse_int(const Directive& d, const std::string& text) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    d.fail(fmt::format("'{}' is not an integer", text));
  }
  return v;
}

std::vector<std::string> Directive::positionals() const {
  std::vector<std::string> out;
  for (const DirectiveArg& a : args) {
    if (a.values.empty()) out.push_back(a.key);
  }
  return out;
}

bool Directive::has(const std::string& key) const {
  for (const DirectiveArg& a : args) {
    if (a.key == key) return true;
  }
  return false;
}

std::optional<std::string> Directive::value(const std::string& key) const {
  for (const DirectiveArg& a : args) {
    if (a.key != key || a.values.empty()) continue;
    if (a.values.size() != 1) fail(fmt::format("{} takes one value", key));
    return a.values[0];
  }
  return std::nullopt;
}

std::vector<std::string> Directive::values(const std::string& key) const {
  for (const DirectiveArg& a : args) {
    if (a.key == key && !a.values.empty()) return a.values;
  }
  return {};
}

std::string Directive::string_or(const std::string& key, const std::string& fallback) const {
  auto v = value(key);
  return v ? *v : fallback;
}

int64_t Directive::int_or(const std::string& key, int64_t fallback) const {
  auto v = value(key);
  return v ? parse_int(*this, *v) : fallback;
}

bool Directive::bool_or(const std::string& key, bool fallback) const {
  auto v = value(key);
  if (!v) return fallback;
  if (*v == "true") return true;
  if (*v == "false") return false;
  fail(fmt::format("{}={} is not true or false", key, *v));
}

void Directive::only_keys(std::initializer_list<const char*> allowed) const {
  for (const DirectiveArg& a : args) {
    if (a.values.empty()) continue;
    bool ok = false;
    for (const char* k : allowed) ok = ok || a.key == k;
    if (!ok) fail(fmt::format("unknown argument '{}'", a.key));
  }
}

Script parse_script(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ScriptError(fmt::format("{}: cannot open", path));
  Script script;
  script.path = path;
  std::string line;
  while (std::getline(in, line)) script.lines.push_back(line);

  size_t i = 0;
  std::string file = path.substr(path.find_last_of('/') + 1);
  while (i < script.lines.size()) {
    std::string t = trim(script.lines[i]);
    if (t.empty() || t[0] == '#') {
      ++i;
      continue;
    }
    Directive d;
    d.file = file;
    d.line = static_cast<int>(i) + 1;
    parse_command_line(t, d);
    ++i;
    while (i < script.lines.size() && trim(script.lines[i]) != "----") {
      if (trim(script.lines[i]).empty()) {
        throw ScriptError(
            fmt::format("{}:{}: command '{}' has no '----' line", file, d.line, d.command));
      }
      d.input.push_back(script.lines[i]);
      ++i;
    }
    if (i >= script.lines.size()) {
      throw ScriptError(
          fmt::format("{}:{}: command '{}' has no '----' line", file, d.line, d.command));
    }
    ++i;  // the "----"
    d.expected_begin = i;
    std::string expected;
    while (i < script.lines.size() && !trim(script.lines[i]).empty()) {
      if (!expected.empty()) expected += '\n';
      expected += script.lines[i];
      ++i;
    }
    d.expected_end = i;
    d.expected = expected;
    script.directives.push_back(std::move(d));
  }
  return script;
}

namespace {

std::string strip_trailing_newlines(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

std::string describe_mismatch(const Directive& d, const std::string& actual) {
  auto want = split_lines(d.expected);
  auto got = split_lines(actual);
  size_t first = 0;
  while (first < want.size() && first < got.size() && want[first] == got[first]) ++first;
  std::string out = fmt::format(
      "{}: output of '{}' differs from the expectation (first difference at output line {})\n",
      d.where(), d.command, first + 1);
  out += "--- expected:\n" + d.expected + "\n--- actual:\n" + actual + "\n";
  out += "(set RAFT_TESTDATA_REWRITE=1 to accept the actual output)";
  return out;
}

}  // namespace

std::optional<std::string> run_script(const std::string& path, const DirectiveRunner& run,
                                      bool rewrite) {
  Script script = parse_script(path);
  std::vector<std::string> actuals;
  for (const Directive& d : script.directives) {
    std::string actual = strip_trailing_newlines(run(d));
    if (actual.empty()) actual = "ok";
    for (const std::string& l : split_lines(actual)) {
      if (trim(l).empty()) {
        throw ScriptError(fmt::format("{}: output of '{}' has a blank line", d.where(), d.command));
      }
    }
    if (!rewrite && actual != d.expected) return describe_mismatch(d, actual);
    actuals.push_back(actual);
  }
  if (!rewrite) return std::nullopt;

  std::vector<std::string> out;
  size_t next = 0;
  for (size_t k = 0; k < script.directives.size(); ++k) {
    const Directive& d = script.directives[k];
    for (; next < d.expected_begin; ++next) out.push_back(script.lines[next]);
    for (const std::string& l : split_lines(actuals[k])) out.push_back(l);
    next = d.expected_end;
  }
  for (; next < script.lines.size(); ++next) out.push_back(script.lines[next]);
  std::ofstream file(path, std::ios::trunc);
  for (const std::string& l : out) file << l << '\n';
  if (!file) throw ScriptError(fmt::format("{}: cannot rewrite", path));
  return std::nullopt;
}

}  // namespace raft::testing
