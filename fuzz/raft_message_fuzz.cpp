// libFuzzer target for the raft wire codec: arbitrary bytes either decode into a message that
// re-encodes to exactly the same bytes, or throw raft::DecodeError. Whatever decodes is then
// stepped into a raft node with a small log, which must not crash either.

#include <cstdint>
#include <cstdlib>

#include "raft/message.h"
#include "raft/raft.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  raft::Message m;
  try {
    m = raft::decode(std::span(data, size));
  } catch (const raft::DecodeError&) {
    return 0;
  }
  if (raft::encode(m) != raft::Bytes(data, data + size)) std::abort();

  raft::Restored restored{.hard_state = {.term = 2, .vote = 1, .commit = 2}};
  for (raft::Index i = 1; i <= 4; ++i) {
    restored.entries.push_back(raft::Entry{.term = i < 3 ? 1u : 2u, .index = i});
  }
  raft::Raft node(raft::Config{.id = 1, .voters = {1, 2, 3}}, restored);
  m.to = 1;
  node.step(m);
  node.campaign();
  m.term = node.term();
  node.step(m);
  raft::Ready rd = node.ready();
  node.advance();
  return 0;
}
