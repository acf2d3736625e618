#pragma once
// Process-wide settings a long-running server needs before it opens anything: signals that must
// not stop or kill it, and a file-descriptor limit large enough for its TCP slots.

#include <string>

namespace net {

// What prepare_process() changed, for one log line at start.
struct ProcessSetup {
  unsigned long long open_files_before = 0;
  unsigned long long open_files = 0;  // the soft RLIMIT_NOFILE now in force
  std::string warning;                // non-empty when the limit could not be raised
};

// Ignores SIGPIPE (a closed log pipe or client socket must not kill the node: writes fail with
// EPIPE instead) and SIGTTIN/SIGTTOU (a node started with `&` from an interactive shell must not
// be stopped when it reads or writes the terminal: the read fails with EIO, which the console
// treats as end of input), and raises the soft RLIMIT_NOFILE to the hard limit.
ProcessSetup prepare_process();

}  // namespace net
