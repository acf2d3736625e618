#pragma once
// A small data-driven test file format (after cockroachdb/datadriven, as used by etcd-io/raft):
// a script is a sequence of commands, each followed by a line "----" and the output it must
// print. Comments start with '#'; an output block ends at the first blank line.
//
//   # a comment
//   command pos1 pos2 key=value list=(1,2,3)
//   optional input lines
//   ----
//   expected output
//
// Output may not contain blank lines (a printer that has nothing to say prints "ok").

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace raft::testing {

// A script mistake (unknown command, bad argument, malformed file): fails the test with
// file:line, never becomes expected output.
class ScriptError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One argument: a bare word (key only), key=value or key=(v1,v2,...).
struct DirectiveArg {
  std::string key;
  std::vector<std::string> values;  // empty for a bare word
};

// One command of a script with where it is and what it must print.
struct Directive {
  std::string file;
  int line = 0;  // 1-based line of the command
  std::string command;
  std::vector<DirectiveArg> args;
  std::vector<std::string> input;  // lines between the command and "----"
  std::string expected;            // lines after "----", joined with '\n'
  // Where the expected block sits in the file (0-based line numbers) for rewriting.
  size_t expected_begin = 0;
  size_t expected_end = 0;

  std::string where() const { return file + ":" + std::to_string(line); }

  // Argument access; all throw ScriptError naming file:line on misuse.
  std::vector<std::string> positionals() const;  // bare words, in order
  bool has(const std::string& key) const;
  std::optional<std::string> value(const std::string& key) const;  // single value
  std::vector<std::string> values(const std::string& key) const;   // list (or single) value
  std::string string_or(const std::string& key, const std::string& fallback) const;
  int64_t int_or(const std::string& key, int64_t fallback) const;
  bool bool_or(const std::string& key, bool fallback) const;
  // Every key must be one of `allowed` (bare words are positionals and always allowed).
  void only_keys(std::initializer_list<const char*> allowed) const;
  [[noreturn]] void fail(const std::string& message) const;
};

int64_t parse_int(const Directive& d, const std::string& text);

struct Script {
  std::string path;
  std::vector<std::string> lines;  // the file as read, for rewriting
  std::vector<Directive> directives;
};

Script parse_script(const std::string& path);

// Runs every directive through `run` and compares its output with the expectation. Returns the
// failure (file:line, command, expected vs actual) of the first mismatch, or nullopt. With
// `rewrite`, runs everything and writes the actual outputs back into the file instead.
using DirectiveRunner = std::function<std::string(const Directive&)>;
std::optional<std::string> run_script(const std::string& path, const DirectiveRunner& run,
                                      bool rewrite);

}  // namespace raft::testing
