#include "net/heap_release.h"

#ifdef RAFTDNS_JEMALLOC
#include <jemalloc/jemalloc.h>

#include <string>

// jemalloc reads this at its first allocation. A background thread returns freed pages about a
// second after they fall idle, even when the node is idle itself (without it, purging happens
// only during later allocations, so a loaded zone's parse buffers would stay resident).
extern "C" {
// NOLINTNEXTLINE: the name is jemalloc's.
const char* malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
}
#elif defined(__GLIBC__)
#include <malloc.h>
#endif

namespace net {

void release_free_heap() {
#ifdef RAFTDNS_JEMALLOC
  static const std::string purge = "arena." + std::to_string(MALLCTL_ARENAS_ALL) + ".purge";
  ::mallctl(purge.c_str(), nullptr, nullptr, nullptr, 0);
#elif defined(__GLIBC__)
  ::malloc_trim(0);
#endif
}

}  // namespace net
