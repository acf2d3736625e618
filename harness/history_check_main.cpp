// build/history-check FILE: judges a client-observed history of a DNS cluster run (one JSON
// object per line, see docs/simulator.md) and ends with "N passed, M failed" over its checks.
// Exit 0 when every check passed, 1 when one failed, 2 when the file cannot be read.

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <fstream>

#include "harness/history.h"
#include "harness/history_check.h"

int main(int argc, char** argv) {
  CLI::App app{"Judges a DNS cluster history (sim-runner --history FILE)."};
  std::string file;
  std::size_t max_failures = 20;
  app.add_option("file", file, "the history, one JSON object per line")->required();
  app.add_option("--max-failures", max_failures, "failures printed per check (default 20)");
  CLI11_PARSE(app, argc, argv);
  std::ifstream in(file);
  if (!in) {
    fmt::print(stderr, "history-check: cannot open {}\n", file);
    return 2;
  }
  const harness::History history = harness::parse_history(in, file);
  const harness::CheckReport report = harness::check_history(history, file);
  fmt::print("{}", harness::format_report(report, max_failures));
  return report.failed() == 0 ? 0 : 1;
}
