#include "engine/state_sections.h"

#include <fmt/core.h>

namespace engine {

void put_state_sections(raft::ByteWriter& w, const StateSections& sections) {
  if (sections.empty()) return;
  w.u32(static_cast<std::uint32_t>(sections.size()));
  for (const auto& [tag, payload] : sections) {
    w.u8(static_cast<std::uint8_t>(tag));
    w.bytes(payload);
  }
}

StateSections get_state_sections(raft::ByteReader& r) {
  StateSections sections;
  const std::uint32_t n = r.count("state sections", kMaxStateSection, 5);
  if (n == 0) throw raft::DecodeError("state sections: an empty list is written as format 1");
  int previous = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint8_t tag = r.u8("state section tag");
    if (tag == 0 || tag > kMaxStateSection)
      throw raft::DecodeError(fmt::format("state section tag: {} is not a known section", tag));
    if (tag <= previous)
      throw raft::DecodeError(
          fmt::format("state section tag: {} out of order or repeated after {}", tag, previous));
    previous = tag;
    sections[static_cast<StateSection>(tag)] = r.bytes("state section", 1u << 30);
  }
  return sections;
}

}  // namespace engine
