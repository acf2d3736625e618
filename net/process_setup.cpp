#include "net/process_setup.h"

#include <sys/resource.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include <fmt/format.h>

namespace net {

ProcessSetup prepare_process() {
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGTTIN, SIG_IGN);
  std::signal(SIGTTOU, SIG_IGN);

  ProcessSetup setup;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    setup.warning = fmt::format("getrlimit(RLIMIT_NOFILE): {}", std::strerror(errno));
    return setup;
  }
  setup.open_files_before = limit.rlim_cur;
  setup.open_files = limit.rlim_cur;
  if (limit.rlim_cur != limit.rlim_max) {
    const rlim_t wanted = limit.rlim_max;
    limit.rlim_cur = wanted;
    if (::setrlimit(RLIMIT_NOFILE, &limit) == 0) {
      setup.open_files = wanted;
    } else {
      setup.warning = fmt::format("could not raise the open-file limit from {} to {}: {}",
                                  setup.open_files_before, static_cast<unsigned long long>(wanted),
                                  std::strerror(errno));
    }
  }
  return setup;
}

}  // namespace net
