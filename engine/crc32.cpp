#include "engine/crc32.h"

#include <boost/crc.hpp>

namespace engine {

std::uint32_t crc32(ByteView data) {
  boost::crc_32_type crc;
  crc.process_bytes(data.data(), data.size());
  return crc.checksum();
}

std::uint32_t crc32_extend(std::uint32_t crc, ByteView data) {
  // Boost takes the running remainder unreflected and before the final XOR, the form the
  // finished checksum is not in: undo both.
  std::uint32_t remainder = crc ^ 0xFFFFFFFFu;
  std::uint32_t reflected = 0;
  for (int bit = 0; bit < 32; ++bit) reflected |= ((remainder >> bit) & 1u) << (31 - bit);
  boost::crc_32_type sum(reflected);
  sum.process_bytes(data.data(), data.size());
  return sum.checksum();
}

}  // namespace engine
