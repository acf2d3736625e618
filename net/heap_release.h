#pragma once
// Hands the allocator's free pages back to the operating system after a burst (a zone load, an
// import), whichever allocator dns-node was linked with.

namespace net {

// jemalloc (RAFTDNS_JEMALLOC): purges every arena's unused dirty pages now rather than at the
// next decay step. glibc: malloc_trim(0), which walks the whole heap. Safe on any thread.
void release_free_heap();

}  // namespace net
